"""``manage.py scale_data``: a small agency, built reproducibly, whose rows keep the rules the
services keep (stage history, SLA clocks, the sweep's flags, the portal queue), and the
refusals (a database with data, production, a growth that is not in whole blocks)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Max, Min

from partnerdesk.core import totals
from partnerdesk.core.models import Event
from partnerdesk.crm.models import Company
from partnerdesk.portal.models import SLOT_STATUSES, Status, Subscription, Task
from partnerdesk.satisfaction.models import Survey
from partnerdesk.tickets import services
from partnerdesk.tickets.clocks import SLA_FIELDS, recompute_sla
from partnerdesk.tickets.models import Ticket, TicketPause, TicketStageVisit

pytestmark = pytest.mark.django_db

NOW = "2026-06-01T12:00:00+00:00"
NOW_DT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
TICKETS = 300


def scale(**options):
    call_command("scale_data", tickets=TICKETS, seed=5, now=NOW, verbosity=0, **options)


def counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label not in ("contenttypes", "auth", "sessions")
    }


def fingerprint(seed: int) -> tuple:
    """Counts of every table and the first rows, as built from an empty database (then
    rolled back, so the next build starts from the same state)."""
    with transaction.atomic():
        call_command("scale_data", tickets=TICKETS, seed=seed, now=NOW, verbosity=0)
        tickets = list(
            Ticket.objects.order_by("pk").values_list(
                "name", "stage__name", "created_at", "closed_at", "resolution_due_at", "owner_id"
            )[:20]
        )
        tasks = list(Task.objects.order_by("pk").values_list("title", "status", "created_at")[:10])
        events = list(Event.objects.order_by("pk").values_list("kind", "occurred_at")[:30])
        found = (counts(), tickets, tasks, events)
        transaction.set_rollback(True)
    return found


def test_same_seed_same_agency_and_another_seed_another():
    first = fingerprint(5)
    assert first[0]["tickets.Ticket"] == TICKETS
    assert first == fingerprint(5)
    other = fingerprint(6)
    assert other[0]["tickets.Ticket"] == TICKETS
    assert other[1] != first[1]


def test_an_agency_of_every_kind_of_record():
    scale()
    found = counts()
    for label in [
        "crm.Company",
        "crm.Contact",
        "crm.Deal",
        "tickets.Ticket",
        "tickets.TicketStageVisit",
        "tickets.TicketNote",
        "tickets.TicketPause",
        "portal.Task",
        "portal.Message",
        "knowledge.Article",
        "knowledge.Deflection",
        "satisfaction.Survey",
        "partner_program.HubSpotAccount",
        "partner_program.QualifyingActivity",
        "core.Event",
    ]:
        assert found[label] > 0, label
    open_share = Ticket.objects.filter(closed_at__isnull=True).count() / TICKETS
    assert 0.25 < open_share < 0.45
    assert set(Task.objects.values_list("status", flat=True)) >= {
        Status.TRIAGE,
        Status.ACCEPTED,
        Status.WORKING,
        Status.COMPLETE,
    }
    connection.check_constraints()  # every foreign key points at a row


def test_tickets_keep_the_rules_of_the_services():
    scale()
    visits: dict[int, list] = {}
    for visit in TicketStageVisit.objects.order_by("entered_at", "pk"):
        visits.setdefault(visit.ticket_id, []).append(visit)
    open_pauses = set(
        TicketPause.objects.filter(ended_at__isnull=True).values_list("ticket_id", flat=True)
    )
    tickets = Ticket.objects.select_related(
        "stage", "entry_stage", "sla_policy__calendar"
    ).prefetch_related("pauses")
    for ticket in tickets:
        stays = visits[ticket.pk]
        assert stays[0].stage_id == ticket.entry_stage_id
        assert stays[0].entered_at == ticket.created_at
        assert [v.left_at for v in stays[:-1]] == [v.entered_at for v in stays[1:]]
        assert all(v.seconds == int((v.left_at - v.entered_at).total_seconds()) for v in stays[:-1])
        assert stays[-1].left_at is None and stays[-1].stage_id == ticket.stage_id
        assert stays[-1].entered_at == ticket.stage_entered_at <= NOW_DT
        if ticket.stage.is_closed:
            assert ticket.closed_at == ticket.stage_entered_at
            assert ticket.first_response_at is not None
        else:
            assert ticket.closed_at is None
        paused = ticket.stage.waiting_on_customer and ticket.closed_at is None
        assert (ticket.sla_paused_at is not None) == paused == (ticket.pk in open_pauses)
        stored = {name: getattr(ticket, name) for name in SLA_FIELDS}
        recompute_sla(ticket, now=NOW_DT)
        assert stored == {name: getattr(ticket, name) for name in SLA_FIELDS}, ticket.pk
    with transaction.atomic():  # the sweep finds everything reported already
        reported = services.sla_sweep(now=NOW_DT)
        transaction.set_rollback(True)
    assert set(reported.values()) == {0}
    assert not Event.objects.filter(processed_at__isnull=True).exists()
    # The running totals, which triggers keep (and a PostgreSQL load bypasses), agree with a
    # recount, and there are some.
    for kept in totals.registered():
        assert totals.differences(kept) == {}
        assert totals.kept(kept)


def test_the_portal_queue_and_plan_limits_hold():
    scale()
    limits = dict(
        Subscription.objects.filter(ended_at__isnull=True).values_list(
            "company_id", "plan__concurrent_tasks"
        )
    )
    working = Counter(
        Task.objects.filter(status__in=SLOT_STATUSES).values_list("company_id", flat=True)
    )
    assert all(n <= limits[company] for company, n in working.items())
    for row in (
        Task.objects.filter(status=Status.ACCEPTED)
        .values("company_id")
        .annotate(n=Count("id"), low=Min("queue_position"), high=Max("queue_position"))
    ):
        assert row["low"] == 1 and row["high"] == row["n"], row
    assert not Task.objects.exclude(status=Status.ACCEPTED).filter(queue_position__isnull=False)
    answered = Survey.objects.filter(answered_at__isnull=False)
    assert all(s.sent_at < s.answered_at <= min(s.expires_at, NOW_DT) for s in answered)


def test_refuses_a_database_with_data_unless_forced(company):
    with pytest.raises(CommandError, match="already holds data"):
        scale()
    assert not Ticket.objects.exists()
    scale(force=True)
    assert Ticket.objects.count() == TICKETS
    assert Company.objects.count() > 1


def test_grows_in_whole_blocks_only_and_keeps_what_is_built():
    scale()
    before = Ticket.objects.count()
    scale()  # the same agency again: nothing to add
    assert Ticket.objects.count() == before
    with pytest.raises(CommandError, match="whole blocks"):
        call_command("scale_data", tickets=TICKETS + 100, seed=5, now=NOW, verbosity=0)


def test_refuses_production_without_the_flag(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="allow-production"):
        scale()
