"""Plans, task categories and the consultants team of PRODUCT.md part 2.

Each is installed once per stable key (``core.defaults``): a plan or category an admin renamed
or deleted, or a consultants team an admin changed, stays that way after ``migrate``.
"""

from __future__ import annotations

from django.db import transaction

from partnerdesk.accounts.defaults import CONSULTANTS, default_team
from partnerdesk.core.defaults import adopt_or_create, install_once

from .models import Plan, PortalSettings, TaskCategory

# key, name, tasks worked at once
PLANS = [("solo", "Solo", 1), ("duo", "Duo", 2), ("team", "Team", 3)]
CONSULTATION = "consultation-session"
# key, name (the consultation category books a session)
CATEGORIES = [
    (CONSULTATION, "Consultation Session"),
    ("hubspot-administration", "HubSpot Administration"),
    ("workflows-automation", "Workflows & Automation"),
    ("reports-dashboards", "Reports & Dashboards"),
    ("data-import-cleanup", "Data Import & Cleanup"),
    ("integrations", "Integrations"),
    ("email-domains", "Email & Domains"),
    ("website", "Website"),
    ("training", "Training"),
    ("other", "Other"),
]


def _install_consultants() -> None:
    settings = PortalSettings.load()
    if settings.consultants_id is None:
        settings.consultants = default_team(CONSULTANTS)
        settings.save(update_fields=["consultants"])


@transaction.atomic
def install_portal_defaults() -> None:
    for key, name, tasks in PLANS:
        install_once(
            f"portal.plan.{key}",
            lambda key=key, name=name, tasks=tasks: adopt_or_create(
                Plan,
                key=key,
                match={"name__iexact": name},
                values={"name": name, "concurrent_tasks": tasks},
            ),
        )
    for order, (key, name) in enumerate(CATEGORIES):
        install_once(
            f"portal.category.{key}",
            lambda key=key, name=name, order=order: adopt_or_create(
                TaskCategory,
                key=key,
                match={"name__iexact": name},
                values={"name": name, "order": order, "is_consultation": key == CONSULTATION},
            ),
        )
    install_once("portal.settings.consultants", _install_consultants)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        install_portal_defaults()
