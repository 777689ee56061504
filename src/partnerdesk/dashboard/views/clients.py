"""The Clients tab: each client's domain, products owned, relationship, product usage and MRR,
with its actions: *Client details* (a side panel), *Company record*, *Client's portal* (the
portal as the client sees it, read-only, the visit logged on the company's timeline) and *End
services* (with a reason and a confirmation)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.core.charts import Chart, Series
from partnerdesk.core.events import record_event
from partnerdesk.core.exports import csv_response
from partnerdesk.core.forms import submit
from partnerdesk.core.permissions import person
from partnerdesk.crm.models import Contact, Deal, LineItem, StageKind
from partnerdesk.partner_program import services as pp_services
from partnerdesk.partner_program.models import HubSpotAccount, RelationshipKind
from partnerdesk.portal import selectors as portal_selectors
from partnerdesk.portal.models import CLOSED_STATUSES, SLOT_STATUSES, Status

from .. import renewals, selectors
from ..events import DashboardEvent
from ..forms import EndServicesForm
from .common import dashboard_required, paginate, render_panel, render_tab

MRR_MONTHS = 12


def _account(pk: int) -> HubSpotAccount:
    return get_object_or_404(HubSpotAccount.objects.select_related("company"), pk=pk)


@dashboard_required
@require_GET
def clients(request):
    day = renewals.today()
    filters = selectors.ClientFilters.from_params(request.GET)
    rows = selectors.filter_clients(filters, day=day)
    page, querystring = paginate(
        request, rows, count_from=selectors.count_clients(filters, day=day)
    )
    return render_tab(
        request,
        "dashboard/partner/clients.html",
        {
            "tab": "clients",
            "page": page,
            "objects": selectors.annotate_clients(page.object_list, day=day),
            "querystring": querystring,
            "filters": filters,
            "kinds": RelationshipKind.choices,
            "export_query": request.GET.urlencode(),
        },
    )


@dashboard_required
@require_GET
def clients_export(request):
    """The clients the tab lists with the same filters and sort, every page, streamed."""
    day = renewals.today()
    filters = selectors.ClientFilters.from_params(request.GET)
    rows = selectors.filter_clients(filters, day=day)
    rates = selectors.usd_rates(day)
    header = [
        "Client",
        "Hub ID",
        "Company",
        "Domain",
        "Products",
        "Relationship",
        "Seats used",
        "Seats bought",
        "Last activity",
        "MRR",
        "MRR (USD)",
        "Services ended",
    ]

    def lines():
        for row in rows.iterator(chunk_size=500):
            money, usd = selectors.mrr_of(row.products, rates)
            yield [
                row.name,
                row.hub_id,
                row.company.name,
                row.company.domain,
                "; ".join(s.product for s in row.products),
                ", ".join(selectors.relationship_labels(row)),
                "" if row.seats_used is None else row.seats_used,
                row.seats_bought,
                row.last_activity.isoformat() if row.last_activity else "",
                "; ".join(f"{m.amount} {m.currency}" for m in money),
                "" if usd is None else usd,
                row.services_ended_on.isoformat() if row.services_ended_on else "",
            ]

    return csv_response("clients.csv", header, lines())


@dashboard_required
@require_GET
def client_details(request, pk):
    """Company information, the subscriptions with HubSpot, and the contact and email tiers:
    the company's contacts and the email plans it holds (won deals' mailbox products)."""
    day = renewals.today()
    account = _account(pk)
    (row,) = selectors.annotate_clients(selectors.client_rows(day).filter(pk=account.pk), day=day)
    company = account.company
    contacts = Contact.objects.filter(company=company).order_by("last_name", "first_name", "pk")
    email_tiers = (
        LineItem.objects.filter(
            deal__company=company,
            deal__stage__kind=StageKind.WON,
            product__mailbox_gb__isnull=False,
        )
        .select_related("product", "deal")
        .order_by("product__name", "pk")
    )
    return render_panel(
        request,
        "dashboard/partner/client_details.html",
        {
            "tab": "clients",
            "account": account,
            "row": row,
            "company": company,
            "subscriptions": account.subscriptions.order_by("status", "product", "pk"),
            "contact_count": contacts.count(),
            "contacts": contacts[:10],
            "email_tiers": email_tiers[:20],
            "plan": portal_selectors.current_plan(company.pk),
        },
    )


@dashboard_required
@require_GET
def client_portal(request, pk):
    """The client's portal exactly as its users see it (home and tasks), read-only: no form,
    no action, task titles without links. The visit is recorded on the company's timeline."""
    account = _account(pk)
    company = account.company
    tasks = portal_selectors.tasks_for(request.user).filter(company=company)
    open_tasks = list(tasks.exclude(status__in=CLOSED_STATUSES).order_by("created_at", "id"))
    counts = portal_selectors.status_counts(company.pk)
    taken, limit = portal_selectors.slot_usage(company.pk)
    with transaction.atomic():
        record_event(
            kind=DashboardEvent.CLIENT_PORTAL_VIEWED,
            subject=company,
            actor=person(request.user),
            company_id=company.pk,
            data={"account_id": account.pk, "hub_id": account.hub_id},
        )
    return render(
        request,
        "dashboard/partner/client_portal.html",
        {
            "tab": "clients",
            "account": account,
            "company": company,
            "counts": counts,
            "in_progress": sum(counts.get(status, 0) for status in SLOT_STATUSES),
            "plan": portal_selectors.current_plan(company.pk),
            "taken": taken,
            "limit": limit,
            "contacts": Contact.objects.filter(company=company).order_by(
                "last_name", "first_name", "pk"
            )[:100],
            "colleagues": company.users.filter(is_active=True),
            "deals": Deal.objects.filter(company=company)
            .select_related("stage")
            .prefetch_related("line_items__product")
            .order_by("-created_at", "-id")[:50],
            "triage": [t for t in open_tasks if t.status == Status.TRIAGE],
            "queue": portal_selectors.queue_forecast(company.pk),
            "working": [t for t in open_tasks if t.status == Status.WORKING],
            "pending": [t for t in open_tasks if t.status == Status.PENDING_APPROVAL],
            "closed": tasks.filter(status__in=CLOSED_STATUSES).order_by("-closed_at", "-id")[:20],
        },
    )


@dashboard_required
@require_http_methods(["GET", "POST"])
def client_end_services(request, pk):
    """*End services*: asks for a reason and a confirmation, then ends the managed
    relationship today; renewal communications stop and the client leaves the renewals."""
    account = _account(pk)
    form = EndServicesForm(request.POST or None)
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: pp_services.services_end(
                by=request.user, account=account, reason=data["reason"]
            ),
        )
        if outcome.ok:
            messages.success(
                request,
                _("Services to %(client)s ended: it left the renewals list.")
                % {"client": account.name},
            )
            return redirect("dashboard:clients")
    return render(
        request,
        "dashboard/partner/end_services.html",
        {"tab": "clients", "account": account, "form": form},
        status=400 if form.errors else 200,
    )


@dashboard_required
@require_GET
def mrr_history(request):
    """The clients' MRR in USD at each month's end (a chart and a table of the figures). The
    Clients tab loads it after it renders (an aggregate query per month); without JavaScript
    it is a page of its own."""
    day = renewals.today()
    ends = selectors.month_ends(day, MRR_MONTHS)
    chart = Chart(
        id="mrr-by-month",
        title=_("Clients' MRR in USD at the end of each month"),
        labels=[formats.date_format(d, "M Y") for d in ends],
        series=[Series(_("MRR (USD)"), [selectors.usd_mrr_on(d) for d in ends], "#213343")],
    )
    template = "dashboard/partner/mrr_history.html"
    if request.htmx:
        template += "#chart"
    return render(request, template, {"tab": "clients", "chart": chart})
