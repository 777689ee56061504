"""Support mailboxes (admin configuration): an address whose mail opens tickets in a pipeline's
entry stage, and what happens to mail from unknown senders (tickets.inbound handles the mail)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError
from partnerdesk.core.permissions import require_admin
from partnerdesk.crm.models import ObjectType, Stage

from .models import SupportMailbox, UnknownSenders


@transaction.atomic
def mailbox_save(
    *,
    by,
    address: str,
    entry_stage: Stage,
    unknown_senders: str = UnknownSenders.CREATE_CONTACT,
    active: bool = True,
    mailbox: SupportMailbox | None = None,
) -> SupportMailbox:
    """Create a mailbox (``mailbox`` None) or change one."""
    require_admin(by)
    address = (address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise DomainError(
            code="invalid_address", message=_("Enter a valid email address."), field="address"
        ) from exc
    if address.rpartition("@")[2] == settings.PARTNERDESK_REPLY_DOMAIN.lower():
        raise DomainError(
            code="reply_domain",
            message=_("Addresses at %(domain)s are the reply addresses; choose another domain.")
            % {"domain": settings.PARTNERDESK_REPLY_DOMAIN},
            field="address",
        )
    taken = SupportMailbox.objects.filter(address__iexact=address)
    if mailbox is not None:
        taken = taken.exclude(pk=mailbox.pk)
    if taken.exists():
        raise DomainError(
            code="address_taken",
            message=_("Another mailbox already has this address."),
            field="address",
        )
    if entry_stage.pipeline.object_type != ObjectType.TICKET or not entry_stage.is_entry:
        raise DomainError(
            code="not_an_entry_stage",
            message=_("Choose a stage that tickets can be opened in."),
            field="entry_stage",
        )
    if unknown_senders not in UnknownSenders.values:
        raise DomainError(
            code="invalid_choice",
            message=_("Choose what happens to mail from unknown senders."),
            field="unknown_senders",
        )
    mailbox = mailbox or SupportMailbox()
    mailbox.address = address
    mailbox.pipeline = entry_stage.pipeline
    mailbox.entry_stage = entry_stage
    mailbox.unknown_senders = unknown_senders
    mailbox.active = active
    mailbox.save()
    return mailbox
