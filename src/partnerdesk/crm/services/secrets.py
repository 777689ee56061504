"""Reading a secret property's value on a page: allowed to managers and admins, and recorded.

Pages show a secret masked; *Reveal* and *Copy* ask for the value, and each time the record's
timeline (and the log) says who read which property of which record — never the value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.core import crypto
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import record_event
from partnerdesk.core.models import Event
from partnerdesk.core.permissions import Actor, person, require_manager

from ..events import CrmEvent
from ..models import PropertyDefinition, PropertyRecord, PropertyType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SecretRead:
    value: str
    event: Event  # the timeline entry that says who read it


@transaction.atomic
def secret_reveal(
    *, record: PropertyRecord, name: str, by: Actor, copied: bool = False
) -> SecretRead:
    """The value of ``record``'s secret property ``name``, for ``by`` to read (or copy), with
    the ``secret.revealed`` event recorded on the record's timeline in the same transaction."""
    require_manager(by, _("Only an admin or a manager can see secret values."))
    definition = PropertyDefinition.objects.filter(
        object_type=record.object_type, name=name, type=PropertyType.SECRET, archived=False
    ).first()
    if definition is None:
        raise DomainError(
            code="unknown_property",
            message=_("There is no secret property “%(name)s” on this record type.")
            % {"name": name},
            field="name",
            status=404,
        )
    token = record.secrets.get(name)
    if not token:
        raise DomainError(
            code="secret_not_set",
            message=_("%(label)s is not set on this record.") % {"label": definition.label},
            field=name,
        )
    value = crypto.decrypt(token)
    event = record_event(
        kind=CrmEvent.SECRET_REVEALED,
        subject=record,
        actor=person(by),
        company_id=record.company_id,  # type: ignore[attr-defined]
        data={
            "property": name,
            "label": definition.label,
            "record": str(record),
            "copied": copied,
        },
    )
    log.info(
        "secret %s of %s #%s %s by user #%s",
        name,
        record.object_type,
        record.pk,
        "copied" if copied else "revealed",
        getattr(by, "pk", None),
    )
    return SecretRead(value=value, event=event)
