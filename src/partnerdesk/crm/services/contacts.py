"""Contacts: create and update, with the rules of their fields."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core.errors import DomainError
from partnerdesk.core.permissions import Actor, require_staff
from partnerdesk.core.records import check_owner, field_labels, full_clean, set_fields

from .. import properties as props
from ..events import CrmEvent
from ..models import Company, Contact
from .shared import UNSET, Unset, given, save_with_event


def clean_contact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The given contact fields, trimmed (emails in lower case), the owner checked."""
    fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if "email" in fields:
        fields["email"] = (fields["email"] or "").lower()
    if "owner" in fields:
        check_owner(fields["owner"])
    return fields


def _check_identified(contact: Contact) -> None:
    if not (contact.first_name or contact.last_name or contact.email):
        raise DomainError(
            code="required",
            message=_("A contact needs a name or an email address."),
            field="first_name",
        )


@transaction.atomic
def contact_create(
    *,
    by: Actor,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    job_title: str = "",
    language: str = "",
    company: Company | None = None,
    owner: User | None = None,
    hubspot_record_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> Contact:
    require_staff(by)
    fields = clean_contact_fields(
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "job_title": job_title,
            "language": language,
            "company": company,
            "owner": owner,
            "hubspot_record_id": hubspot_record_id,
        }
    )
    contact = Contact(**fields)
    _check_identified(contact)
    full_clean(contact)
    props.apply_properties(contact, properties or {})
    return save_with_event(contact, kind=CrmEvent.CONTACT_CREATED, by=by, changes=[], created=True)


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    by: Actor,
    first_name: str | Unset = UNSET,
    last_name: str | Unset = UNSET,
    email: str | Unset = UNSET,
    phone: str | Unset = UNSET,
    job_title: str | Unset = UNSET,
    language: str | Unset = UNSET,
    company: Company | Unset | None = UNSET,
    owner: User | Unset | None = UNSET,
    hubspot_record_id: str | Unset | None = UNSET,
    properties: dict[str, Any] | None = None,
) -> Contact:
    """Change the given fields (the others stay as they are) and the given ``properties``."""
    require_staff(by)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    fields = clean_contact_fields(
        given(
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            job_title=job_title,
            language=language,
            company=company,
            owner=owner,
            hubspot_record_id=hubspot_record_id,
        )
    )
    changes = set_fields(contact, fields, field_labels(Contact))
    _check_identified(contact)
    full_clean(contact)
    changes += props.apply_properties(contact, properties or {})
    return save_with_event(contact, kind=CrmEvent.CONTACT_UPDATED, by=by, changes=changes)
