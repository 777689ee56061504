"""/csat/: the survey email's one-click links and comment (public: the signed token is the
proof), the client's answer page, and the staff's answers list and settings."""

from django.urls import path

from . import views

app_name = "satisfaction"

urlpatterns = [
    path("answers/", views.answers, name="answers"),
    path("settings/", views.settings_page, name="settings"),
    path("portal/<id:pk>/", views.portal_answer, name="portal_answer"),
    path("<str:token>/comment/", views.comment, name="comment"),
    path("<str:token>/<str:score>/", views.answer, name="answer"),
]
