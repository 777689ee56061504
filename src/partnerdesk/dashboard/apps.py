from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Read-only pages that bring the other apps together: the staff home and the partner
    dashboard (its renewals, the HubSpot team, alerts put away). It sits above crm, tickets,
    portal and the partner program, and below automation."""

    name = "partnerdesk.dashboard"
    label = "dashboard"

    def ready(self):
        # (register the timeline sentences, the running totals)
        from . import timeline, totals  # noqa: F401
