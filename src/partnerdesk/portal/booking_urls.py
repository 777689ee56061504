"""Consultation-session pages of the portal (see booking_views.py)."""

urlpatterns: list = []
