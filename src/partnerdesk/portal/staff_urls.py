"""The staff task desk (/app/tasks/): triage across all clients, task settings."""

from django.urls import path

from . import booking_staff_urls, staff_views

app_name = "taskdesk"

urlpatterns = [
    path("<id:pk>/", staff_views.detail, name="detail"),
    *booking_staff_urls.urlpatterns,
]
