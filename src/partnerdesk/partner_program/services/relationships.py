"""The agency's relationships to an account and the managed relationship's lifecycle.

Relationship periods are ``[started_on, ended_on)``; periods of one kind never overlap on an
account. The managed relationship (seed 003):

- **starts** with the first qualifying activity (``note_activity``, called by the activity
  services) unless services to the client have ended;
- **continues** while activities continue: an activity on day A keeps it through A + 60 days;
- **ends** on A + 61 days, A the last activity (``lapse_relationships``, the daily job; removing
  or disconnecting employees does not end it sooner) — or at once with *end services*
  (``services_end``), which also stops automatic starts until a managed relationship is added
  again by hand.

A managed period opened by hand counts its start day like an activity day.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.permissions import SYSTEM, Actor, person

from ..events import PartnerEvent
from ..models import (
    EndReason,
    HubSpotAccount,
    ProgramSettings,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
)
from .common import (
    check_date,
    check_not_before_account,
    check_period,
    clean_text,
    record_on_account,
    require_writer,
    today,
)


def _lock_account(account: HubSpotAccount) -> HubSpotAccount:
    """Lock the account row: every change of its relationship periods is serialised on it."""
    return HubSpotAccount.objects.select_for_update().get(pk=account.pk)


def _overlapping(account: HubSpotAccount, kind: str, start: dt.date, end: dt.date | None):
    """Periods of ``kind`` on ``account`` that share a day with ``[start, end)``."""
    rows = Relationship.objects.filter(account=account, kind=kind).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=start)
    )
    return rows if end is None else rows.filter(started_on__lt=end)


def _clean_kind(kind: str) -> RelationshipKind:
    try:
        return RelationshipKind(kind)
    except ValueError:
        raise DomainError(
            code="invalid_kind",
            message=_("Choose sourced, assisted or managed."),
            field="kind",
        ) from None


def _started(period: Relationship, *, by: Actor) -> None:
    record_on_account(
        PartnerEvent.RELATIONSHIP_STARTED,
        account=period.account,
        by=by,
        data={
            "relationship_id": period.pk,
            "kind": period.kind,
            "started_on": period.started_on.isoformat(),
            "ended_on": period.ended_on.isoformat() if period.ended_on else None,
            "automatic": period.automatic,
        },
    )


def _ended(period: Relationship, *, by: Actor) -> None:
    assert period.ended_on is not None
    record_on_account(
        PartnerEvent.RELATIONSHIP_ENDED,
        account=period.account,
        by=by,
        data={
            "relationship_id": period.pk,
            "kind": period.kind,
            "ended_on": period.ended_on.isoformat(),
            "reason": period.end_reason,
            "note": period.end_note,
        },
    )


@transaction.atomic
def relationship_add(
    *,
    by: Actor,
    account: HubSpotAccount,
    kind: str,
    started_on: dt.date,
    ended_on: dt.date | None = None,
) -> Relationship:
    """A period of the agency's relationship to the account (no end: it goes on). Adding an
    open managed period by hand resumes services to a client whose services had ended."""
    require_writer(by)
    relationship_kind = _clean_kind(kind)
    check_date(started_on, "started_on")
    check_date(ended_on, "ended_on", required=False)
    check_period(started_on, ended_on)
    account = _lock_account(account)
    check_not_before_account(account, started_on, "started_on")
    clash = _overlapping(account, relationship_kind, started_on, ended_on).first()
    if clash is not None:
        # Bad input (issue 10, part 9), not a clash with someone else's write: a 422 on the
        # field, like every other refused date.
        raise DomainError(
            code="overlapping_relationship",
            field="started_on",
            message=_(
                "The account already has a %(kind)s relationship from %(start)s%(until)s: "
                "periods of one kind cannot overlap."
            )
            % {
                "kind": clash.get_kind_display().lower(),
                "start": clash.started_on.isoformat(),
                "until": _(" until %(d)s") % {"d": clash.ended_on.isoformat()}
                if clash.ended_on
                else "",
            },
        )
    period = Relationship.objects.create(
        account=account,
        kind=relationship_kind,
        started_on=started_on,
        ended_on=ended_on,
        end_reason=EndReason.MANUAL if ended_on else "",
        ended_by=person(by) if ended_on else None,
    )
    if (
        relationship_kind == RelationshipKind.MANAGED
        and ended_on is None
        and account.services_ended_on is not None
    ):
        account.services_ended_on = None
        account.save(update_fields=["services_ended_on", "updated_at"])
    _started(period, by=by)
    return period


@transaction.atomic
def relationship_end(
    *, by: Actor, relationship: Relationship, ended_on: dt.date, note: str = ""
) -> Relationship:
    """End an open relationship: ``ended_on`` is its first day without the relationship."""
    require_writer(by)
    check_date(ended_on, "ended_on")
    note = clean_text(note, "note", limit=2000, required=False)
    _lock_account(relationship.account)
    period = Relationship.objects.select_related("account").get(pk=relationship.pk)
    if period.ended_on is not None:
        raise conflict(
            "already_ended",
            _("This relationship already ended on %(d)s.") % {"d": period.ended_on.isoformat()},
        )
    check_period(period.started_on, ended_on)
    period.ended_on, period.end_reason = ended_on, EndReason.MANUAL
    period.end_note, period.ended_by = note, person(by)
    period.save()
    _ended(period, by=by)
    return period


@transaction.atomic
def services_end(*, by: Actor, account: HubSpotAccount, reason: str) -> HubSpotAccount:
    """*End services* for the client: the managed relationship ends today (no managed points
    from today on) and no qualifying activity starts a new one until a managed relationship
    is added again by hand. The page asks for confirmation before calling this."""
    require_writer(by)
    reason = clean_text(reason, "reason", limit=2000)
    account = _lock_account(account)
    if account.services_ended_on is not None:
        raise conflict(
            "services_already_ended",
            _("Services to this client already ended on %(d)s.")
            % {"d": account.services_ended_on.isoformat()},
        )
    day = today()
    account.services_ended_on = day
    account.save(update_fields=["services_ended_on", "updated_at"])
    period = Relationship.objects.filter(
        account=account, kind=RelationshipKind.MANAGED, ended_on__isnull=True
    ).first()
    if period is not None:
        period.ended_on = max(day, period.started_on)
        period.end_reason, period.end_note, period.ended_by = (
            EndReason.SERVICES_ENDED,
            reason,
            person(by),
        )
        period.save()
        period.account = account
        _ended(period, by=by)
    record_on_account(
        PartnerEvent.SERVICES_ENDED,
        account=account,
        by=by,
        data={"ended_on": day.isoformat(), "reason": reason},
    )
    return account


# ---------------------------------------------------------------- the managed lifecycle


def _credit_end(day: dt.date, end_days: int) -> dt.date:
    """The first day an activity on ``day`` no longer keeps the relationship going."""
    return day + dt.timedelta(days=end_days + 1)


def _close_or_keep(period: Relationship, reach: dt.date, nxt: Relationship | None) -> None:
    """Let ``period`` run until ``reach``: merge with the next period if they meet, stop where
    a period entered by hand starts, stay open while ``reach`` is still ahead."""
    if nxt is not None and reach >= nxt.started_on:
        if nxt.automatic:
            period.ended_on, period.end_reason = nxt.ended_on, nxt.end_reason
            period.end_note, period.ended_by = nxt.end_note, nxt.ended_by
            nxt.delete()
        else:
            period.ended_on, period.end_reason = nxt.started_on, EndReason.LAPSED
    elif reach > today():
        period.ended_on, period.end_reason = None, ""
    else:
        period.ended_on, period.end_reason = reach, EndReason.LAPSED
    period.save()


def note_activity(account: HubSpotAccount, day: dt.date) -> Relationship | None:
    """A qualifying activity on ``day`` was recorded: start or extend the managed relationship.
    Runs in the caller's transaction; returns the period that covers the activity, if any."""
    account = _lock_account(account)
    if account.services_ended_on is not None:
        return None
    end_days = ProgramSettings.load().relationship_end_days
    reach = _credit_end(day, end_days)
    periods = list(
        Relationship.objects.filter(account=account, kind=RelationshipKind.MANAGED).order_by(
            "started_on"
        )
    )
    nxt = next((p for p in periods if p.started_on > day), None)
    for period in periods:
        if period.started_on <= day and (period.ended_on is None or day < period.ended_on):
            if (
                period.ended_on is not None
                and period.end_reason == EndReason.LAPSED
                and reach > period.ended_on
            ):
                _close_or_keep(period, reach, nxt)
            return period
    if any(p.started_on == day for p in periods):
        return None  # an empty period (ended the day it started) holds the day
    if nxt is not None and nxt.automatic and nxt.started_on <= reach:
        nxt.started_on = day  # an earlier activity entered late: the relationship began then
        nxt.save(update_fields=["started_on"])
        return nxt
    period = Relationship(
        account=account, kind=RelationshipKind.MANAGED, started_on=day, automatic=True
    )
    _close_or_keep(period, reach, nxt)
    period.account = account
    _started(period, by=SYSTEM)
    return period


def lapse_relationships(*, on: dt.date | None = None) -> list[Relationship]:
    """End every open managed relationship whose last qualifying activity (or manual start)
    is more than ``relationship_end_days`` before ``on``: it ends on the day after its last
    day of credit. Returns the periods ended (each with a timeline entry)."""
    day = on or today()
    end_days = ProgramSettings.load().relationship_end_days
    # Still in force on ``day`` only when the anchor is on or after this day.
    latest_anchor = day - dt.timedelta(days=end_days + 1)
    last = (
        QualifyingActivity.objects.filter(account=OuterRef("account_id"), occurred_on__lte=day)
        .order_by()
        .values("account")
        .annotate(last=Max("occurred_on"))
        .values("last")
    )
    due = (
        Relationship.objects.filter(
            kind=RelationshipKind.MANAGED, ended_on__isnull=True, started_on__lte=latest_anchor
        )
        .annotate(last_activity_on=Subquery(last))
        .filter(Q(last_activity_on__isnull=True) | Q(last_activity_on__lte=latest_anchor))
        .select_related("account")
        .order_by("pk")
    )
    ended = []
    for candidate in due:
        with transaction.atomic():
            _lock_account(candidate.account)
            period = Relationship.objects.select_related("account").get(pk=candidate.pk)
            if period.ended_on is not None:
                continue
            anchor = max(period.started_on, candidate.last_activity_on or period.started_on)
            period.ended_on = _credit_end(anchor, end_days)
            period.end_reason = EndReason.LAPSED
            period.save(update_fields=["ended_on", "end_reason"])
            _ended(period, by=SYSTEM)
            ended.append(period)
    return ended
