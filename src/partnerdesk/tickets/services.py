"""Writes to tickets: creation (by hand, from a deal, by API or automation), moves, notes, SLAs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core import clock, crypto
from partnerdesk.core.configuration import configuration, one_stamp
from partnerdesk.core.errors import DomainError, FieldError, forbidden
from partnerdesk.core.events import record_event
from partnerdesk.core.files import files_removed_on_error
from partnerdesk.core.permissions import is_system, person, require_staff
from partnerdesk.core.records import (
    UNSET,
    Unset,
    atomic_service,
    check_owner,
    field_labels,
    full_clean,
    given,
    set_fields,
)
from partnerdesk.crm import properties as props
from partnerdesk.crm.models import (
    Company,
    Contact,
    Deal,
    ObjectType,
    Pipeline,
    PropertyDefinition,
    PropertyType,
    Stage,
)

from .attachments import attach, check_files
from .clocks import (
    SLA_FIELDS,
    _pause,
    _record_first_response,
    _resume,
    policy_for,
    recompute_sla,
)
from .history import stage_visit_start, stage_visit_switch
from .mail import send_note_emails_task
from .models import Priority, SavedView, Source, Ticket, TicketNote, TicketPause, Via
from .rules import check_request_rules
from .sla_state import due_soon_q, paused_overdue_q, unpaused_overdue_q

DOMAIN_PROPERTIES = ("domain_name", "website_domain")


def ticket_name(*, stage: Stage, domain: str) -> str:
    """The pipeline's naming convention: "<Request name> For <domain>"."""
    request = stage.request_name or stage.pipeline.name
    return f"{request} For {domain}" if domain else request


def _domain_of(ticket: Ticket) -> str:
    for name in DOMAIN_PROPERTIES:
        if ticket.properties.get(name):
            return str(ticket.properties[name])
    return ticket.company.domain if ticket.company_id else ""


def _check_priority(priority: str) -> None:
    if priority not in Priority.values:
        raise DomainError(
            code="invalid_priority",
            message=_("Priority must be one of: %(v)s.") % {"v": ", ".join(Priority.values)},
            field="priority",
        )


# ---------------------------------------------------------------- required properties


def missing_to_leave(ticket: Ticket, stage: Stage) -> list[PropertyDefinition]:
    """What the ticket lacks of its entry stage's required properties when it leaves ``stage``.

    A ticket is normally opened with them all (``ticket_create`` refuses otherwise); an
    automation may open one without them (``if_missing="ask"``), and then the requirement
    applies to leaving the entry stage: the request cannot be worked on before they are there.
    """
    if stage.pk != ticket.entry_stage_id:
        return []
    return props.missing_for_stage(ticket, stage)


def missing_to_move(ticket: Ticket, stage: Stage) -> list[PropertyDefinition]:
    """Every property the ticket must have to move to ``stage``: what ``stage`` requires to
    enter, and what the stage it leaves requires to leave (for the move form's fields)."""
    missing = props.missing_for_stage(ticket, stage)
    if stage.pk != ticket.stage_id:
        missing += [d for d in missing_to_leave(ticket, ticket.stage) if d not in missing]
    return missing


def _ensure_can_leave(ticket: Ticket, stage: Stage) -> None:
    missing = missing_to_leave(ticket, stage)
    if not missing:
        return
    labels = ", ".join(d.label for d in missing)
    raise DomainError(
        code="missing_required_properties",
        message=_("The request cannot leave “%(stage)s” without: %(labels)s. Fill it in first.")
        % {"stage": stage.name, "labels": labels},
        field=missing[0].name,
        errors=[
            FieldError(
                d.name,
                "required",
                _("%(label)s is required to leave “%(stage)s”.")
                % {"label": d.label, "stage": stage.name},
            )
            for d in missing
        ],
    )


def _asking_for(missing: list[PropertyDefinition]) -> str:
    """The description line of a ticket opened without its entry stage's required properties."""
    return _(
        "Needed before this request can be worked on: %(labels)s. Ask the deal owner or the "
        "customer, then fill it in on the ticket."
    ) % {"labels": ", ".join(d.label for d in missing)}


# ---------------------------------------------------------------- create


def entry_stages_of(pipeline: Pipeline) -> list[Stage]:
    """The stages a ticket of ``pipeline`` may be opened in (read once per configuration
    stamp, ``core.configuration``; shared, read-only)."""
    return configuration(
        ("entry_stages", pipeline.pk),
        lambda: list(pipeline.stages.filter(is_entry=True).order_by("order", "id")),
    )


@one_stamp()
def _ticket_to_open(
    *,
    pipeline: Pipeline,
    stage: Stage | None,
    name: str,
    description: str,
    owner,
    priority: str,
    company,
    deal: Deal | None,
    contact,
    properties: dict | None,
    source: str,
    now: dt.datetime,
    if_missing: Literal["refuse", "ask"],
) -> tuple[Ticket, list, list[tuple[dt.datetime, dt.datetime | None]]]:
    """The ticket ``ticket_create`` writes, with everything settled before its one INSERT:
    what is missing, the request rules, the SLA times (and the pauses to write with it). It
    writes nothing, so it reads the configuration under one stamp (``core.configuration``)."""
    if pipeline.object_type != ObjectType.TICKET:
        raise DomainError(
            code="invalid_pipeline",
            message=_("“%(p)s” is not a ticket pipeline.") % {"p": pipeline},
            field="pipeline",
        )
    entry_stages = entry_stages_of(pipeline)
    if stage is None:
        if not entry_stages:
            raise DomainError(
                code="invalid_pipeline",
                message=_("The pipeline has no entry stage."),
                field="pipeline",
            )
        stage = entry_stages[0]
    if stage.pipeline_id != pipeline.pk:
        raise DomainError(
            code="invalid_stage",
            message=_("Stage “%(s)s” is not in pipeline “%(p)s”.") % {"s": stage, "p": pipeline},
            field="stage",
        )
    if stage not in entry_stages:
        names = ", ".join(s.name for s in entry_stages)
        raise DomainError(
            code="not_an_entry_stage",
            message=_("Tickets are opened in: %(names)s. Choose one of these stages.")
            % {"names": names},
            field="stage",
        )
    _check_priority(priority)
    check_owner(owner)
    if company is None and deal is not None:
        company = deal.company
    if contact is not None and company is not None and contact.company_id not in (None, company.pk):
        raise DomainError(
            code="contact_not_in_company",
            message=_("The contact does not belong to the ticket's company."),
            field="contact",
        )
    ticket = Ticket(
        pipeline=pipeline,
        stage=stage,
        entry_stage=stage,
        name=(name or "").strip()[:255],
        description=(description or "").strip(),
        owner=owner,
        priority=priority,
        company=company,
        deal=deal,
        contact=contact,
        source=source,
        created_at=now,
        stage_entered_at=now,
        sla_policy=policy_for(pipeline, stage),
    )
    full_clean(ticket, exclude=["pipeline", "stage", "entry_stage", "name", "sla_policy"])
    props.apply_properties(ticket, properties or {})
    if not ticket.name:
        ticket.name = ticket_name(stage=stage, domain=_domain_of(ticket))[:255]
    # Everything is settled before the one INSERT: what is missing (the ticket's own fields and
    # properties; no ticket property is a many-to-many), the request rules, the SLA times.
    missing = props.missing_for_stage(ticket, stage)
    if missing and if_missing == "ask":
        ticket.description = "\n\n".join(filter(None, [ticket.description, _asking_for(missing)]))
    elif missing:
        props.ensure_can_enter(ticket, stage)  # refuses, naming them
    check_request_rules(ticket, stage, now=now)
    pauses: list[tuple[dt.datetime, dt.datetime | None]] = []
    if stage.waiting_on_customer:
        ticket.sla_paused_at = now
        pauses.append((now, None))
    if stage.is_closed:
        ticket.closed_at = now
    recompute_sla(ticket, now=now, pauses=pauses)
    return ticket, missing, pauses


@atomic_service
def ticket_create(
    *,
    by,
    pipeline: Pipeline,
    stage: Stage | None = None,
    name: str = "",
    description: str = "",
    owner=None,
    priority: str = Priority.MEDIUM,
    company=None,
    deal: Deal | None = None,
    contact=None,
    properties: dict | None = None,
    source: str = Source.MANUAL,
    now: dt.datetime | None = None,
    if_missing: Literal["refuse", "ask"] = "refuse",
) -> Ticket:
    """Open a ticket in an entry stage of a ticket pipeline, enforcing its required properties.

    ``if_missing="ask"`` (for automations, which cannot ask anyone) opens it even without them:
    its description then says what is needed, and it cannot leave the entry stage before they
    are filled in (``missing_to_leave``).
    """
    require_staff(by)
    now = now or clock.now()
    ticket, missing, pauses = _ticket_to_open(
        pipeline=pipeline,
        stage=stage,
        name=name,
        description=description,
        owner=owner,
        priority=priority,
        company=company,
        deal=deal,
        contact=contact,
        properties=properties,
        source=source,
        now=now,
        if_missing=if_missing,
    )
    stage = ticket.stage
    ticket.save()
    if deal is not None:
        ticket.deals.add(deal)
    if pauses:
        TicketPause.objects.create(ticket=ticket, started_at=now)
    stage_visit_start(ticket=ticket, now=now)
    record_event(
        kind="ticket.created",
        subject=ticket,
        actor=by,
        company_id=ticket.company_id,
        data={
            "name": ticket.name,
            "pipeline": pipeline.name,
            "pipeline_id": pipeline.pk,
            "stage": stage.name,
            "stage_id": stage.pk,
            "source": source,
            "deal_id": ticket.deal_id,
            **({"missing_properties": [d.name for d in missing]} if missing else {}),
        },
    )
    return ticket


def deal_properties_for_ticket(deal: Deal) -> dict:
    """Values of the deal's properties that tickets also have (same internal name)."""
    ticket_defs = {d.name: d for d in props.definition_list(ObjectType.TICKET)}
    values = {name: value for name, value in deal.properties.items() if name in ticket_defs}
    if "line_items" in getattr(deal, "_prefetched_objects_cache", {}):
        items = list(deal.line_items.all())  # read with the deal (engine.SUBJECT_LOADING)
    else:
        items = list(deal.line_items.select_related("product"))
    if items and "line_items" in ticket_defs:
        values["line_items"] = "\n".join(f"{li.quantity} × {li.product.name}" for li in items)
    if items and "product" in ticket_defs:
        values["product"] = ", ".join(dict.fromkeys(li.product.name for li in items))
    return values


def deal_secrets_for_ticket(deal: Deal) -> dict:
    ticket_secrets = {
        d.name for d in props.definition_list(ObjectType.TICKET) if d.type == PropertyType.SECRET
    }
    return {
        name: crypto.decrypt(token)
        for name, token in deal.secrets.items()
        if name in ticket_secrets
    }


@atomic_service
def ticket_create_from_deal(
    *,
    deal: Deal,
    by,
    pipeline: Pipeline,
    stage: Stage | None = None,
    owner=None,
    properties: dict | None = None,
    source: str = Source.DEAL,
    now=None,
    **extra,
) -> Ticket:
    """Open a ticket for a deal: its properties copied, its company and first contact associated."""
    values = {
        **deal_properties_for_ticket(deal),
        **deal_secrets_for_ticket(deal),
        **(properties or {}),
    }
    contact = extra.pop("contact", None)
    if contact is None and "contacts" in getattr(deal, "_prefetched_objects_cache", {}):
        contact = min(deal.contacts.all(), key=lambda c: c.pk, default=None)
    elif contact is None:
        contact = deal.contacts.order_by("pk").first()
    return ticket_create(
        by=by,
        pipeline=pipeline,
        stage=stage,
        owner=owner or deal.owner,
        company=deal.company,
        deal=deal,
        contact=contact,
        properties=values,
        source=source,
        now=now,
        **extra,
    )


# ---------------------------------------------------------------- update and move


@atomic_service
def ticket_update(
    *,
    ticket: Ticket,
    by,
    locked: bool = False,
    properties: dict | None = None,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    owner: User | Unset | None = UNSET,
    priority: str | Unset = UNSET,
    company: Company | Unset | None = UNSET,
    contact: Contact | Unset | None = UNSET,
) -> Ticket:
    """Change the fields given (UNSET leaves a field as it is) and custom properties.
    ``locked``: the caller has just read ``ticket`` with ``select_for_update`` in this
    transaction (it is not read again)."""
    require_staff(by)
    if not locked:
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    fields = given(
        name=name,
        description=description,
        owner=owner,
        priority=priority,
        company=company,
        contact=contact,
    )
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()[:255]
        if not fields["name"]:
            raise DomainError(code="required", message=_("A ticket needs a name."), field="name")
    if "priority" in fields:
        _check_priority(fields["priority"])
    if "owner" in fields:
        check_owner(fields["owner"])
    changes = set_fields(ticket, fields, field_labels(Ticket))
    changes += props.apply_properties(ticket, properties or {})
    if changes:
        ticket.save()
        record_event(
            kind="ticket.updated",
            subject=ticket,
            actor=by,
            company_id=ticket.company_id,
            data={"changes": changes},
        )
    return ticket


@transaction.atomic
def ticket_deal_link(*, ticket: Ticket, deal: Deal, by) -> bool:
    """Associate ``deal`` with the ticket as well (a website ticket serves the website deal and
    the annual renewal deal); ``ticket.deal`` stays the deal it was opened from. Returns whether
    the association is new."""
    require_staff(by)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.company_id is not None and deal.company_id != ticket.company_id:
        raise DomainError(
            code="deal_not_in_company",
            message=_("The deal belongs to another company than the ticket."),
            field="deal",
        )
    before = list(ticket.deals.order_by("pk"))
    if deal in before:
        return False
    ticket.deals.add(deal)
    record_event(
        kind="ticket.updated",
        subject=ticket,
        actor=by,
        company_id=ticket.company_id,
        data={
            "changes": [
                {
                    "field": "deals",
                    "label": str(field_labels(Ticket)["deals"]),
                    "old": ", ".join(d.name for d in before),
                    "new": ", ".join(d.name for d in [*before, deal]),
                }
            ],
            "deal_id": deal.pk,
        },
    )
    return True


@transaction.atomic
def ticket_move(
    *,
    ticket: Ticket,
    stage: Stage,
    by,
    now: dt.datetime | None = None,
    properties: dict | None = None,
) -> Ticket:
    """Move a ticket within its pipeline, checking required properties; keeps the SLA clocks right.

    ``properties`` are set first, in the same transaction: the values the stage asks for.
    """
    require_staff(by)
    now = now or clock.now()
    if properties:
        ticket_update(ticket=ticket, by=by, properties=properties)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("stage", "sla_policy", "company")
        .get(pk=ticket.pk)
    )
    if stage.pipeline_id != ticket.pipeline_id:
        raise DomainError(
            code="invalid_stage",
            message=_("“%(s)s” is not a stage of this ticket's pipeline.") % {"s": stage},
            field="stage",
        )
    if stage.pk == ticket.stage_id:
        return ticket
    props.ensure_can_enter(ticket, stage)
    _ensure_can_leave(ticket, ticket.stage)
    previous = ticket.stage
    if previous.pk == ticket.entry_stage_id and not is_system(by):
        _record_first_response(ticket, now=now, by_move=True)
    if stage.waiting_on_customer:
        _pause(ticket, now)
    else:
        _resume(ticket, now)
    if stage.is_closed:
        if ticket.first_response_at is None:  # resolving answers the customer: both clocks stop
            ticket.first_response_at = now
        ticket.closed_at = now
    elif ticket.closed_at is not None:
        # Reopened: the time it spent closed was nobody's wait, so it counts as paused and the
        # resolution clock goes on from where closing stopped it.
        TicketPause.objects.create(ticket=ticket, started_at=ticket.closed_at, ended_at=now)
        ticket.closed_at = None
    stage_visit_switch(ticket=ticket, stage=stage, now=now)
    ticket.stage = stage
    ticket.stage_entered_at = now
    recompute_sla(ticket, now=now)
    ticket.save()
    record_event(
        kind="ticket.stage_changed",
        subject=ticket,
        actor=by,
        company_id=ticket.company_id,
        data={
            "from_stage_id": previous.pk,
            "from_stage": previous.name,
            "to_stage_id": stage.pk,
            "to_stage": stage.name,
            "pipeline_id": ticket.pipeline_id,
            "closed": stage.is_closed,
        },
    )
    return ticket


def _copied(ticket: Ticket, cc: Sequence[Contact], is_public: bool) -> list[str]:
    """The addresses a public reply is copied to: contacts of the ticket's company with an
    email address, each once (lowercased)."""
    if cc and not is_public:
        raise DomainError(
            code="cc_needs_public",
            message=_("Only a reply to the customer can be copied to other contacts."),
            field="cc",
        )
    addresses = []
    for contact in cc:
        if (
            ticket.company_id is None
            or contact.company_id != ticket.company_id
            or not contact.email
        ):
            raise DomainError(
                code="cc_not_in_company",
                message=_("Only contacts of the ticket's company with an email can be copied."),
                field="cc",
            )
        addresses.append(contact.email.strip().lower())
    return list(dict.fromkeys(addresses))


@transaction.atomic
def ticket_note_add(
    *,
    ticket: Ticket,
    by,
    body: str,
    is_public: bool = False,
    is_delay_cause: bool = False,
    cc: Sequence[Contact] = (),
    files: Sequence = (),
    via: str = Via.WEB,
    now: dt.datetime | None = None,
) -> TicketNote:
    """An internal note, or a public reply to the customer: emailed after commit, in full and
    with its files, to the ticket's contact and the contacts in ``cc`` (tickets.mail). The
    first public reply is the first response (when the policy counts replies)."""
    require_staff(by)
    now = now or clock.now()
    body = (body or "").strip()
    if not body:
        raise DomainError(code="required", message=_("Write the note first."), field="body")
    if len(body) > 20_000:
        raise DomainError(
            code="too_long", message=_("A note can be at most 20,000 characters."), field="body"
        )
    copied = _copied(ticket, cc, is_public)
    files = check_files(files)
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("sla_policy")
        .get(pk=ticket.pk)
    )
    with files_removed_on_error() as stored:
        note = TicketNote.objects.create(
            ticket=ticket,
            author=person(by),
            body=body,
            is_public=is_public,
            is_delay_cause=is_delay_cause,
            cc=copied,
            via=via,
        )
        attach(ticket=ticket, note=note, files=files, stored=stored, by=by)
    update = []
    if is_public and ticket.first_response_at is None:
        _record_first_response(ticket, now=now, by_move=False)
        if ticket.first_response_at is not None:
            recompute_sla(ticket, now=now)
            update += SLA_FIELDS
    if is_delay_cause and not ticket.has_delay_cause:
        ticket.has_delay_cause = True
        update.append("has_delay_cause")
    if update:
        ticket.save(update_fields=[*update, "updated_at"])
    record_event(
        kind="ticket.note_added",
        subject=ticket,
        actor=by,
        company_id=ticket.company_id,
        data={
            "note_id": note.pk,
            "public": is_public,
            "delay_cause": is_delay_cause,
            "excerpt": body[:200],
            **({"cc": copied} if copied else {}),
            **({"files": len(files)} if files else {}),
        },
    )
    if is_public:
        transaction.on_commit(lambda: send_note_emails_task.enqueue(note_id=note.pk))
    return note


def recompute_open_tickets(
    *, policy_pipeline_id: int, now: dt.datetime | None = None, batch: int = 500
) -> int:
    """After a policy or calendar change: recompute every open ticket of the pipeline, in batches."""
    now = now or clock.now()
    count = 0
    ids = list(
        Ticket.objects.filter(pipeline_id=policy_pipeline_id, closed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for offset in range(0, len(ids), batch):
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update(of=("self",))
                .filter(pk__in=ids[offset : offset + batch])
                .select_related("sla_policy__calendar", "entry_stage", "pipeline")
                .prefetch_related("pauses")
            )
            policies = {}
            for ticket in tickets:
                key = (ticket.pipeline_id, ticket.entry_stage_id)
                if key not in policies:
                    policies[key] = policy_for(ticket.pipeline, ticket.entry_stage)
                ticket.sla_policy = policies[key]
                recompute_sla(ticket, now=now)
            Ticket.objects.bulk_update(tickets, ["sla_policy", *SLA_FIELDS])
            count += len(tickets)
    return count


# ---------------------------------------------------------------- sweep

SWEEP_TARGETS = [
    # (flag set once, event kind, target, condition)
    ("first_response_due_soon_sent", "ticket.sla_due_soon", "first_response", due_soon_q),
    ("first_response_breach_sent", "ticket.sla_breached", "first_response", unpaused_overdue_q),
    ("resolution_due_soon_sent", "ticket.sla_due_soon", "resolution", due_soon_q),
    ("resolution_breach_sent", "ticket.sla_breached", "resolution", unpaused_overdue_q),
    ("first_response_breach_sent", "ticket.sla_breached", "first_response", paused_overdue_q),
    ("resolution_breach_sent", "ticket.sla_breached", "resolution", paused_overdue_q),
]


def sla_sweep(*, now: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Emit one due-soon and one breached event per ticket and target, exactly once.

    Each flag is set by the same transaction that writes the event, on rows locked with
    SKIP LOCKED, so two sweeps running at once never emit the same event twice.
    """
    now = now or clock.now()
    counts = {}
    for flag, kind, target, condition in SWEEP_TARGETS:
        emitted = 0
        while True:
            with transaction.atomic():
                qs = Ticket.objects.filter(condition(target, now), **{flag: False})
                # In the order of the time the pass compares (the column of its partial
                # index): the index is read as a range that stops at now, earliest first,
                # never planned as a scan of the table however many open tickets it holds.
                moment = f"{target}_warn_at" if condition is due_soon_q else f"{target}_due_at"
                rows = list(
                    qs.select_for_update(skip_locked=True)
                    .only("pk", "company_id", "first_response_due_at", "resolution_due_at")
                    .order_by(moment)[:batch]
                )
                if not rows:
                    break
                Ticket.objects.filter(pk__in=[t.pk for t in rows]).update(**{flag: True})
                for ticket in rows:
                    due = (
                        ticket.first_response_due_at
                        if target == "first_response"
                        else ticket.resolution_due_at
                    )
                    record_event(
                        kind=kind,
                        subject=ticket,
                        company_id=ticket.company_id,
                        data={"target": target, "due_at": due.isoformat() if due else None},
                    )
                emitted += len(rows)
        key = f"{kind}:{target}"
        counts[key] = counts.get(key, 0) + emitted
    return counts


# ---------------------------------------------------------------- saved views


@transaction.atomic
def saved_view_save(*, by: User, name: str, query: str, shared: bool = False) -> SavedView:
    """Save the list's filters under a name (the same name replaces the user's earlier view)."""
    require_staff(by)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise DomainError(
            code="invalid_name",
            message=_("Give the view a name (at most 80 characters)."),
            field="name",
        )
    view, _created = SavedView.objects.update_or_create(
        user=by, name=name, defaults={"query": (query or "")[:1000], "shared": shared}
    )
    return view


@transaction.atomic
def saved_view_delete(*, by: User, view: SavedView) -> None:
    """Delete one of the user's own saved views."""
    require_staff(by)
    if view.user_id != by.pk:
        raise forbidden(_("Only the person who saved a view can delete it."))
    view.delete()
