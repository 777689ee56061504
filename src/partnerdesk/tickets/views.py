"""Staff pages for tickets: list with saved views, board per pipeline, detail, create, move, notes."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.accounts.models import Team
from partnerdesk.core import clock
from partnerdesk.core.access import staff_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.core.pagination import CappedPaginator
from partnerdesk.crm import boards
from partnerdesk.crm import selectors as crm_selectors
from partnerdesk.crm.models import Pipeline, Stage

from . import selectors, services, sla_state
from .forms import NoteForm, SavedViewForm, TicketForm, TicketMoveForm
from .models import Priority, SavedView, SlaState

SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "resolution_due": ("resolution_due_at", "id"),
    "first_response_due": ("first_response_due_at", "id"),
    "name": ("name", "id"),
}


@staff_required
@require_GET
def ticket_list(request):
    now = clock.now()
    qs, active = selectors.filter_tickets(selectors.tickets_for(request.user), request.GET, now=now)
    sort = request.GET.get("sort", "-created")
    if sort not in SORTS:
        sort = "-created"
    counted = selectors.list_count(request.user, active, qs)
    page = CappedPaginator(qs.order_by(*SORTS[sort]), 25, counted=counted).get_page(
        request.GET.get("page")
    )
    for ticket in page.object_list:
        ticket.sla = sla_state.ticket_state(ticket, now)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "objects": page.object_list,
        "filters": active,
        "sort": sort,
        "querystring": query.urlencode(),
        "pipelines": selectors.ticket_pipelines(),
        "owners": crm_selectors.staff_users(),
        "teams": Team.objects.all(),
        "sla_states": SlaState.choices,
        "priorities": Priority.choices,
        "saved_views": selectors.saved_views_for(request.user),
        "view_form": SavedViewForm(),
        "q": active.get("q", ""),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "tickets/ticket_list.html#results", context)
    return render(request, "tickets/ticket_list.html", context)


@staff_required
@require_POST
def saved_view_create(request):
    form = SavedViewForm(request.POST)
    query = request.POST.get("query", "")[:1000]
    if form.is_valid():
        services.saved_view_save(
            by=request.user,
            name=form.cleaned_data["name"],
            query=query,
            shared=form.cleaned_data["shared"],
        )
        messages.success(request, _("View saved."))
    else:
        messages.error(request, _("Give the view a name (at most 80 characters)."))
    return redirect(reverse("tickets:list") + (f"?{query}" if query else ""))


@staff_required
@require_POST
def saved_view_delete(request, pk):
    view = get_object_or_404(SavedView, pk=pk, user=request.user)
    services.saved_view_delete(by=request.user, view=view)
    messages.success(request, _("View deleted."))
    return redirect("tickets:list")


def _ticket_board_page(request, pipeline, pipelines, *, dialog=None, status=200):
    now = clock.now()
    return render(
        request,
        "tickets/ticket_board.html",
        {
            "pipeline": pipeline,
            "pipelines": pipelines,
            "columns": selectors.board_columns(request.user, pipeline, params=request.GET, now=now),
            "now": now,
            "q": request.GET.get("q", ""),
            "breached_without_cause": request.GET.get("breached_without_cause") == "1",
            "board_query": boards.board_query(request.GET),
            "board_url": reverse("tickets:board_pipeline", args=[pipeline.pk]),
            "dialog": dialog,
        },
        status=status,
    )


def _ticket_move_dialog(request, ticket, form) -> dict:
    """What the board's move dialog shows for ``ticket`` (includes/_board_move_form.html)."""
    stages = list(form.fields["stage"].queryset)
    board = reverse("tickets:board_pipeline", args=[ticket.pipeline_id])
    query = boards.board_query(request.GET)
    return {
        "record": ticket,
        "form": form,
        "stages": stages,
        "stage": boards.dialog_stage(form, stages, ticket.stage),
        "move_url": boards.with_query(reverse("tickets:move", args=[ticket.pk]), query),
        "board_url": boards.with_query(board, query),
        "form_url": boards.with_query(board, f"move={ticket.pk}&{query}".rstrip("&")),
        "record_url": reverse("tickets:detail", args=[ticket.pk]),
        "record_link": _("Open the ticket"),
        "builtin_note": _("Also needed (edit the ticket):"),
    }


@staff_required
@require_GET
def ticket_board(request, pipeline_pk=None):
    """A pipeline's tickets by stage, counted up to the cap. ``?move=<ticket>&to=<stage>``
    opens the move dialog for that stage (htmx: only the dialog's form)."""
    pipelines = list(selectors.ticket_pipelines())
    if not pipelines:
        return redirect("tickets:list")
    pipeline = (
        get_object_or_404(Pipeline, pk=pipeline_pk, object_type="ticket")
        if pipeline_pk
        else pipelines[0]
    )
    dialog = None
    if "move" in request.GET:
        ticket = selectors.ticket_detail(request.user, parse_id(request.GET["move"]))
        stage = (
            ticket.pipeline.stages.filter(pk=parse_id(request.GET.get("to"))).first()
            or ticket.stage
        )
        form = TicketMoveForm(
            ticket=ticket,
            missing=services.missing_to_move(ticket, stage),
            initial={"stage": stage.pk},
        )
        dialog = _ticket_move_dialog(request, ticket, form)
        if request.htmx:
            return render(request, "includes/_board_move_form.html", {"dialog": dialog})
    return _ticket_board_page(request, pipeline, pipelines, dialog=dialog)


@staff_required
@require_GET
def ticket_new(request):
    """Step 1: choose the pipeline and the entry stage (the request type)."""
    deal = None
    if request.GET.get("deal", "").isdigit():
        deal = crm_selectors.deal_detail(request.user, request.GET["deal"])
    return render(
        request,
        "tickets/ticket_new.html",
        {"pipelines": selectors.ticket_pipelines(), "deal": deal},
    )


def _initial_from_deal(deal) -> dict:
    initial = {
        "company": deal.company_id,
        "owner": deal.owner_id,
        "contact": next(iter(deal.contacts.all()), None),
    }
    for name, value in services.deal_properties_for_ticket(deal).items():
        initial[f"prop__{name}"] = value
    return initial


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_create(request, stage_pk):
    """Step 2: the ticket form for that request type, required properties marked."""
    stage = get_object_or_404(
        Stage.objects.select_related("pipeline"),
        pk=stage_pk,
        pipeline__object_type="ticket",
        is_entry=True,
    )
    deal = None
    deal_id = request.POST.get("deal") or request.GET.get("deal", "")
    if str(deal_id).isdigit():
        deal = crm_selectors.deal_detail(request.user, deal_id)
    form = TicketForm(
        request.POST or None, stage=stage, initial=_initial_from_deal(deal) if deal else {}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            k: data[k] for k in ("name", "description", "owner", "priority", "company", "contact")
        }
        try:
            if deal:
                secrets = services.deal_secrets_for_ticket(deal)
                values = {
                    **secrets,
                    **{k: v for k, v in form.property_values().items() if v not in (None, "", [])},
                }
                ticket = services.ticket_create(
                    by=request.user,
                    pipeline=stage.pipeline,
                    stage=stage,
                    deal=deal,
                    source="deal",
                    properties=values,
                    **fields,
                )
            else:
                ticket = services.ticket_create(
                    by=request.user,
                    pipeline=stage.pipeline,
                    stage=stage,
                    properties=form.property_values(),
                    **fields,
                )
            messages.success(request, _("Ticket opened."))
            return redirect("tickets:detail", pk=ticket.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "tickets/ticket_form.html",
        {"form": form, "stage": stage, "deal": deal, "ticket": None},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_edit(request, pk):
    ticket = selectors.ticket_detail(request.user, pk)
    form = TicketForm(request.POST or None, instance=ticket)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_update(
                ticket=ticket,
                by=request.user,
                properties=form.property_values(),
                **{
                    k: data[k]
                    for k in ("name", "description", "owner", "priority", "company", "contact")
                },
            )
            messages.success(request, _("Ticket saved."))
            return redirect("tickets:detail", pk=ticket.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "tickets/ticket_form.html",
        {"form": form, "stage": ticket.stage, "ticket": ticket},
        status=400 if form.errors else 200,
    )


def _pipeline_required(pipeline_id) -> set[tuple[int, str]]:
    """(stage id, property name) of what each stage of the pipeline requires."""
    return set(
        Stage.required_properties.through.objects.filter(
            stage__pipeline_id=pipeline_id
        ).values_list("stage_id", "propertydefinition__name")
    )


def _deals_of(ticket) -> list:
    """Every deal of the ticket, the one it was opened from first."""
    deals = {d.pk: d for d in ticket.deals.all()}
    if ticket.deal is not None:
        deals[ticket.deal.pk] = ticket.deal
    return sorted(deals.values(), key=lambda d: (d.pk != ticket.deal_id, d.pk))


def _detail_context(request, ticket, move_form=None, note_form=None):
    now = clock.now()
    required_by_stage = _pipeline_required(ticket.pipeline_id)
    required = {name for _stage, name in required_by_stage}
    rows = crm_selectors.property_rows(ticket, request.user)
    # An automation may open a ticket without what its entry stage requires; it cannot leave
    # that stage before they are filled in (services.missing_to_leave): say so at the top.
    needed = (
        [
            row["definition"]
            for row in rows
            if not row["is_set"]
            and (ticket.entry_stage_id, row["definition"].name) in required_by_stage
        ]
        if ticket.stage_id == ticket.entry_stage_id
        else []
    )
    targets = []
    for target, label in (("first_response", _("First response")), ("resolution", _("Resolution"))):
        targets.append(
            {
                "label": label,
                "due": getattr(ticket, f"{target}_due_at"),
                "state": sla_state.target_state(ticket, target, now),
                "met": getattr(ticket, f"{target}_met"),
            }
        )
    state = sla_state.ticket_state(ticket, now)
    return {
        "ticket": ticket,
        "properties": [row for row in rows if row["is_set"] or row["definition"].name in required],
        "deals": _deals_of(ticket),
        "needed": needed,
        "notes": ticket.notes.select_related("author", "author_contact").prefetch_related(
            "attachments"
        ),
        "targets": targets,
        "sla": state,
        "needs_cause": state == SlaState.BREACHED and not ticket.has_delay_cause,
        "move_form": move_form or TicketMoveForm(ticket=ticket, initial={"stage": ticket.stage_id}),
        "note_form": note_form or NoteForm(ticket=ticket),
        "emails_to": ticket.contact.email if ticket.contact_id else "",
        "stages": ticket.pipeline.stages.order_by("order", "id"),
        "timeline": [{"event": e, "text": describe(e)} for e in timeline(ticket)],
    }


@staff_required
@require_GET
def ticket_detail(request, pk):
    ticket = selectors.ticket_detail(request.user, pk)
    return render(request, "tickets/ticket_detail.html", _detail_context(request, ticket))


def _ticket_board_move(request, ticket, stage):
    """A move from the board: crm/boards.py says what it answers."""
    from_dialog = bool(request.POST.get("dialog"))
    missing = services.missing_to_move(ticket, stage) if stage else []
    if request.htmx and not from_dialog and any(not d.is_builtin for d in missing):
        # Dropped on a stage that needs properties: ask for them, nothing was refused yet.
        form = TicketMoveForm(ticket=ticket, missing=missing, initial={"stage": stage.pk})
        dialog = _ticket_move_dialog(request, ticket, form)
        return render(request, "includes/_board_move_form.html", {"dialog": dialog}, status=422)
    form = TicketMoveForm(request.POST, ticket=ticket, missing=missing)
    if form.is_valid():
        values = {k: v for k, v in form.property_values().items() if v not in (None, "", [])}
        try:
            services.ticket_move(
                ticket=ticket, stage=form.cleaned_data["stage"], by=request.user, properties=values
            )
        except DomainError as exc:
            if request.htmx and not from_dialog:
                return boards.refusal(
                    request, exc, reverse("tickets:detail", args=[ticket.pk]), _("Open the ticket")
                )
            boards.add_move_errors(form, exc)
        else:
            text = _("Moved “%(name)s” to %(stage)s.") % {
                "name": ticket.name,
                "stage": form.cleaned_data["stage"].name,
            }
            board = reverse("tickets:board_pipeline", args=[ticket.pipeline_id])
            if not request.htmx:
                messages.success(request, text)
                return redirect(boards.safe_next(request, board) or board)
            now = clock.now()
            return render(
                request,
                "includes/_board_update.html",
                {
                    "card": "tickets/_board_card.html",
                    "kind": "ticket",
                    "board_url": board,
                    "t": selectors.as_board_card(
                        selectors.tickets_for(request.user).get(pk=ticket.pk), now
                    ),
                    "now": now,
                    "columns": selectors.board_columns(
                        request.user, ticket.pipeline, params=request.GET, now=now, cards=False
                    ),
                    "announcement": text,
                },
            )
    dialog = _ticket_move_dialog(request, ticket, form)
    if request.htmx:
        return render(request, "includes/_board_move_form.html", {"dialog": dialog}, status=422)
    # Without JavaScript: the board again, its dialog open with the errors.
    pipelines = list(selectors.ticket_pipelines())
    return _ticket_board_page(request, ticket.pipeline, pipelines, dialog=dialog, status=422)


@staff_required
@require_POST
def ticket_move(request, pk):
    """Move a ticket, with the properties the stage asks for. From the ticket's page, a refusal
    shows that page again with the fields; from the board (``board=1``) the move stays on the
    board: ``_ticket_board_move``."""
    ticket = selectors.ticket_detail(request.user, pk)
    stage = ticket.pipeline.stages.filter(pk=parse_id(request.POST.get("stage"))).first()
    if request.POST.get("board"):
        return _ticket_board_move(request, ticket, stage)
    missing = services.missing_to_move(ticket, stage) if stage else []
    form = TicketMoveForm(request.POST, ticket=ticket, missing=missing)
    if form.is_valid():
        try:
            values = {k: v for k, v in form.property_values().items() if v not in (None, "", [])}
            services.ticket_move(
                ticket=ticket, stage=form.cleaned_data["stage"], by=request.user, properties=values
            )
            messages.success(
                request, _("Moved to %(stage)s.") % {"stage": form.cleaned_data["stage"].name}
            )
            next_url = request.POST.get("next", "")
            if next_url.startswith("/app/tickets/board/"):
                return redirect(next_url)
            return redirect("tickets:detail", pk=ticket.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "tickets/ticket_detail.html",
        _detail_context(request, ticket, move_form=form),
        status=422,
    )


@staff_required
@require_POST
def ticket_note(request, pk):
    """An internal note, or a public reply emailed to the contact (and the contacts copied),
    with its files."""
    ticket = selectors.ticket_detail(request.user, pk)
    form = NoteForm(request.POST, ticket=ticket)
    if form.is_valid():
        data = form.cleaned_data
        try:
            note = services.ticket_note_add(
                ticket=ticket,
                by=request.user,
                body=data["body"],
                is_public=data["is_public"],
                is_delay_cause=data["is_delay_cause"],
                cc=list(data.get("cc") or []),
                files=request.FILES.getlist("attachments"),
            )
            if note.is_public and not (ticket.contact_id and ticket.contact.email):
                messages.warning(
                    request,
                    _("Reply saved, but not emailed: the ticket has no contact with an email."),
                )
            else:
                messages.success(
                    request,
                    _("Reply sent to the customer.") if note.is_public else _("Note added."),
                )
            return redirect("tickets:detail", pk=ticket.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "tickets/ticket_detail.html",
        _detail_context(request, ticket, note_form=form),
        status=422,
    )
