"""Companies: create and update, with the rules of their fields."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core.errors import DomainError
from partnerdesk.core.permissions import Actor, require_staff
from partnerdesk.core.records import check_owner, field_labels, full_clean, set_fields

from .. import properties as props
from ..events import CrmEvent
from ..models import Company, Lifecycle
from .shared import UNSET, Unset, given, save_with_event

DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def check_timezone(name: str) -> None:
    if name:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise DomainError(
                code="invalid_timezone",
                message=_("“%(tz)s” is not a time zone name such as Europe/Rome.") % {"tz": name},
                field="timezone",
            ) from None


def normalize_domain(domain: str | None) -> str:
    """A bare host name: scheme, www. and path removed; each label letters, digits or hyphens."""
    domain = (domain or "").strip().lower()
    for prefix in ("https://", "http://"):
        domain = domain.removeprefix(prefix)
    domain = domain.split("/")[0].removeprefix("www.").rstrip(".")
    if not domain:
        return domain
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_domain = ""
    labels = ascii_domain.split(".")
    if (
        len(labels) < 2
        or len(ascii_domain) > 253
        or not all(DOMAIN_LABEL.match(label) for label in labels)
    ):
        raise DomainError(
            code="invalid_domain",
            message=_("“%(d)s” is not a domain name such as example.com.") % {"d": domain},
            field="domain",
        )
    return domain


def clean_company_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The given company fields, normalised; a DomainError on the first one that breaks a rule.
    (The CSV import checks its cells with this too, one field at a time.)"""
    fields = dict(fields)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise DomainError(code="required", message=_("A company needs a name."), field="name")
    if "domain" in fields:
        fields["domain"] = normalize_domain(fields["domain"])
    if "country" in fields:
        fields["country"] = (fields["country"] or "").strip().upper()
        if fields["country"] and (len(fields["country"]) != 2 or not fields["country"].isalpha()):
            raise DomainError(
                code="invalid_country",
                message=_("The country must be a two-letter code such as IT or EG."),
                field="country",
            )
    if "timezone" in fields:
        fields["timezone"] = (fields["timezone"] or "").strip()
        check_timezone(fields["timezone"])
    if "lifecycle" in fields and fields["lifecycle"] not in Lifecycle.values:
        raise DomainError(
            code="invalid_choice",
            message=_("Lifecycle must be one of: %(v)s.") % {"v": ", ".join(Lifecycle.values)},
            field="lifecycle",
        )
    if "owner" in fields:
        check_owner(fields["owner"])
    return fields


@transaction.atomic
def company_create(
    *,
    by: Actor,
    name: str,
    domain: str = "",
    country: str = "",
    timezone: str = "",
    hub_id: str = "",
    owner: User | None = None,
    lifecycle: str = Lifecycle.CLIENT,
    hubspot_record_id: str | None = None,
    properties: dict[str, Any] | None = None,
) -> Company:
    require_staff(by)
    fields = clean_company_fields(
        {
            "name": name,
            "domain": domain,
            "country": country,
            "timezone": timezone,
            "hub_id": hub_id,
            "owner": owner,
            "lifecycle": lifecycle,
            "hubspot_record_id": hubspot_record_id,
        }
    )
    company = Company(**fields)
    full_clean(company)
    props.apply_properties(company, properties or {})
    return save_with_event(company, kind=CrmEvent.COMPANY_CREATED, by=by, changes=[], created=True)


@transaction.atomic
def company_update(
    *,
    company: Company,
    by: Actor,
    name: str | Unset = UNSET,
    domain: str | Unset = UNSET,
    country: str | Unset = UNSET,
    timezone: str | Unset = UNSET,
    hub_id: str | Unset = UNSET,
    owner: User | Unset | None = UNSET,
    lifecycle: str | Unset = UNSET,
    hubspot_record_id: str | Unset | None = UNSET,
    properties: dict[str, Any] | None = None,
) -> Company:
    """Change the given fields (the others stay as they are) and the given ``properties``."""
    require_staff(by)
    company = Company.objects.select_for_update().get(pk=company.pk)
    fields = clean_company_fields(
        given(
            name=name,
            domain=domain,
            country=country,
            timezone=timezone,
            hub_id=hub_id,
            owner=owner,
            lifecycle=lifecycle,
            hubspot_record_id=hubspot_record_id,
        )
    )
    changes = set_fields(company, fields, field_labels(Company))
    full_clean(company)
    changes += props.apply_properties(company, properties or {})
    return save_with_event(company, kind=CrmEvent.COMPANY_UPDATED, by=by, changes=changes)
