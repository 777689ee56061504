"""Settings → Customer emails (/app/settings/customer-emails/, see notice_views.py)."""

from django.urls import path

from . import notice_views as views

app_name = "ticket_notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<id:pipeline_pk>/<slug:event>/", views.notice_edit, name="edit"),
]
