"""The client's tickets in the portal (/portal/tickets/, see client_views.py)."""

from django.urls import path

from . import client_views as views

app_name = "portal_tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("<id:pk>/", views.ticket_detail, name="detail"),
    path("<id:pk>/reply/", views.ticket_reply, name="reply"),
    path("files/<id:pk>/", views.attachment, name="attachment"),
]
