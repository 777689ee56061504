"""How an account's points on a day were computed, for its page and the API: the figures of
``points`` (one query for the account, one for its subscriptions) laid out step by step, and
the managed-credit conditions with the one that fails, in words a manager can check against
HubSpot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max, OuterRef, Subquery
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import points
from .models import EmployeeConnection, HubSpotAccount, ProgramSettings, QualifyingActivity


@dataclass
class Condition:
    key: str  # managed_relationship, recent_activity, connected_employee
    ok: bool
    text: str


@dataclass
class AccountFigures:
    day: dt.date
    account: Any  # the account row annotated by points.account_points
    subscriptions: list[dict[str, Any]]
    rates: points.Rates
    end_days: int
    cutoff: dt.date
    conditions: list[Condition] = field(default_factory=list)

    @property
    def failing(self) -> list[Condition]:
        return [c for c in self.conditions if not c.ok]

    @property
    def totals(self) -> dict[str, Decimal]:
        row = self.account
        return {
            "usd": points.to_decimal(row.usd),
            "sourced": points.to_decimal(row.sourced_points),
            "assisted": points.to_decimal(row.assisted_points),
            "managed": points.to_decimal(row.managed_points),
            "sold": points.to_decimal(row.sold_points),
            "total": points.to_decimal(row.total_points),
        }


def _num(value: Any, places: int = 2) -> str:
    return formats.number_format(
        Decimal(str(value or 0)), places, use_l10n=True, force_grouping=True
    )


def _exact(value: Any, most: int = 4) -> str:
    """A rate or unit count with only the decimals it needs (at most ``most``)."""
    number = Decimal(str(value or 0)).quantize(Decimal(1).scaleb(-most)).normalize()
    places = max(0, -number.as_tuple().exponent)  # type: ignore[operator]
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


def _date(day: dt.date | None) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else "—"


def subscription_steps(row: dict[str, Any], rates: points.Rates) -> list[str]:
    """The computation of one subscription's points (a ``points.breakdown`` dict), step by step."""
    if row.get("per_100_usd") is None:
        return [
            _("No amount worth 100 USD is in force for %(c)s: this subscription earns nothing.")
            % {"c": row.get("currency") or "—"}
        ]
    units = Decimal(row["usd"]) / 100
    steps = [
        _("%(mrr)s %(c)s ÷ %(per)s %(c)s per 100 USD = %(units)s × 100 USD")
        % {
            "mrr": _num(row["mrr"]),
            "c": row["currency"],
            "per": _exact(row["per_100_usd"]),
            "units": _exact(units),
        }
    ]
    growth = (
        _(" × %(m)s (growth market)") % {"m": _exact(row["multiplier"], 3)}
        if row["growth_market"]
        else ""
    )
    for kind, label, rate, figure in (
        ("sourced", _("sourced"), rates.sourced, row["sourced_points"]),
        ("assisted", _("assisted"), rates.assisted, row["assisted_points"]),
    ):
        if row[kind]:
            steps.append(
                _("%(label)s: %(units)s × %(rate)s%(growth)s = %(points)s points")
                % {
                    "label": label.capitalize(),
                    "units": _exact(units),
                    "rate": _exact(rate, 3),
                    "growth": growth,
                    "points": _num(figure),
                }
            )
    if row["managed"]:
        if row["managed_credit"]:
            split = (
                _(" ÷ %(n)s managing partners") % {"n": row["split"]} if row["split"] > 1 else ""
            )
            steps.append(
                _("Managed: %(units)s × %(rate)s%(growth)s%(split)s = %(points)s points")
                % {
                    "units": _exact(units),
                    "rate": _exact(rates.managed, 3),
                    "growth": growth,
                    "split": split,
                    "points": _num(row["managed_points"]),
                }
            )
        else:
            steps.append(_("Managed: no managed credit today (see the conditions), 0 points"))
    return steps


def _conditions(account: HubSpotAccount, row: Any, cutoff: dt.date, end_days: int) -> list:
    managed = bool(row.is_managed)
    if managed:
        relationship = Condition(
            "managed_relationship", True, _("A managed relationship is in force.")
        )
    elif account.services_ended_on:
        relationship = Condition(
            "managed_relationship",
            False,
            _("Services ended on %(d)s: no managed relationship.")
            % {"d": _date(account.services_ended_on)},
        )
    else:
        relationship = Condition(
            "managed_relationship",
            False,
            _("No managed relationship is in force: it starts with a qualifying activity."),
        )
    last = row.last_activity_on
    if last is None:
        activity = Condition(
            "recent_activity", False, _("No qualifying activity has been recorded.")
        )
    elif last >= cutoff:
        activity = Condition(
            "recent_activity",
            True,
            _("The last qualifying activity was on %(d)s (credit runs through %(until)s).")
            % {"d": _date(last), "until": _date(last + dt.timedelta(days=end_days))},
        )
    else:
        activity = Condition(
            "recent_activity",
            False,
            _("The last qualifying activity was on %(d)s, more than %(n)s days ago.")
            % {"d": _date(last), "n": end_days},
        )
    if row.connected_employees:
        connected = Condition(
            "connected_employee",
            True,
            ngettext(
                "%(n)s active employee is correctly connected.",
                "%(n)s active employees are correctly connected.",
                row.connected_employees,
            )
            % {"n": row.connected_employees},
        )
    else:
        connected = Condition(
            "connected_employee",
            False,
            _(
                "No active employee is correctly connected (user in the partner account, client "
                "assigned, same user in the client's account)."
            ),
        )
    return [relationship, activity, connected]


def account_figures(account: HubSpotAccount, day: dt.date) -> AccountFigures:
    """The account's points on ``day`` and how they were computed (a few queries)."""
    settings = ProgramSettings.load()
    accounts = HubSpotAccount.objects.filter(pk=account.pk)
    row = points.account_points(day, accounts=accounts).get()
    rates = points.rates_on(day)
    subscriptions = []
    for sub in points.subscription_points(day, accounts=accounts):
        figures = points.breakdown(sub)
        figures["status"] = sub.status
        figures["steps"] = subscription_steps(figures, rates)
        subscriptions.append(figures)
    cutoff = points.credit_cutoff(day, settings.relationship_end_days)
    result = AccountFigures(
        day=day,
        account=row,
        subscriptions=subscriptions,
        rates=rates,
        end_days=settings.relationship_end_days,
        cutoff=cutoff,
    )
    result.conditions = _conditions(account, row, cutoff, settings.relationship_end_days)
    return result


def connection_rows(
    account: HubSpotAccount,
    *,
    offset: int = 0,
    limit: int | None = None,
    employee_id: int | None = None,
) -> list[dict[str, Any]]:
    """Each employee connection (``offset``/``limit``: a page of them; ``employee_id``: that
    employee's) with the flags that fail and the employee's last qualifying activity on the
    account (one query)."""
    last = (
        QualifyingActivity.objects.filter(account=account, employee=OuterRef("employee_id"))
        .order_by()
        .values("employee")
        .annotate(last=Max("occurred_on"))
        .values("last")
    )
    labels = {
        "in_partner_account": _("not a user in the partner account"),
        "client_assigned": _("the client is not assigned to the user"),
        "in_client_account": _("not a user in the client's account"),
    }
    rows = []
    connections = (
        EmployeeConnection.objects.filter(account=account)
        .select_related("employee", "confirmed_by")
        .annotate(last_activity_on=Subquery(last))
        .order_by("employee__full_name", "employee__email", "pk")
    )
    if employee_id is not None:
        connections = connections.filter(employee_id=employee_id)
    end = None if limit is None else offset + limit
    for connection in connections[offset:end]:
        failing = [text for name, text in labels.items() if not getattr(connection, name)]
        if not connection.employee.is_active:
            failing.append(_("the employee's account is inactive"))
        rows.append({"connection": connection, "failing": failing, "ok": not failing})
    return rows
