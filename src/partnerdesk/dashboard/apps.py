from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Read-only pages that bring the other apps together: the staff home (and, next, the
    partner dashboard). It sits above crm, tickets and portal and below automation."""

    name = "partnerdesk.dashboard"
    label = "dashboard"
