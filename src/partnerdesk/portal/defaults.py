"""Plans, task categories and the consultants team of PRODUCT.md part 2.

Each is installed once per stable key (``core.defaults``): a plan or category an admin renamed
or deleted, or a consultants team an admin changed, stays that way after ``migrate``.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils.translation import gettext_noop

from partnerdesk.accounts.defaults import CONSULTANTS, default_team
from partnerdesk.core.defaults import adopt_or_create, install_once
from partnerdesk.core.translated import catalogue_translations

from .models import Plan, PortalSettings, TaskCategory

# key, name, tasks worked at once
PLANS = [("solo", "Solo", 1), ("duo", "Duo", 2), ("team", "Team", 3)]
CONSULTATION = "consultation-session"
# key, name (the consultation category books a session); installed with the catalogue's
# translations of the name
CATEGORIES = [
    (CONSULTATION, gettext_noop("Consultation Session")),
    ("hubspot-administration", gettext_noop("HubSpot Administration")),
    ("workflows-automation", gettext_noop("Workflows & Automation")),
    ("reports-dashboards", gettext_noop("Reports & Dashboards")),
    ("data-import-cleanup", gettext_noop("Data Import & Cleanup")),
    ("integrations", gettext_noop("Integrations")),
    ("email-domains", gettext_noop("Email & Domains")),
    ("website", gettext_noop("Website")),
    ("training", gettext_noop("Training")),
    ("other", gettext_noop("Other")),
]


def _install_consultants() -> None:
    settings = PortalSettings.load()
    if settings.consultants_id is None:
        settings.consultants = default_team(CONSULTANTS)
        settings.save(update_fields=["consultants"])


def _install(model: type[Plan] | type[TaskCategory], ledger: str, key: str, **values) -> None:
    install_once(
        ledger,
        partial(
            adopt_or_create, model, key=key, match={"name__iexact": values["name"]}, values=values
        ),
    )


@transaction.atomic
def install_portal_defaults() -> None:
    for key, name, tasks in PLANS:
        _install(Plan, f"portal.plan.{key}", key, name=name, concurrent_tasks=tasks)
    for order, (key, name) in enumerate(CATEGORIES):
        _install(
            TaskCategory,
            f"portal.category.{key}",
            key,
            name=name,
            name_translations=catalogue_translations(name),
            order=order,
            is_consultation=key == CONSULTATION,
        )
    install_once("portal.settings.consultants", _install_consultants)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        install_portal_defaults()
