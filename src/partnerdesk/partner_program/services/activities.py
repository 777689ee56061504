"""Qualifying activities (by hand, import, API and automatically from agency work), the
activity catalogue and the mappings from agency work to activity types."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict, forbidden
from partnerdesk.core.models import Event
from partnerdesk.core.permissions import SYSTEM, Actor, person, require_admin
from partnerdesk.core.records import UNSET, Unset, field_labels, given, set_fields
from partnerdesk.crm.models import Stage
from partnerdesk.portal.models import TaskCategory

from ..events import PartnerEvent
from ..models import (
    ActivityMapping,
    ActivitySource,
    ActivityType,
    HubSpotAccount,
    QualifyingActivity,
    Tool,
)
from .common import (
    check_date,
    check_employee,
    check_not_before_account,
    check_not_future,
    clean_text,
    record,
    record_on_account,
    require_activity_writer,
)
from .relationships import note_activity


def _activity_data(activity: QualifyingActivity) -> dict[str, Any]:
    return {
        "activity_id": activity.pk,
        "activity": activity.activity_type.name,
        "tool": activity.activity_type.tool,
        "employee_id": activity.employee_id,
        "employee": str(activity.employee),
        "occurred_on": activity.occurred_on.isoformat(),
        "source": activity.source,
    }


def _check_activity(
    *, account: HubSpotAccount, employee: Any, activity_type: ActivityType, occurred_on: dt.date
) -> None:
    check_employee(employee)
    if not activity_type.is_active:
        raise DomainError(
            code="inactive_activity_type",
            message=_("“%(a)s” is no longer offered: choose another activity.")
            % {"a": activity_type.name},
            field="activity_type",
        )
    check_date(occurred_on, "occurred_on")
    check_not_future(occurred_on, "occurred_on")
    check_not_before_account(account, occurred_on, "occurred_on")


@transaction.atomic
def activity_record(
    *,
    by: Actor,
    account: HubSpotAccount,
    employee: Any,
    activity_type: ActivityType,
    occurred_on: dt.date,
    note: str = "",
    source: str = ActivitySource.MANUAL,
) -> QualifyingActivity:
    """A qualifying activity an employee performed in the account on ``occurred_on`` (today or
    earlier, not before the account was opened). Starts or extends the managed relationship."""
    require_activity_writer(by, employee)
    if source not in (ActivitySource.MANUAL, ActivitySource.IMPORT, ActivitySource.API):
        raise DomainError(
            code="invalid_source",
            message=_("Choose how the activity was recorded."),
            field="source",
        )
    note = clean_text(note, "note", limit=2000, required=False)
    _check_activity(
        account=account, employee=employee, activity_type=activity_type, occurred_on=occurred_on
    )
    activity = QualifyingActivity.objects.create(
        employee=employee,
        account=account,
        activity_type=activity_type,
        occurred_on=occurred_on,
        note=note,
        source=source,
        recorded_by=person(by),
    )
    note_activity(account, occurred_on)
    record_on_account(
        PartnerEvent.ACTIVITY_RECORDED, account=account, by=by, data=_activity_data(activity)
    )
    return activity


def activity_record_automatic(
    *,
    event: Event,
    account: HubSpotAccount,
    employee: Any,
    activity_type: ActivityType,
    occurred_on: dt.date,
    subject: Model,
) -> tuple[QualifyingActivity, bool]:
    """The activity agency work in Partnerdesk performed (a task completed, a ticket reaching a
    stage): recorded once per source event and activity type, however often the event is
    processed (``(activity, created)``). Links back to the task or ticket. The caller (the
    event handler) has checked the employee and that the day is not before the account."""
    existing = QualifyingActivity.objects.filter(
        source_event=event, activity_type=activity_type
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            activity = QualifyingActivity.objects.create(
                employee=employee,
                account=account,
                activity_type=activity_type,
                occurred_on=occurred_on,
                source=ActivitySource.AUTOMATIC,
                source_event=event,
                subject_type=ContentType.objects.get_for_model(subject),
                subject_id=subject.pk,
                note=str(subject)[:2000],
            )
            note_activity(account, activity.occurred_on)
            record_on_account(
                PartnerEvent.ACTIVITY_RECORDED,
                account=account,
                by=SYSTEM,
                data={**_activity_data(activity), "event_id": event.pk},
            )
    except IntegrityError:  # a concurrent worker recorded it first
        return QualifyingActivity.objects.get(
            source_event=event, activity_type=activity_type
        ), False
    return activity, True


@transaction.atomic
def activity_delete(*, by: Actor, activity: QualifyingActivity) -> None:
    """Delete a qualifying activity (an agent: only their own, recorded by hand). Managed
    relationships it started stay; without activities they lapse like any other."""
    require_activity_writer(by, activity.employee)
    activity = (
        QualifyingActivity.objects.select_for_update()
        .select_related("activity_type", "employee", "account")
        .get(pk=activity.pk)
    )
    if not by.is_manager_or_admin and activity.source == ActivitySource.AUTOMATIC:
        raise forbidden(_("Only an admin or a manager can delete an automatic activity."))
    data = _activity_data(activity)
    account = activity.account
    activity.delete()
    record_on_account(PartnerEvent.ACTIVITY_DELETED, account=account, by=by, data=data)


# ---------------------------------------------------------------- the catalogue


def _clean_tool(tool: Any) -> str:
    if tool not in Tool.values:
        raise DomainError(code="invalid_tool", message=_("Choose a HubSpot tool."), field="tool")
    return str(tool)


def _name_taken(tool: str, name: str, exclude: int | None = None) -> None:
    if ActivityType.objects.filter(tool=tool, name__iexact=name).exclude(pk=exclude or 0).exists():
        raise conflict(
            "duplicate_name",
            _("The catalogue already has “%(n)s” for this tool.") % {"n": name},
            "name",
        )


@transaction.atomic
def activity_type_create(*, by: Actor, tool: str, name: str, order: int = 0) -> ActivityType:
    require_admin(by)
    tool = _clean_tool(tool)
    name = clean_text(name, "name", limit=150)
    _name_taken(tool, name)
    activity_type = ActivityType.objects.create(tool=tool, name=name, order=max(0, int(order)))
    record(
        PartnerEvent.ACTIVITY_TYPE_SAVED,
        subject=activity_type,
        by=by,
        data={"name": name, "tool": tool, "created": True},
    )
    return activity_type


@transaction.atomic
def activity_type_update(
    *,
    by: Actor,
    activity_type: ActivityType,
    tool: str | Unset = UNSET,
    name: str | Unset = UNSET,
    order: int | Unset = UNSET,
    is_active: bool | Unset = UNSET,
) -> ActivityType:
    """Rename, move, reorder or withdraw an activity type (recorded activities keep it)."""
    require_admin(by)
    activity_type = ActivityType.objects.select_for_update().get(pk=activity_type.pk)
    fields = given(tool=tool, name=name, order=order, is_active=is_active)
    if "tool" in fields:
        fields["tool"] = _clean_tool(fields["tool"])
    if "name" in fields:
        fields["name"] = clean_text(fields["name"], "name", limit=150)
    if "order" in fields:
        fields["order"] = max(0, int(fields["order"]))
    if "is_active" in fields:
        fields["is_active"] = bool(fields["is_active"])
    _name_taken(
        fields.get("tool", activity_type.tool),
        fields.get("name", activity_type.name),
        exclude=activity_type.pk,
    )
    changes = set_fields(activity_type, fields, field_labels(ActivityType))
    if changes:
        activity_type.save()
        record(
            PartnerEvent.ACTIVITY_TYPE_SAVED,
            subject=activity_type,
            by=by,
            data={"name": activity_type.name, "tool": activity_type.tool, "changes": changes},
        )
    return activity_type


# ---------------------------------------------------------------- mappings


def _mapping_source(mapping: ActivityMapping) -> str:
    if mapping.task_category_id is not None:
        return _("task category %(c)s") % {"c": mapping.task_category}
    stage = mapping.stage
    assert stage is not None
    return _("ticket stage %(p)s › %(s)s") % {"p": stage.pipeline, "s": stage}


@transaction.atomic
def mapping_add(
    *,
    by: Actor,
    activity_type: ActivityType,
    task_category: TaskCategory | None = None,
    stage: Stage | None = None,
) -> ActivityMapping:
    """Agency work that records ``activity_type``: a portal task of ``task_category`` that is
    completed, or a ticket entering ``stage`` (one of the two)."""
    require_admin(by)
    if (task_category is None) == (stage is None):
        raise DomainError(
            code="mapping_source",
            message=_("Choose either a task category or a ticket stage."),
            field="task_category",
        )
    if stage is not None and stage.pipeline.object_type != "ticket":
        raise DomainError(
            code="not_a_ticket_stage",
            message=_("Choose a stage of a ticket pipeline."),
            field="stage",
        )
    exists = ActivityMapping.objects.filter(
        activity_type=activity_type, task_category=task_category, stage=stage
    ).exists()
    if exists:
        raise conflict(
            "duplicate_mapping", _("This work already records this activity."), "activity_type"
        )
    mapping = ActivityMapping.objects.create(
        activity_type=activity_type, task_category=task_category, stage=stage
    )
    record(
        PartnerEvent.MAPPING_ADDED,
        subject=activity_type,
        by=by,
        data={
            "mapping_id": mapping.pk,
            "activity": activity_type.name,
            "source": _mapping_source(mapping),
        },
    )
    return mapping


@transaction.atomic
def mapping_remove(*, by: Actor, mapping: ActivityMapping) -> None:
    require_admin(by)
    mapping = ActivityMapping.objects.select_related(
        "activity_type", "task_category", "stage__pipeline"
    ).get(pk=mapping.pk)
    data = {
        "mapping_id": mapping.pk,
        "activity": mapping.activity_type.name,
        "source": _mapping_source(mapping),
    }
    activity_type = mapping.activity_type
    mapping.delete()
    record(PartnerEvent.MAPPING_REMOVED, subject=activity_type, by=by, data=data)
