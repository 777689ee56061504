"""What each trigger listens to, what narrows it, and whether an event matches it.

A trigger names the event kinds (members of the producing app's enum) it waits for. Only
``OFFERED`` triggers can be chosen on the page and in the API: a trigger stays out of that list
until some service records its events (tests/automation/test_event_vocabulary.py checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError
from partnerdesk.crm.events import CrmEvent
from partnerdesk.crm.models import Pipeline, Product, Stage
from partnerdesk.portal.events import PortalEvent
from partnerdesk.portal.models import Status as TaskStatus
from partnerdesk.tickets.events import TicketEvent

from .events import AutomationEvent
from .models import Trigger, Workflow

# Which domain events each trigger listens to. A trigger missing here listens to nothing.
TRIGGER_EVENTS: dict[Trigger, tuple[StrEnum, ...]] = {
    Trigger.DEAL_STAGE_ENTERED: (CrmEvent.DEAL_STAGE_CHANGED,),
    Trigger.TICKET_CREATED: (TicketEvent.CREATED,),
    Trigger.TICKET_STAGE_ENTERED: (TicketEvent.STAGE_CHANGED,),
    Trigger.TRACKER_ISSUE_CLOSED: (AutomationEvent.TRACKER_ISSUE_CLOSED,),
    Trigger.SLA_DUE_SOON: (TicketEvent.SLA_DUE_SOON,),
    Trigger.SLA_BREACHED: (TicketEvent.SLA_BREACHED,),
    # Recorded by every status transition of a task; data {"from", "to"} (statuses).
    Trigger.TASK_STATE_CHANGED: (PortalEvent.TASK_STATE_CHANGED,),
    # Trigger.RENEWAL_APPROACHING has no producer yet (renewals do not exist): it listens to
    # nothing and is not offered. It stays in Trigger (the model's choices) until renewals come.
}

# The triggers an admin can choose, in the order the page lists them.
OFFERED: tuple[Trigger, ...] = tuple(t for t in Trigger if t in TRIGGER_EVENTS)

EVENT_TRIGGERS: dict[str, list[Trigger]] = {}
for _trigger, _kinds in TRIGGER_EVENTS.items():
    for _kind in _kinds:
        EVENT_TRIGGERS.setdefault(str(_kind), []).append(_trigger)

STAGE_KINDS = ("open", "won", "lost")
SLA_TARGETS = ("first_response", "resolution")

# The trigger_config fields that narrow each trigger (all optional).
CONFIG_FIELDS: dict[Trigger, tuple[str, ...]] = {
    Trigger.DEAL_STAGE_ENTERED: ("pipeline_id", "stage_id", "stage_kind", "product_id"),
    Trigger.TICKET_CREATED: ("pipeline_id", "stage_id"),
    Trigger.TICKET_STAGE_ENTERED: ("pipeline_id", "stage_id"),
    Trigger.TRACKER_ISSUE_CLOSED: ("pipeline_id",),
    Trigger.SLA_DUE_SOON: ("pipeline_id", "target"),
    Trigger.SLA_BREACHED: ("pipeline_id", "target"),
    Trigger.TASK_STATE_CHANGED: ("to_status",),
}
ALL_CONFIG_FIELDS = ("pipeline_id", "stage_id", "stage_kind", "product_id", "target", "to_status")

_LABELS = {
    "pipeline_id": _("a pipeline"),
    "stage_id": _("a stage"),
    "stage_kind": _("a stage kind"),
    "product_id": _("a product"),
    "target": _("an SLA target"),
    "to_status": _("a task status"),
}


def offered_choices() -> list[tuple[str, str]]:
    return [(t.value, str(t.label)) for t in OFFERED]


def _refuse(code: str, message: str, field: str) -> DomainError:
    return DomainError(code=code, message=message, field=field)


def clean_config(trigger: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The trigger's narrowing, checked: blanks dropped, references that exist, values it knows.
    A field that does not apply to the trigger is refused (it could never match)."""
    if trigger not in OFFERED:
        raise _refuse("invalid_trigger", _("Choose a trigger."), "trigger")
    trigger = Trigger(trigger)
    given = {
        k: v for k, v in (config or {}).items() if k in ALL_CONFIG_FIELDS and v not in (None, "")
    }
    for name in given:
        if name not in CONFIG_FIELDS[trigger]:
            raise _refuse(
                "not_applicable",
                _("“%(t)s” cannot be narrowed by %(what)s.")
                % {"t": trigger.label, "what": _LABELS[name]},
                name,
            )
    pipeline = None
    if given.get("pipeline_id"):
        pipeline = Pipeline.objects.filter(pk=given["pipeline_id"]).first()
        if pipeline is None:
            raise _refuse("not_found", _("That pipeline does not exist."), "pipeline_id")
    if given.get("stage_id"):
        stage = Stage.objects.filter(pk=given["stage_id"]).first()
        if stage is None or (pipeline is not None and stage.pipeline_id != pipeline.pk):
            raise _refuse("invalid_stage", _("Choose a stage of the chosen pipeline."), "stage_id")
    if given.get("product_id") and not Product.objects.filter(pk=given["product_id"]).exists():
        raise _refuse("not_found", _("That product does not exist."), "product_id")
    if given.get("stage_kind") not in (None, *STAGE_KINDS):
        raise _refuse("invalid_choice", _("Stage kind is won, lost or open."), "stage_kind")
    if given.get("target") not in (None, *SLA_TARGETS):
        raise _refuse("invalid_choice", _("Target is first_response or resolution."), "target")
    if given.get("to_status") not in (None, *TaskStatus.values):
        raise _refuse(
            "invalid_choice",
            _("Choose one of the task statuses: %(s)s.") % {"s": ", ".join(TaskStatus.values)},
            "to_status",
        )
    return given


def matches(workflow: Workflow, event, subject) -> bool:
    """Whether ``event`` (about ``subject``) passes the workflow's trigger narrowing. Only the
    fields that apply to the trigger count (a workflow saved before they were checked may hold
    others). ``subject`` None: judged by the event's data alone, and whatever only the record
    can tell (its pipeline when the data has none, its products) counts as a match."""
    applies = CONFIG_FIELDS.get(Trigger(workflow.trigger), ())
    config = {k: v for k, v in (workflow.trigger_config or {}).items() if k in applies and v}
    data = event.data
    # SLA events carry no pipeline: the ticket's own is the one that counts.
    if "pipeline_id" in config and ("pipeline_id" in data or subject is not None):
        pipeline_id = data.get("pipeline_id", getattr(subject, "pipeline_id", None))
        if pipeline_id != config["pipeline_id"]:
            return False
    expected = {
        "stage_id": data.get("to_stage_id", data.get("stage_id")),
        "stage_kind": data.get("kind"),
        "target": data.get("target"),
        "to_status": data.get("to"),
    }
    if any(config[name] != value for name, value in expected.items() if name in config):
        return False
    if "product_id" in config and subject is not None:  # "only when the deal has this product"
        if "line_items" in getattr(subject, "_prefetched_objects_cache", {}):
            return any(li.product_id == config["product_id"] for li in subject.line_items.all())
        return subject.line_items.filter(product_id=config["product_id"]).exists()
    return True
