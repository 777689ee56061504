"""The history and the figures the reports read, for the tickets from before them.

* Stage visits, from each ticket's entry stage (at its creation) and its ``ticket.stage_changed``
  events (to_stage_id, at the event's time). An event's time is clamped between the ticket's
  creation and its ``stage_entered_at`` (the ticket's own record of its last move, which demo
  data and imports backdate while their events carry the time they were written); the last
  visit always begins at ``stage_entered_at``. Tickets that already have visits are skipped,
  so running it twice adds nothing.
* The elapsed time of every target already met or missed, in the policy's kind of time, with
  the policy's calendar and the ticket's pauses, as ``tickets.clocks.recompute_sla`` stores it
  from now on (the arithmetic is ``sla.clock.target_elapsed``'s).

Both go through the tickets in batches of primary keys (a few queries per batch, whatever the
number of tickets).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import migrations

from partnerdesk.sla.calendar import WorkingCalendar
from partnerdesk.sla.clock import FALLBACK_WEEK, target_elapsed

BATCH = 1000


def _batches(queryset):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        last = rows[-1].pk
        yield rows


def backfill_visits(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Visit = apps.get_model("tickets", "TicketStageVisit")
    Stage = apps.get_model("crm", "Stage")
    Event = apps.get_model("core", "Event")
    ContentType = apps.get_model("contenttypes", "ContentType")
    kind = ContentType.objects.filter(app_label="tickets", model="ticket").first()
    stages = set(Stage.objects.values_list("pk", flat=True))
    fields = ("pk", "pipeline_id", "entry_stage_id", "stage_id", "created_at", "stage_entered_at")
    for tickets in _batches(Ticket.objects.only(*fields)):
        ids = [t.pk for t in tickets]
        done = set(Visit.objects.filter(ticket_id__in=ids).values_list("ticket_id", flat=True))
        moves = defaultdict(list)
        if kind is not None:
            events = Event.objects.filter(
                subject_type=kind, subject_id__in=ids, kind="ticket.stage_changed"
            ).order_by("subject_id", "occurred_at", "id")
            for subject_id, at, data in events.values_list("subject_id", "occurred_at", "data"):
                moves[subject_id].append((data.get("to_stage_id"), at))
        visits = []
        for ticket in tickets:
            if ticket.pk not in done:
                visits += _visits(Visit, ticket, moves[ticket.pk], stages)
        Visit.objects.bulk_create(visits, batch_size=BATCH)


def _visits(Visit, ticket, moves, stages):
    first = ticket.created_at
    last = max(ticket.stage_entered_at or first, first)
    path = [(ticket.entry_stage_id, first)]
    for stage_id, at in moves:
        if stage_id in stages and stage_id != path[-1][0]:
            path.append((stage_id, min(max(at, path[-1][1]), last)))
    if path[-1][0] == ticket.stage_id:
        path[-1] = (ticket.stage_id, max(last, path[-1][1]) if len(path) > 1 else first)
    else:
        path.append((ticket.stage_id, last))
    visits = []
    for i, (stage_id, entered) in enumerate(path):
        left = path[i + 1][1] if i + 1 < len(path) else None
        visits.append(
            Visit(
                ticket_id=ticket.pk,
                pipeline_id=ticket.pipeline_id,
                stage_id=stage_id,
                entered_at=entered,
                left_at=left,
                seconds=None if left is None else int((left - entered).total_seconds()),
            )
        )
    return visits


def backfill_elapsed(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Pause = apps.get_model("tickets", "TicketPause")
    Policy = apps.get_model("sla", "SlaPolicy")
    Calendar = apps.get_model("sla", "Calendar")
    Holiday = apps.get_model("sla", "Holiday")
    calendars = {}

    def calendar(calendar_id):
        if calendar_id not in calendars:
            row = (
                Calendar.objects.filter(pk=calendar_id).first()
                if calendar_id
                else Calendar.objects.filter(is_default=True).first()
            )
            calendars[calendar_id] = (
                WorkingCalendar(timezone="UTC", week=FALLBACK_WEEK)
                if row is None
                else WorkingCalendar(
                    timezone=row.timezone,
                    week={int(d): [tuple(i) for i in iv] for d, iv in row.week.items()},
                    holidays=list(
                        Holiday.objects.filter(calendar=row).values_list("date", flat=True)
                    ),
                    holiday_country=row.holiday_country or None,
                    holiday_subdivision=row.holiday_subdivision or None,
                )
            )
        return calendars[calendar_id]

    policies = {p.pk: p for p in Policy.objects.all()}
    todo = Ticket.objects.filter(sla_policy__isnull=False).exclude(
        first_response_met__isnull=True, resolution_met__isnull=True
    )
    for tickets in _batches(todo):
        pauses = defaultdict(list)
        for ticket_id, began, ended in Pause.objects.filter(
            ticket_id__in=[t.pk for t in tickets]
        ).values_list("ticket_id", "started_at", "ended_at"):
            pauses[ticket_id].append((began, ended))
        for ticket in tickets:
            policy = policies.get(ticket.sla_policy_id)
            if policy is None:
                continue
            cal = calendar(policy.calendar_id)
            own = pauses[ticket.pk]
            answered = ticket.first_response_at
            if ticket.first_response_met is not None and answered and ticket.first_response_due_at:
                ticket.first_response_elapsed = target_elapsed(
                    start=ticket.created_at,
                    end=answered,
                    unit=policy.first_response_unit,
                    cal=cal,
                    due=ticket.first_response_due_at,
                    pauses=[(b, min(e or answered, answered)) for b, e in own if b < answered],
                )
                ticket.first_response_elapsed_unit = policy.first_response_unit
            closed, start = ticket.closed_at, ticket.resolution_started_at
            if ticket.resolution_met is not None and closed and start and ticket.resolution_due_at:
                ticket.resolution_elapsed = target_elapsed(
                    start=start,
                    end=closed,
                    unit=policy.resolution_unit,
                    cal=cal,
                    due=ticket.resolution_due_at,
                    pauses=[(b, e or closed) for b, e in own],
                )
                ticket.resolution_elapsed_unit = policy.resolution_unit
        Ticket.objects.bulk_update(
            tickets,
            [
                "first_response_elapsed",
                "first_response_elapsed_unit",
                "resolution_elapsed",
                "resolution_elapsed_unit",
            ],
            batch_size=BATCH,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0004_workerheartbeat"),
        ("tickets", "0007_stage_visits_sla_elapsed"),
    ]

    operations = [
        migrations.RunPython(backfill_visits, migrations.RunPython.noop),
        migrations.RunPython(backfill_elapsed, migrations.RunPython.noop),
    ]
