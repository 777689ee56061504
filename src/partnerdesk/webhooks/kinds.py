"""The event kinds an endpoint can subscribe to: every kind of the event enums of the apps
webhooks may read (each app's ``events.py``), grouped by app for the form.

Kinds recorded by apps above this layer (automation's ``workflow.*``) reach endpoints that take
"all events".
"""

from __future__ import annotations

from enum import StrEnum
from types import ModuleType

from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts import events as accounts_events
from partnerdesk.crm import events as crm_events
from partnerdesk.portal import events as portal_events
from partnerdesk.sla import events as sla_events
from partnerdesk.tickets import events as tickets_events

from . import events as webhook_events

SOURCES: tuple[tuple[object, ModuleType], ...] = (
    (_("CRM"), crm_events),
    (_("Tickets"), tickets_events),
    (_("SLA"), sla_events),
    (_("Client tasks"), portal_events),
    (_("Users and API tokens"), accounts_events),
    (_("Webhooks"), webhook_events),
)


def kinds_of(module: ModuleType) -> list[str]:
    """The values of every StrEnum defined in ``module``, in their order."""
    found: list[str] = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, StrEnum)
            and value.__module__ == module.__name__
        ):
            found.extend(str(member) for member in value)
    return list(dict.fromkeys(found))


GROUPS: tuple[tuple[object, tuple[str, ...]], ...] = tuple(
    (label, tuple(kinds_of(module))) for label, module in SOURCES
)
EVENT_KINDS: tuple[str, ...] = tuple(dict.fromkeys(k for _label, kinds in GROUPS for k in kinds))


def choices() -> list[tuple[object, list[tuple[str, str]]]]:
    """Grouped choices for a form field."""
    return [(label, [(kind, kind) for kind in kinds]) for label, kinds in GROUPS]
