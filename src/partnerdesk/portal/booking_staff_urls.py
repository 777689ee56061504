"""Staff routes for consultation sessions (included by staff_urls.py)."""

urlpatterns: list = []
