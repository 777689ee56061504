"""Every write of the partner dashboard: renewal decisions, the renewal communication owner,
the renewal settings, the agency's HubSpot team, and alerts a user puts away.

Admins and managers use the dashboard; the renewal settings and the HubSpot team are the
admins'. Each write is recorded on the client's HubSpot account (or the changed row), except
putting an alert away, which is a person's own view.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import (
    Actor,
    person,
    require_admin,
    require_manager,
    require_staff,
)
from partnerdesk.core.records import UNSET, Unset, field_labels, given, set_fields
from partnerdesk.crm.models import Contact
from partnerdesk.partner_program.models import HubSpotAccount, Subscription, SubscriptionStatus
from partnerdesk.partner_program.services.common import clean_amount, clean_text

from .events import DashboardEvent
from .models import (
    AlertDismissal,
    DefaultOwner,
    HubSpotTeamMember,
    OwnerMode,
    Renewal,
    RenewalOwner,
    RenewalSettings,
    RenewalStatus,
    TeamRole,
)
from .renewals import clean_offsets

MAX_WINDOW_DAYS = 730
MAX_REMINDER_DAYS = 365


def _require_dashboard_user(by: Actor) -> None:
    require_manager(by, _("Only an admin or a manager can change renewals."))


def _record_on_account(kind: str, *, account: HubSpotAccount, by: Actor, data: dict) -> None:
    record_event(
        kind=kind, subject=account, actor=person(by), company_id=account.company_id, data=data
    )


def _agency_user(user: Any, field: str) -> None:
    if user is None:
        return
    if not getattr(user, "is_agency_staff", False) or not user.is_active:
        raise DomainError(
            code="invalid_user", message=_("Choose an active agency user."), field=field
        )


# ---------------------------------------------------------------- renewals


def renewal_row(subscription: Subscription) -> Renewal:
    """The row of the subscription's current renewal date, created pending if there is none,
    and locked for the caller's transaction."""
    assert subscription.renewal_date is not None
    Renewal.objects.get_or_create(subscription=subscription, renews_on=subscription.renewal_date)
    return Renewal.objects.select_for_update().get(
        subscription=subscription, renews_on=subscription.renewal_date
    )


def _renewable(subscription: Subscription) -> Subscription:
    """The subscription, locked, if it has a renewal to decide on."""
    subscription = (
        Subscription.objects.select_for_update().select_related("account").get(pk=subscription.pk)
    )
    if subscription.renewal_date is None or subscription.status != SubscriptionStatus.ACTIVE:
        raise conflict(
            "no_renewal",
            _("%(product)s has no upcoming renewal: it has no renewal date or does not renew.")
            % {"product": subscription.product},
        )
    if subscription.account.services_ended_on is not None:
        raise conflict(
            "services_ended",
            _("Services to this client ended on %(d)s: its renewals are no longer followed.")
            % {"d": subscription.account.services_ended_on.isoformat()},
        )
    return subscription


@transaction.atomic
def renewal_update(
    *,
    by: Actor,
    subscription: Subscription,
    status: str | Unset = UNSET,
    renewal_mrr: Decimal | str | Unset | None = UNSET,
    notes: str | Unset = UNSET,
) -> Renewal:
    """Record the status, the renewal MRR (None: the current MRR) or notes of the
    subscription's upcoming renewal."""
    _require_dashboard_user(by)
    subscription = _renewable(subscription)
    fields = given(status=status, renewal_mrr=renewal_mrr, notes=notes)
    if "status" in fields and fields["status"] not in RenewalStatus.values:
        raise DomainError(
            code="invalid_status",
            message=_("Choose pending, confirmed, renewed or cancellation requested."),
            field="status",
        )
    if fields.get("renewal_mrr") is not None:
        fields["renewal_mrr"] = clean_amount(
            fields["renewal_mrr"], "renewal_mrr", code="negative_mrr"
        )
    if "notes" in fields:
        fields["notes"] = clean_text(fields["notes"], "notes", limit=4000, required=False)
    renewal = renewal_row(subscription)
    changes = set_fields(renewal, fields, field_labels(Renewal))
    if changes:
        renewal.updated_by = person(by)
        renewal.save()
        _record_on_account(
            DashboardEvent.RENEWAL_UPDATED,
            account=subscription.account,
            by=by,
            data={
                "subscription_id": subscription.pk,
                "product": subscription.product,
                "renews_on": subscription.renewal_date.isoformat(),  # type: ignore[union-attr]
                "changes": changes,
            },
        )
    return renewal


def _owner_row(account: HubSpotAccount) -> RenewalOwner:
    HubSpotAccount.objects.select_for_update().get(pk=account.pk)
    owner, _created = RenewalOwner.objects.get_or_create(account=account)
    return owner


@transaction.atomic
def renewal_owner_set(
    *,
    by: Actor,
    account: HubSpotAccount,
    mode: str,
    decision_maker: Contact | None = None,
    copied_user: User | None = None,
    point_of_contact: User | None = None,
) -> RenewalOwner:
    """Who relays the client's renewals: the default setting, HubSpot (notices to the client's
    decision maker, a partner user copied if chosen) or Partner (notices to the agency's point
    of contact). HubSpot needs a decision maker with an email, a contact of the client's
    company; Partner needs a point of contact who is an active agency user."""
    _require_dashboard_user(by)
    if mode not in OwnerMode.values:
        raise DomainError(
            code="invalid_mode",
            message=_("Choose the default setting, HubSpot or Partner."),
            field="mode",
        )
    if decision_maker is not None and (
        decision_maker.company_id != account.company_id or not decision_maker.email
    ):
        raise DomainError(
            code="invalid_decision_maker",
            message=_("Choose a contact of %(company)s who has an email address.")
            % {"company": account.company},
            field="decision_maker",
        )
    if mode == OwnerMode.HUBSPOT and decision_maker is None:
        raise DomainError(
            code="decision_maker_required",
            message=_("HubSpot sends the notices to the client's decision maker: choose one."),
            field="decision_maker",
        )
    _agency_user(copied_user, "copied_user")
    _agency_user(point_of_contact, "point_of_contact")
    if mode == OwnerMode.PARTNER and point_of_contact is None:
        raise DomainError(
            code="point_of_contact_required",
            message=_("Partner sends the notices to a point of contact at the agency: choose one."),
            field="point_of_contact",
        )
    owner = _owner_row(account)
    changes = set_fields(
        owner,
        {
            "mode": mode,
            "decision_maker": decision_maker,
            "copied_user": copied_user,
            "point_of_contact": point_of_contact,
        },
        field_labels(RenewalOwner),
    )
    if changes:
        owner.updated_by = person(by)
        owner.save()
        _record_on_account(
            DashboardEvent.RENEWAL_OWNER_SET, account=account, by=by, data={"changes": changes}
        )
    return owner


@transaction.atomic
def renewal_manager_set(
    *, by: Actor, account: HubSpotAccount, name: str, email: str
) -> RenewalOwner:
    """HubSpot's renewal manager for the client (blank both to clear), for one-click email."""
    _require_dashboard_user(by)
    name = clean_text(name, "renewal_manager_name", limit=150, required=False)
    email = clean_text(email, "renewal_manager_email", limit=254, required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(
                code="invalid_email",
                message=_("Enter an email address such as name@hubspot.com."),
                field="renewal_manager_email",
            ) from None
    owner = _owner_row(account)
    changes = set_fields(
        owner,
        {"renewal_manager_name": name, "renewal_manager_email": email},
        field_labels(RenewalOwner),
    )
    if changes:
        owner.updated_by = person(by)
        owner.save()
        _record_on_account(
            DashboardEvent.RENEWAL_MANAGER_SET, account=account, by=by, data={"changes": changes}
        )
    return owner


@transaction.atomic
def renewal_settings_update(
    *,
    by: Actor,
    window_days: int | Unset = UNSET,
    reminder_days: list[int] | Unset = UNSET,
    default_owner: str | Unset = UNSET,
    default_point_of_contact: User | Unset | None = UNSET,
) -> RenewalSettings:
    """The renewals window, the reminder days before the deadline, and the default renewal
    communication owner (with the point of contact Partner-mode clients default to)."""
    require_admin(by)
    RenewalSettings.load()
    settings = RenewalSettings.objects.select_for_update().get(pk=1)
    fields = given(
        window_days=window_days,
        reminder_days=reminder_days,
        default_owner=default_owner,
        default_point_of_contact=default_point_of_contact,
    )
    if "window_days" in fields:
        value = fields["window_days"]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_WINDOW_DAYS
        ):
            raise DomainError(
                code="invalid_days",
                message=_("Enter a number of days from 1 to %(n)s.") % {"n": MAX_WINDOW_DAYS},
                field="window_days",
            )
    if "reminder_days" in fields:
        values = fields["reminder_days"]
        if not isinstance(values, list | tuple) or any(
            isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_REMINDER_DAYS
            for v in values
        ):
            raise DomainError(
                code="invalid_reminder_days",
                message=_(
                    "Enter whole numbers of days before the deadline from 0 to %(n)s, "
                    "such as 30, 14, 7, 1 (none: no reminders)."
                )
                % {"n": MAX_REMINDER_DAYS},
                field="reminder_days",
            )
        fields["reminder_days"] = clean_offsets(values)
    if "default_owner" in fields and fields["default_owner"] not in DefaultOwner.values:
        raise DomainError(
            code="invalid_mode", message=_("Choose HubSpot or Partner."), field="default_owner"
        )
    if "default_point_of_contact" in fields:
        _agency_user(fields["default_point_of_contact"], "default_point_of_contact")
    changes = set_fields(settings, fields, field_labels(RenewalSettings))
    if changes:
        settings.save()
        record_event(
            kind=DashboardEvent.RENEWAL_SETTINGS_CHANGED,
            subject=settings,
            actor=person(by),
            data={"changes": changes},
        )
    return settings


# ---------------------------------------------------------------- the HubSpot team


@transaction.atomic
def team_member_save(
    *,
    by: Actor,
    role: str,
    name: str,
    email: str,
    photo_url: str = "",
    description: str = "",
) -> HubSpotTeamMember:
    """The agency's Channel Account Manager or Channel Consultant at HubSpot (one per role)."""
    require_admin(by)
    if role not in TeamRole.values:
        raise DomainError(
            code="invalid_role",
            message=_("Choose Channel Account Manager or Channel Consultant."),
            field="role",
        )
    name = clean_text(name, "name", limit=150)
    email = clean_text(email, "email", limit=254)
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            code="invalid_email",
            message=_("Enter an email address such as name@hubspot.com."),
            field="email",
        ) from None
    photo_url = clean_text(photo_url, "photo_url", limit=500, required=False)
    if photo_url:
        try:
            URLValidator(schemes=["https"])(photo_url)
        except ValidationError:
            raise DomainError(
                code="invalid_url",
                message=_("Enter an https:// address of the photo, or leave it blank."),
                field="photo_url",
            ) from None
    description = clean_text(description, "description", limit=2000, required=False)
    member = HubSpotTeamMember.objects.select_for_update().filter(role=role).first()
    created = member is None
    if member is None:
        member = HubSpotTeamMember(role=role)
    changes = set_fields(
        member,
        {"name": name, "email": email, "photo_url": photo_url, "description": description},
        field_labels(HubSpotTeamMember),
    )
    if changes or created:
        member.save()
        record_event(
            kind=DashboardEvent.TEAM_MEMBER_SAVED,
            subject=member,
            actor=person(by),
            data={"role": role, "name": name, "created": created, "changes": changes},
        )
    return member


# ---------------------------------------------------------------- alerts


@transaction.atomic
def alert_dismiss(*, by: Actor, key: str, fingerprint: str) -> AlertDismissal:
    """Put an alert away for ``by`` while its condition reads ``fingerprint``
    (``selectors.fingerprint``); a changed condition brings it back."""
    require_staff(by)
    key = clean_text(key, "key", limit=200)
    fingerprint = clean_text(fingerprint, "fingerprint", limit=64)
    dismissal, _created = AlertDismissal.objects.update_or_create(
        user=by, key=key, defaults={"fingerprint": fingerprint, "dismissed_at": clock.now()}
    )
    return dismissal
