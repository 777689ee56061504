"""Staff pages for the CRM: thin views that parse, authorise, call a service and render."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core.access import staff_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.core.exports import csv_response
from partnerdesk.core.listing import Listing
from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import boards, record_pages, selectors, services
from . import properties as props
from .forms import CompanyForm, ContactForm, DealForm, DealMoveForm, LineItemForm
from .models import Lifecycle, LineItem, Pipeline, Stage, StageKind

# Search and filters are the selectors' (shared with the API); the listings sort and page.
COMPANY_LISTING = Listing(
    search_fields=(),
    sorts={
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "-created": ("-created_at", "-id"),
        "domain": ("domain", "id"),
    },
    default_sort="name",
)
CONTACT_LISTING = Listing(
    search_fields=(),
    sorts={
        "name": ("last_name", "first_name", "id"),
        "-created": ("-created_at", "-id"),
        "email": ("email", "id"),
    },
    default_sort="name",
)
DEAL_LISTING = Listing(
    search_fields=(),
    sorts={
        "-created": ("-created_at", "-id"),
        "created": ("created_at", "id"),
        "name": ("name", "id"),
        "-amount": ("-amount", "-id"),
        "close_date": ("close_date", "id"),
    },
    default_sort="-created",
)


def _list(request, listing: Listing, filtered) -> dict:
    """The list page's context: ``filtered`` is a selector's ``(rows, active filters)``."""
    qs, active = filtered
    context = listing.apply(request, qs)
    context["filters"] = active
    return context


def _render_list(request, template, context):
    if request.htmx and request.htmx.target == "results":
        return render(request, f"{template}#results", context)
    return render(request, template, context)


def _timeline(record):
    return [{"event": e, "text": describe(e)} for e in timeline(record)]


# ---------------------------------------------------------------- companies


@staff_required
@require_GET
def company_list(request):
    context = _list(
        request,
        COMPANY_LISTING,
        selectors.filter_companies(
            selectors.companies_for(request.user).annotate(deal_count=Count("deals")), request.GET
        ),
    )
    context.update(lifecycles=Lifecycle.choices, owners=selectors.staff_users())
    return _render_list(request, "crm/company_list.html", context)


@staff_required
@require_GET
def company_export(request):
    qs = _list(
        request,
        COMPANY_LISTING,
        selectors.filter_companies(selectors.companies_for(request.user), request.GET),
    )["page"].paginator.object_list
    definitions = list(props.definitions("company").exclude(type="secret"))
    header = [
        "Record ID",
        "Company name",
        "Company Domain Name",
        "Country",
        "Time zone",
        "Hub ID",
        "Lifecycle",
        "Owner",
    ]
    header += [d.label for d in definitions]

    def rows():
        for c in qs.iterator(chunk_size=500):
            yield [
                c.hubspot_record_id or c.pk,
                c.name,
                c.domain,
                c.country,
                c.timezone,
                c.hub_id,
                c.get_lifecycle_display(),
                c.owner.email if c.owner else "",
            ] + [props.display_value(d, c.properties.get(d.name)) for d in definitions]

    return csv_response("companies.csv", header, rows())


@staff_required
@require_GET
def company_detail(request, pk):
    """The company at a glance: a card per kind of record about it (crm's and those the apps
    above register in ``record_pages``), its properties and one timeline of them all."""
    company = selectors.company_detail(request.user, pk)
    return render(
        request,
        "crm/company_detail.html",
        {
            "company": company,
            "panels": record_pages.panels_for("company", company, request.user),
            "properties": selectors.property_rows(company, request.user),
            "users": company.users.all(),
            "timeline": selectors.record_timeline(company, request.user),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def company_form(request, pk=None):
    company = selectors.company_detail(request.user, pk) if pk else None
    form = CompanyForm(request.POST or None, instance=company)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in CompanyForm.Meta.fields}
        try:
            if company:
                company = services.company_update(
                    company=company, by=request.user, properties=form.property_values(), **fields
                )
                messages.success(request, _("Company saved."))
            else:
                company = services.company_create(
                    by=request.user, properties=form.property_values(), **fields
                )
                messages.success(request, _("Company created."))
            return redirect("crm:company_detail", pk=company.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "crm/record_form.html",
        {
            "form": form,
            "record": company,
            "kind": _("company"),
            "cancel_url": reverse("crm:company_detail", args=[company.pk])
            if company
            else reverse("crm:company_list"),
        },
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- contacts


@staff_required
@require_GET
def contact_list(request):
    context = _list(
        request,
        CONTACT_LISTING,
        selectors.filter_contacts(selectors.contacts_for(request.user), request.GET),
    )
    context.update(owners=selectors.staff_users())
    return _render_list(request, "crm/contact_list.html", context)


@staff_required
@require_GET
def contact_export(request):
    qs = _list(
        request,
        CONTACT_LISTING,
        selectors.filter_contacts(selectors.contacts_for(request.user), request.GET),
    )["page"].paginator.object_list
    definitions = list(props.definitions("contact").exclude(type="secret"))
    header = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "Job Title",
        "Associated Company",
    ]
    header += [d.label for d in definitions]

    def rows():
        for c in qs.iterator(chunk_size=500):
            yield [
                c.hubspot_record_id or c.pk,
                c.first_name,
                c.last_name,
                c.email,
                c.phone,
                c.job_title,
                c.company.name if c.company else "",
            ] + [props.display_value(d, c.properties.get(d.name)) for d in definitions]

    return csv_response("contacts.csv", header, rows())


@staff_required
@require_GET
def contact_detail(request, pk):
    """The contact at a glance: their company, open tickets, task requests and open deals,
    their properties and one timeline of them all."""
    contact = selectors.contact_detail(request.user, pk)
    return render(
        request,
        "crm/contact_detail.html",
        {
            "contact": contact,
            "panels": record_pages.panels_for("contact", contact, request.user),
            "properties": selectors.property_rows(contact, request.user),
            "timeline": selectors.record_timeline(contact, request.user),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def contact_form(request, pk=None):
    contact = selectors.contact_detail(request.user, pk) if pk else None
    initial = {}
    if not contact and request.GET.get("company", "").isdigit():
        initial["company"] = request.GET["company"]
    form = ContactForm(request.POST or None, instance=contact, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in ContactForm.Meta.fields}
        try:
            if contact:
                contact = services.contact_update(
                    contact=contact, by=request.user, properties=form.property_values(), **fields
                )
                messages.success(request, _("Contact saved."))
            else:
                contact = services.contact_create(
                    by=request.user, properties=form.property_values(), **fields
                )
                messages.success(request, _("Contact created."))
            return redirect("crm:contact_detail", pk=contact.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "crm/record_form.html",
        {
            "form": form,
            "record": contact,
            "kind": _("contact"),
            "cancel_url": reverse("crm:contact_detail", args=[contact.pk])
            if contact
            else reverse("crm:contact_list"),
        },
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- deals


@staff_required
@require_GET
def deal_list(request):
    context = _list(
        request,
        DEAL_LISTING,
        selectors.filter_deals(selectors.deals_for(request.user), request.GET),
    )
    context.update(
        pipelines=selectors.deal_pipelines(),
        owners=selectors.staff_users(),
        kinds=[(StageKind.OPEN, _("Open")), (StageKind.WON, _("Won")), (StageKind.LOST, _("Lost"))],
    )
    return _render_list(request, "crm/deal_list.html", context)


@staff_required
@require_GET
def deal_export(request):
    qs = _list(
        request,
        DEAL_LISTING,
        selectors.filter_deals(selectors.deals_for(request.user), request.GET),
    )["page"].paginator.object_list
    definitions = list(props.definitions("deal").exclude(type="secret"))
    header = [
        "Record ID",
        "Deal Name",
        "Pipeline",
        "Deal Stage",
        "Amount",
        "Currency",
        "Close Date",
        "Deal owner",
        "Associated Company",
    ]
    header += [d.label for d in definitions]

    def rows():
        for d in qs.iterator(chunk_size=500):
            yield [
                d.hubspot_record_id or d.pk,
                d.name,
                d.pipeline.name,
                d.stage.name,
                d.amount if d.amount is not None else "",
                d.currency,
                d.close_date or "",
                d.owner.email if d.owner else "",
                d.company.name if d.company else "",
            ] + [props.display_value(p, d.properties.get(p.name)) for p in definitions]

    return csv_response("deals.csv", header, rows())


def _deal_board_page(request, pipeline, pipelines, *, dialog=None, status=200):
    columns, active = selectors.board_columns(request.user, pipeline, request.GET)
    return render(
        request,
        "crm/deal_board.html",
        {
            "pipeline": pipeline,
            "pipelines": pipelines,
            "columns": columns,
            "q": active.get("q", ""),
            "board_query": boards.board_query(request.GET),
            "board_url": reverse("crm:deal_board_pipeline", args=[pipeline.pk]),
            "dialog": dialog,
        },
        status=status,
    )


def _deal_move_dialog(request, deal, form, stages=None) -> dict:
    """What the board's move dialog shows for ``deal`` (includes/_board_move_form.html)."""
    if stages is None:
        stages = list(deal.pipeline.stages.order_by("order", "id"))
    board = reverse("crm:deal_board_pipeline", args=[deal.pipeline_id])
    query = boards.board_query(request.GET)
    return {
        "record": deal,
        "form": form,
        "stages": stages,
        "stage": boards.dialog_stage(form, stages, deal.stage),
        "move_url": boards.with_query(reverse("crm:deal_move", args=[deal.pk]), query),
        "board_url": boards.with_query(board, query),
        "form_url": boards.with_query(board, f"move={deal.pk}&{query}".rstrip("&")),
        "record_url": reverse("crm:deal_detail", args=[deal.pk]),
        "record_link": _("Open the deal"),
        "builtin_note": _("Also needed, on the deal's page:"),
    }


@staff_required
@require_GET
def deal_board(request, pipeline_pk=None):
    """The deal board: a column per stage with its count and value. ``?move=<deal>&to=<stage>``
    opens the move dialog for that stage (htmx: only the dialog's form)."""
    pipelines = list(Pipeline.objects.filter(object_type="deal", archived=False))
    if not pipelines:
        return redirect("crm:deal_list")
    pipeline = (
        get_object_or_404(Pipeline, pk=pipeline_pk, object_type="deal")
        if pipeline_pk
        else pipelines[0]
    )
    dialog = None
    if "move" in request.GET:
        deal = selectors.deal_detail(request.user, parse_id(request.GET["move"]))
        stages = list(deal.pipeline.stages.order_by("order", "id"))
        to = parse_id(request.GET.get("to"))
        stage = next((s for s in stages if s.pk == to), deal.stage)
        missing = props.missing_for_stage(deal, stage) if stage.pk != deal.stage_id else []
        form = DealMoveForm(deal=deal, missing=missing, initial={"stage": stage.pk})
        dialog = _deal_move_dialog(request, deal, form, stages)
        if request.htmx:
            return render(request, "includes/_board_move_form.html", {"dialog": dialog})
    return _deal_board_page(request, pipeline, pipelines, dialog=dialog)


def _deal_board_move(request, deal, stage):
    """A move from the board: crm/boards.py says what it answers."""
    from_dialog = bool(request.POST.get("dialog"))
    missing = props.missing_for_stage(deal, stage) if stage and stage.pk != deal.stage_id else []
    if request.htmx and not from_dialog and any(not d.is_builtin for d in missing):
        # Dropped on a stage that needs properties: ask for them, nothing was refused yet.
        form = DealMoveForm(deal=deal, missing=missing, initial={"stage": stage.pk})
        dialog = _deal_move_dialog(request, deal, form)
        return render(request, "includes/_board_move_form.html", {"dialog": dialog}, status=422)
    form = DealMoveForm(request.POST, deal=deal, missing=missing)
    if form.is_valid():
        values = {k: v for k, v in form.property_values().items() if v not in (None, "", [])}
        try:
            deal = services.deal_move(
                deal=deal, stage=form.cleaned_data["stage"], by=request.user, properties=values
            )
        except DomainError as exc:
            if request.htmx and not from_dialog:
                return boards.refusal(
                    request, exc, reverse("crm:deal_detail", args=[deal.pk]), _("Open the deal")
                )
            boards.add_move_errors(form, exc)
        else:
            text = _("Moved “%(name)s” to %(stage)s.") % {
                "name": deal.name,
                "stage": form.cleaned_data["stage"].name,
            }
            board = reverse("crm:deal_board_pipeline", args=[deal.pipeline_id])
            if not request.htmx:
                messages.success(request, text)
                return redirect(boards.safe_next(request, board) or board)
            columns, _active = selectors.board_columns(
                request.user, deal.pipeline, request.GET, cards=False
            )
            card = selectors.deals_for(request.user).get(pk=deal.pk)
            boards.as_card(card, selectors.deal_card_links())
            return render(
                request,
                "includes/_board_update.html",
                {
                    "card": "crm/_board_card.html",
                    "kind": "deal",
                    "board_url": board,
                    "d": card,
                    "columns": columns,
                    "announcement": text,
                },
            )
    dialog = _deal_move_dialog(request, deal, form)
    if request.htmx:
        return render(request, "includes/_board_move_form.html", {"dialog": dialog}, status=422)
    # Without JavaScript: the board again, its dialog open with the errors.
    pipelines = list(Pipeline.objects.filter(object_type="deal", archived=False))
    return _deal_board_page(request, deal.pipeline, pipelines, dialog=dialog, status=422)


def _deal_context(request, deal, move_form=None, line_form=None):
    stages = (
        Stage.objects.filter(pipeline__object_type="deal", pipeline__archived=False)
        .select_related("pipeline")
        .order_by("pipeline__order", "order")
    )
    return {
        "deal": deal,
        "properties": selectors.property_rows(deal, request.user),
        "line_items": deal.line_items.all(),
        "line_total": sum((li.total for li in deal.line_items.all()), start=0),
        "contacts": deal.contacts.all(),
        "stages": stages,
        "move_form": move_form or DealMoveForm(deal=deal, initial={"stage": deal.stage_id}),
        "line_form": line_form or LineItemForm(),
        "tickets": deal.tickets.select_related("stage", "pipeline").order_by("-created_at")[:50],
        "timeline": _timeline(deal),
    }


@staff_required
@require_GET
def deal_detail(request, pk):
    deal = selectors.deal_detail(request.user, pk)
    return render(request, "crm/deal_detail.html", _deal_context(request, deal))


@staff_required
@require_http_methods(["GET", "POST"])
def deal_form(request, pk=None):
    deal = selectors.deal_detail(request.user, pk) if pk else None
    initial = {}
    if not deal:
        for key in ("company", "pipeline"):
            if request.GET.get(key, "").isdigit():
                initial[key] = request.GET[key]
        initial.setdefault("owner", request.user.pk)
    form = DealForm(request.POST or None, instance=deal, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            k: data[k] for k in ("name", "amount", "currency", "close_date", "owner", "company")
        }
        try:
            if deal:
                deal = services.deal_update(
                    deal=deal,
                    by=request.user,
                    properties=form.property_values(),
                    contacts=list(data["contacts"]),
                    **fields,
                )
                messages.success(request, _("Deal saved."))
            else:
                deal = services.deal_create(
                    by=request.user,
                    pipeline=data["pipeline"],
                    stage=data.get("stage"),
                    contacts=list(data["contacts"]),
                    properties=form.property_values(),
                    **fields,
                )
                messages.success(request, _("Deal created."))
            return redirect("crm:deal_detail", pk=deal.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "crm/record_form.html",
        {
            "form": form,
            "record": deal,
            "kind": _("deal"),
            "cancel_url": reverse("crm:deal_detail", args=[deal.pk])
            if deal
            else reverse("crm:deal_list"),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def deal_move(request, pk):
    """Move a deal; when the stage needs properties, ask for them and move in one step.

    GET ?stage=<id> shows the form for that stage with the fields it still needs, so the
    person fills them before pressing Move. A move from the board (``board=1``) stays on the
    board: ``_deal_board_move``.
    """
    deal = selectors.deal_detail(request.user, pk)
    data = request.POST if request.method == "POST" else request.GET
    stage = (
        Stage.objects.filter(pk=parse_id(data.get("stage")), pipeline__object_type="deal")
        .select_related("pipeline")
        .first()
    )
    if request.method == "GET":
        missing = (
            props.missing_for_stage(deal, stage) if stage and stage.pk != deal.stage_id else []
        )
        form = DealMoveForm(
            deal=deal, missing=missing, initial={"stage": stage.pk if stage else deal.stage_id}
        )
        context = _deal_context(request, deal, move_form=form)
        return render(
            request, "crm/_deal_move.html" if request.htmx else "crm/deal_detail.html", context
        )
    if request.POST.get("board"):
        return _deal_board_move(request, deal, stage)
    missing = props.missing_for_stage(deal, stage) if stage else []
    form = DealMoveForm(request.POST, deal=deal, missing=missing)
    if form.is_valid():
        try:
            values = {k: v for k, v in form.property_values().items() if v not in (None, "", [])}
            services.deal_move(
                deal=deal, stage=form.cleaned_data["stage"], by=request.user, properties=values
            )
            messages.success(
                request, _("Moved to %(stage)s.") % {"stage": form.cleaned_data["stage"].name}
            )
            if request.htmx:  # reload the page: stage, properties and timeline all changed
                response = HttpResponse(status=204)
                response["HX-Refresh"] = "true"
                return response
            return redirect("crm:deal_detail", pk=deal.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    if request.htmx:
        return render(
            request,
            "crm/_deal_move.html",
            {"deal": deal, "move_form": form, "stages": _deal_context(request, deal)["stages"]},
            status=422,
        )
    return render(
        request, "crm/deal_detail.html", _deal_context(request, deal, move_form=form), status=422
    )


@staff_required
@require_POST
def line_item_add(request, pk):
    deal = selectors.deal_detail(request.user, pk)
    form = LineItemForm(request.POST)
    if form.is_valid():
        try:
            services.line_item_add(deal=deal, by=request.user, **form.cleaned_data)
            messages.success(request, _("Line item added."))
            return redirect("crm:deal_detail", pk=deal.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request, "crm/deal_detail.html", _deal_context(request, deal, line_form=form), status=422
    )


@staff_required
@require_POST
def line_item_remove(request, pk, item_pk):
    deal = selectors.deal_detail(request.user, pk)
    item = get_object_for_user_or_404(
        LineItem.objects.select_related("product"), request.user, pk=item_pk, deal=deal
    )
    services.line_item_remove(line_item=item, by=request.user)
    messages.success(request, _("Line item removed."))
    return redirect("crm:deal_detail", pk=deal.pk)
