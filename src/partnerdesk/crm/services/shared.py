"""What the CRM services share: the "not given" marker of partial updates, and saving a record
together with its timeline event."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from partnerdesk.core.errors import conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import Actor
from partnerdesk.core.records import UNSET, Unset  # noqa: F401  (re-exported)


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not UNSET), by name."""
    return {name: value for name, value in values.items() if value is not UNSET}


def save_with_event(
    record: Model, *, kind: str, by: Actor, changes: list[dict], created: bool = False
) -> Any:
    """Save ``record``; record ``kind`` on its timeline when it was created or changed."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        if "hubspot_record_id" in str(exc):
            raise conflict(
                "duplicate_record_id",
                _("Another record already has this HubSpot Record ID."),
                "hubspot_record_id",
            ) from None
        raise
    if created or changes:
        record_event(
            kind=kind,
            subject=record,
            actor=by,
            company_id=record.company_id,  # type: ignore[attr-defined]
            data={"changes": changes} if not created else {"name": str(record)},
        )
    return record
