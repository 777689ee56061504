"""Staff routes for consultation sessions (included by staff_urls.py, under /app/tasks/)."""

from django.urls import path

from . import booking_views

urlpatterns = [
    path("<id:pk>/book/", booking_views.staff_session_book, name="session_book"),
    path(
        "sessions/<id:pk>/reschedule/",
        booking_views.staff_session_reschedule,
        name="session_reschedule",
    ),
    path("sessions/<id:pk>/cancel/", booking_views.staff_session_cancel, name="session_cancel"),
    path("sessions/<id:pk>/invite.ics", booking_views.staff_session_ics, name="session_ics"),
]
