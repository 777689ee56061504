"""What the partner program's services share: who may write, today's date, input checks that
raise ``DomainError``, and recording an event on an account's timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError, forbidden
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import Actor, person, require_manager, require_staff

from ..models import CurrencyRate, HubSpotAccount

MAX_MRR = Decimal("999999999999.99")


def today() -> dt.date:
    """The agency's current day (``core.clock``, in the server's time zone)."""
    return timezone.localdate(clock.now())


def require_writer(by: Actor) -> None:
    """Admins and managers change the partner program (agents only record their own
    activities)."""
    require_manager(by, _("Only an admin or a manager can change the partner program."))


def require_activity_writer(by: Actor, employee: Any) -> None:
    """Managers and admins record anyone's activities; an agent only their own."""
    require_staff(by)
    if not by.is_manager_or_admin and getattr(employee, "pk", None) != by.pk:
        raise forbidden(_("An agent can only record their own qualifying activities."))


def check_employee(employee: Any, field: str = "employee") -> None:
    if (
        employee is None
        or not getattr(employee, "is_agency_staff", False)
        or not employee.is_active
    ):
        raise DomainError(
            code="invalid_employee",
            message=_("Choose an active agency employee."),
            field=field,
        )


def check_date(value: Any, field: str, *, required: bool = True) -> dt.date | None:
    if value is None and not required:
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise DomainError(
            code="invalid_date", message=_("Enter a date such as 2025-01-31."), field=field
        )
    return value


def check_not_future(value: dt.date, field: str) -> None:
    if value > today():
        raise DomainError(
            code="date_in_future",
            message=_("The date %(d)s is in the future: enter today's date or an earlier one.")
            % {"d": value.isoformat()},
            field=field,
        )


def check_period(started_on: dt.date, ended_on: dt.date | None, field: str = "ended_on") -> None:
    if ended_on is not None and ended_on < started_on:
        raise DomainError(
            code="end_before_start",
            message=_("The end date %(end)s is before the start date %(start)s.")
            % {"end": ended_on.isoformat(), "start": started_on.isoformat()},
            field=field,
        )


def check_not_before_account(account: HubSpotAccount, value: dt.date, field: str) -> None:
    if value < account.opened_on:
        raise DomainError(
            code="before_account_opened",
            message=_(
                "The date %(d)s is before the HubSpot account %(account)s was opened (%(opened)s)."
            )
            % {"d": value.isoformat(), "account": account.name, "opened": account.opened_on},
            field=field,
        )


def clean_text(value: Any, field: str, *, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise DomainError(code="required", message=_("This field is required."), field=field)
    if len(text) > limit:
        raise DomainError(
            code="too_long",
            message=_("Keep it under %(n)s characters.") % {"n": limit + 1},
            field=field,
        )
    return text


def clean_amount(value: Any, field: str, *, code: str = "negative_amount") -> Decimal:
    """A money amount of at most two decimal places, zero or more."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(
            code="invalid_amount", message=_("Enter an amount such as 1250.00."), field=field
        ) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or amount > MAX_MRR:  # type: ignore[operator]
        raise DomainError(
            code="invalid_amount",
            message=_("Enter an amount with at most two decimals, such as 1250.00."),
            field=field,
        )
    if amount < 0:
        raise DomainError(code=code, message=_("The amount cannot be negative."), field=field)
    return amount.quantize(Decimal("0.01"))


def clean_currency(value: Any, field: str = "currency") -> str:
    """An ISO currency code the currency table knows."""
    code = str(value or "").strip().upper()
    if not CurrencyRate.objects.filter(currency=code).exists():
        raise DomainError(
            code="unknown_currency",
            message=_("“%(c)s” is not in the currency table: add its amount worth 100 USD first.")
            % {"c": code or "—"},
            field=field,
        )
    return code


def record(kind: str, *, subject: Model, by: Actor, data: dict, company_id: int | None = None):
    """Record ``kind`` on ``subject``'s timeline in the caller's transaction."""
    return record_event(
        kind=kind, subject=subject, actor=person(by), company_id=company_id, data=data
    )


def record_on_account(kind: str, *, account: HubSpotAccount, by: Actor, data: dict):
    """Record ``kind`` on the account's timeline (and its client company's)."""
    return record(kind, subject=account, by=by, company_id=account.company_id, data=data)
