"""Plans, task categories and queue settings installed on first run (PRODUCT.md part 2)."""

from __future__ import annotations

from django.db import transaction

PLANS = [("Solo", 1), ("Duo", 2), ("Team", 3)]
CONSULTATION = "Consultation Session"
CATEGORIES = [
    CONSULTATION,
    "HubSpot Administration",
    "Workflows & Automation",
    "Reports & Dashboards",
    "Data Import & Cleanup",
    "Integrations",
    "Email & Domains",
    "Website",
    "Training",
    "Other",
]
CONSULTANTS_TEAM = "Consultants"


@transaction.atomic
def install_portal_defaults() -> None:
    from partnerdesk.accounts.models import Team

    from .models import Plan, PortalSettings, TaskCategory

    if not Plan.objects.exists():
        Plan.objects.bulk_create([Plan(name=n, concurrent_tasks=k) for n, k in PLANS])
    if not TaskCategory.objects.exists():
        TaskCategory.objects.bulk_create(
            [
                TaskCategory(name=name, order=i, is_consultation=name == CONSULTATION)
                for i, name in enumerate(CATEGORIES)
            ]
        )
    settings = PortalSettings.load()
    if settings.consultants_id is None:
        settings.consultants, _ = Team.objects.get_or_create(name=CONSULTANTS_TEAM)
        settings.save(update_fields=["consultants"])


def install_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        install_portal_defaults()
