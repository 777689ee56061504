"""The project's URLs plus a view that fails, to see the 500 page (tests/core/test_demo.py)."""

from django.urls import path

from partnerdesk.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *urlpatterns]
