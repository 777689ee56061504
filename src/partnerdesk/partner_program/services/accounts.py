"""HubSpot accounts, their subscriptions (with MRR history), managing partners and employee
connections."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.permissions import Actor, person
from partnerdesk.core.records import UNSET, Unset, field_labels, given, set_fields
from partnerdesk.crm.models import Company

from ..events import PartnerEvent
from ..models import (
    EmployeeConnection,
    HubSpotAccount,
    ManagingPartners,
    QualifyingActivity,
    Subscription,
    SubscriptionChange,
    SubscriptionStatus,
)
from .common import (
    check_date,
    check_employee,
    check_not_before_account,
    check_not_future,
    check_period,
    clean_amount,
    clean_currency,
    clean_text,
    record_on_account,
    require_writer,
)

HUB_ID = re.compile(r"^[0-9]{1,32}$")


def _clean_hub_id(value: Any) -> str:
    hub_id = str(value or "").strip()
    if not HUB_ID.match(hub_id):
        raise DomainError(
            code="invalid_hub_id",
            message=_("A hub id is the number HubSpot shows for the account, such as 4417286."),
            field="hub_id",
        )
    return hub_id


def _hub_id_taken(hub_id: str, *, exclude: int | None = None) -> None:
    if HubSpotAccount.objects.filter(hub_id=hub_id).exclude(pk=exclude or 0).exists():
        raise conflict(
            "hub_id_taken",
            _("Another HubSpot account already has hub id %(id)s.") % {"id": hub_id},
            "hub_id",
        )


def _save_account(account: HubSpotAccount) -> None:
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        _hub_id_taken(account.hub_id, exclude=account.pk)
        raise


@transaction.atomic
def account_create(
    *,
    by: Actor,
    company: Company,
    hub_id: str,
    name: str,
    opened_on: dt.date,
    growth_market: bool = False,
) -> HubSpotAccount:
    """A client company's HubSpot account."""
    require_writer(by)
    hub_id = _clean_hub_id(hub_id)
    name = clean_text(name, "name", limit=200)
    check_date(opened_on, "opened_on")
    check_not_future(opened_on, "opened_on")
    _hub_id_taken(hub_id)
    account = HubSpotAccount(
        company=company,
        hub_id=hub_id,
        name=name,
        opened_on=opened_on,
        growth_market=bool(growth_market),
    )
    _save_account(account)
    record_on_account(
        PartnerEvent.ACCOUNT_CREATED,
        account=account,
        by=by,
        data={"hub_id": hub_id, "name": name},
    )
    return account


@transaction.atomic
def account_update(
    *,
    by: Actor,
    account: HubSpotAccount,
    hub_id: str | Unset = UNSET,
    name: str | Unset = UNSET,
    opened_on: dt.date | Unset = UNSET,
    growth_market: bool | Unset = UNSET,
) -> HubSpotAccount:
    """Change the given fields of an account (the others stay as they are)."""
    require_writer(by)
    account = HubSpotAccount.objects.select_for_update().get(pk=account.pk)
    fields = given(hub_id=hub_id, name=name, opened_on=opened_on, growth_market=growth_market)
    if "hub_id" in fields:
        fields["hub_id"] = _clean_hub_id(fields["hub_id"])
        _hub_id_taken(fields["hub_id"], exclude=account.pk)
    if "name" in fields:
        fields["name"] = clean_text(fields["name"], "name", limit=200)
    if "growth_market" in fields:
        fields["growth_market"] = bool(fields["growth_market"])
    if "opened_on" in fields:
        opened = check_date(fields["opened_on"], "opened_on")
        assert opened is not None
        check_not_future(opened, "opened_on")
        earlier = (
            QualifyingActivity.objects.filter(account=account, occurred_on__lt=opened).exists()
            or Subscription.objects.filter(account=account, start_date__lt=opened).exists()
        )
        if earlier:
            raise DomainError(
                code="records_before_opening",
                message=_(
                    "The account has activities or subscriptions dated before %(d)s: "
                    "choose a date on or before the earliest of them."
                )
                % {"d": opened.isoformat()},
                field="opened_on",
            )
    changes = set_fields(account, fields, field_labels(HubSpotAccount))
    if changes:
        _save_account(account)
        record_on_account(
            PartnerEvent.ACCOUNT_UPDATED, account=account, by=by, data={"changes": changes}
        )
    return account


# ---------------------------------------------------------------- subscriptions


def _check_seats(seats: Any, seats_used: Any) -> tuple[int, int | None]:
    def whole(value: Any, field: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DomainError(
                code="invalid_seats",
                message=_("Enter a whole number of seats, zero or more."),
                field=field,
            )
        return value

    return whole(seats, "seats"), None if seats_used is None else whole(seats_used, "seats_used")


def _lock_subscription(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update().select_related("account").get(pk=subscription.pk)
    )


def _refresh_current(subscription: Subscription) -> None:
    """The subscription's MRR and currency are those of its latest change."""
    latest = subscription.changes.order_by("-effective_on", "-id").first()
    if latest is not None:
        subscription.mrr, subscription.currency = latest.mrr, latest.currency


@transaction.atomic
def subscription_create(
    *,
    by: Actor,
    account: HubSpotAccount,
    product: str,
    mrr: Decimal | str,
    currency: str,
    start_date: dt.date,
    renewal_date: dt.date | None = None,
    seats: int = 0,
    seats_used: int | None = None,
) -> Subscription:
    """A subscription of the account; its MRR is in force from ``start_date``."""
    require_writer(by)
    product = clean_text(product, "product", limit=150)
    amount = clean_amount(mrr, "mrr", code="negative_mrr")
    code = clean_currency(currency)
    check_date(start_date, "start_date")
    check_not_before_account(account, start_date, "start_date")
    check_date(renewal_date, "renewal_date", required=False)
    if renewal_date is not None:
        check_period(start_date, renewal_date, "renewal_date")
    seat_count, used = _check_seats(seats, seats_used)
    subscription = Subscription.objects.create(
        account=account,
        product=product,
        mrr=amount,
        currency=code,
        start_date=start_date,
        renewal_date=renewal_date,
        seats=seat_count,
        seats_used=used,
    )
    SubscriptionChange.objects.create(
        subscription=subscription,
        effective_on=start_date,
        mrr=amount,
        currency=code,
        recorded_by=person(by),
    )
    record_on_account(
        PartnerEvent.SUBSCRIPTION_ADDED,
        account=account,
        by=by,
        data={
            "subscription_id": subscription.pk,
            "product": product,
            "mrr": str(amount),
            "currency": code,
            "start_date": start_date.isoformat(),
        },
    )
    return subscription


@transaction.atomic
def subscription_update(
    *,
    by: Actor,
    subscription: Subscription,
    product: str | Unset = UNSET,
    renewal_date: dt.date | Unset | None = UNSET,
    seats: int | Unset = UNSET,
    seats_used: int | Unset | None = UNSET,
    last_activity_at: dt.datetime | Unset | None = UNSET,
) -> Subscription:
    """Change a subscription's details other than its MRR (``subscription_change_mrr``)."""
    require_writer(by)
    subscription = _lock_subscription(subscription)
    fields = given(
        product=product,
        renewal_date=renewal_date,
        seats=seats,
        seats_used=seats_used,
        last_activity_at=last_activity_at,
    )
    if "product" in fields:
        fields["product"] = clean_text(fields["product"], "product", limit=150)
    if "renewal_date" in fields and fields["renewal_date"] is not None:
        check_date(fields["renewal_date"], "renewal_date")
        check_period(subscription.start_date, fields["renewal_date"], "renewal_date")
    if "seats" in fields or "seats_used" in fields:
        fields["seats"], fields["seats_used"] = _check_seats(
            fields.get("seats", subscription.seats),
            fields.get("seats_used", subscription.seats_used),
        )
    if fields.get("last_activity_at") is not None and fields["last_activity_at"] > clock.now():
        raise DomainError(
            code="date_in_future",
            message=_("The last activity cannot be in the future."),
            field="last_activity_at",
        )
    changes = set_fields(subscription, fields, field_labels(Subscription))
    if changes:
        subscription.save()
        record_on_account(
            PartnerEvent.ACCOUNT_UPDATED,
            account=subscription.account,
            by=by,
            data={"subscription_id": subscription.pk, "changes": changes},
        )
    return subscription


@transaction.atomic
def subscription_change_mrr(
    *,
    by: Actor,
    subscription: Subscription,
    mrr: Decimal | str,
    effective_on: dt.date,
    currency: str | None = None,
) -> SubscriptionChange:
    """A new MRR (and, optionally, currency) in force from ``effective_on`` (today or earlier;
    a change already recorded for that day is replaced). Points for earlier days keep the MRR
    in force then."""
    require_writer(by)
    subscription = _lock_subscription(subscription)
    amount = clean_amount(mrr, "mrr", code="negative_mrr")
    code = clean_currency(currency) if currency is not None else subscription.currency
    check_date(effective_on, "effective_on")
    check_not_future(effective_on, "effective_on")
    if effective_on < subscription.start_date:
        raise DomainError(
            code="before_start",
            message=_("The subscription starts on %(d)s: a change cannot take effect earlier.")
            % {"d": subscription.start_date.isoformat()},
            field="effective_on",
        )
    if subscription.ended_on is not None and effective_on >= subscription.ended_on:
        raise DomainError(
            code="subscription_ended",
            message=_("The subscription ended on %(d)s: its MRR cannot change after that.")
            % {"d": subscription.ended_on.isoformat()},
            field="effective_on",
        )
    previous = subscription.mrr
    change, _created = SubscriptionChange.objects.update_or_create(
        subscription=subscription,
        effective_on=effective_on,
        defaults={"mrr": amount, "currency": code, "recorded_by": person(by)},
    )
    _refresh_current(subscription)
    subscription.save(update_fields=["mrr", "currency", "updated_at"])
    record_on_account(
        PartnerEvent.SUBSCRIPTION_MRR_CHANGED,
        account=subscription.account,
        by=by,
        data={
            "subscription_id": subscription.pk,
            "product": subscription.product,
            "mrr": str(amount),
            "previous": str(previous),
            "currency": code,
            "effective_on": effective_on.isoformat(),
        },
    )
    return change


@transaction.atomic
def subscription_cancel(*, by: Actor, subscription: Subscription) -> Subscription:
    """The client cancelled: the subscription will not renew (it counts until it ends)."""
    require_writer(by)
    subscription = _lock_subscription(subscription)
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise conflict(
            "not_active",
            _("Only an active subscription can be cancelled; this one is %(s)s.")
            % {"s": subscription.get_status_display()},
        )
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.save(update_fields=["status", "updated_at"])
    record_on_account(
        PartnerEvent.SUBSCRIPTION_CANCELLED,
        account=subscription.account,
        by=by,
        data={"subscription_id": subscription.pk, "product": subscription.product},
    )
    return subscription


@transaction.atomic
def subscription_end(*, by: Actor, subscription: Subscription, ended_on: dt.date) -> Subscription:
    """The subscription stops on ``ended_on`` (today or earlier): from that day its MRR is 0."""
    require_writer(by)
    subscription = _lock_subscription(subscription)
    if subscription.status == SubscriptionStatus.ENDED:
        raise conflict("already_ended", _("This subscription has already ended."))
    check_date(ended_on, "ended_on")
    check_not_future(ended_on, "ended_on")
    check_period(subscription.start_date, ended_on)
    if subscription.changes.filter(effective_on__gt=ended_on).exists():
        raise DomainError(
            code="changes_after_end",
            message=_(
                "The subscription has MRR changes after %(d)s: end it on or after the last one."
            )
            % {"d": ended_on.isoformat()},
            field="ended_on",
        )
    SubscriptionChange.objects.update_or_create(
        subscription=subscription,
        effective_on=ended_on,
        defaults={
            "mrr": Decimal(0),
            "currency": subscription.currency,
            "recorded_by": person(by),
        },
    )
    subscription.status, subscription.ended_on = SubscriptionStatus.ENDED, ended_on
    _refresh_current(subscription)
    subscription.save(update_fields=["status", "ended_on", "mrr", "updated_at"])
    record_on_account(
        PartnerEvent.SUBSCRIPTION_ENDED,
        account=subscription.account,
        by=by,
        data={
            "subscription_id": subscription.pk,
            "product": subscription.product,
            "ended_on": ended_on.isoformat(),
        },
    )
    return subscription


# ---------------------------------------------------------------- partners and connections


@transaction.atomic
def managing_partners_set(
    *, by: Actor, account: HubSpotAccount, count: int, effective_from: dt.date
) -> ManagingPartners:
    """How many partners manage the account from ``effective_from`` (the agency included);
    the managed MRR is split equally among them. A version for that day is replaced."""
    require_writer(by)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise DomainError(
            code="invalid_count",
            message=_("Enter the number of partners managing the account: 1 or more."),
            field="count",
        )
    check_date(effective_from, "effective_from")
    check_not_before_account(account, effective_from, "effective_from")
    row, _created = ManagingPartners.objects.update_or_create(
        account=account, effective_from=effective_from, defaults={"count": count}
    )
    record_on_account(
        PartnerEvent.MANAGING_PARTNERS_SET,
        account=account,
        by=by,
        data={"count": count, "effective_from": effective_from.isoformat()},
    )
    return row


@transaction.atomic
def connection_confirm(
    *,
    by: Actor,
    account: HubSpotAccount,
    employee: Any,
    in_partner_account: bool,
    client_assigned: bool,
    in_client_account: bool,
) -> EmployeeConnection:
    """Record how an employee is connected to the account, as checked today in HubSpot."""
    require_writer(by)
    check_employee(employee)
    connection, _created = EmployeeConnection.objects.update_or_create(
        employee=employee,
        account=account,
        defaults={
            "in_partner_account": bool(in_partner_account),
            "client_assigned": bool(client_assigned),
            "in_client_account": bool(in_client_account),
            "confirmed_at": clock.now(),
            "confirmed_by": person(by),
        },
    )
    record_on_account(
        PartnerEvent.CONNECTION_CONFIRMED,
        account=account,
        by=by,
        data={
            "employee_id": employee.pk,
            "employee": str(employee),
            "in_partner_account": connection.in_partner_account,
            "client_assigned": connection.client_assigned,
            "in_client_account": connection.in_client_account,
        },
    )
    return connection
