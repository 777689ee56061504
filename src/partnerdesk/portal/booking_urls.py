"""Consultation-session pages of the portal (see booking_views.py)."""

from django.urls import path

from . import booking_views

urlpatterns = [
    path("tasks/<id:pk>/book/", booking_views.session_book, name="session_book"),
    path(
        "sessions/<id:pk>/reschedule/",
        booking_views.session_reschedule,
        name="session_reschedule",
    ),
    path("sessions/<id:pk>/cancel/", booking_views.session_cancel, name="session_cancel"),
    path("sessions/<id:pk>/invite.ics", booking_views.session_ics, name="session_ics"),
]
