"""The Renewals tab: *Renewals to act on* (the configured window, 120 days by default) and
*All renewals*, each with the deadline 45 days before the renewal start date, the days left
coloured by urgency, the status, the current and renewal MRR and the change; a chart of the
renewals by month and status; *Renewal details* in a side panel with the decision, the
renewal communication owner and the HubSpot renewal manager."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.core.charts import Chart, Series
from partnerdesk.core.exports import csv_response
from partnerdesk.core.forms import submit

from .. import renewals as dates
from .. import selectors, services
from ..forms import ManagerForm, OwnerForm, RenewalForm, RenewalSettingsForm
from ..models import OwnerMode, RenewalSettings, RenewalStatus
from .common import dashboard_required, paginate, render_panel, render_tab

STATUS_COLOURS: dict[str, str] = {
    RenewalStatus.PENDING.value: "#d9431f",
    RenewalStatus.CONFIRMED.value: "#2a4a9b",
    RenewalStatus.RENEWED.value: "#1f7a3d",
    RenewalStatus.CANCELLATION_REQUESTED.value: "#7a1f5c",
}


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return None


def parse_filters(params, *, window: int | None) -> selectors.RenewalFilters:
    status = str(params.get("status") or "")
    owner = str(params.get("owner") or "")
    order = str(params.get("sort") or "deadline")
    return selectors.RenewalFilters(
        within_days=window,
        status=status if status in RenewalStatus.values else None,
        owner=owner if owner in ("hubspot", "partner") else None,
        q=str(params.get("q") or "").strip()[:200],
        deadline_from=_date(params.get("deadline_from")),
        deadline_to=_date(params.get("deadline_to")),
        order=order if order.lstrip("-") in selectors.renewals.ORDERINGS else "deadline",
    )


def renewals_chart(settings: RenewalSettings, day: dt.date, months: int = 12) -> Chart:
    rows = selectors.renewals_by_month(on=day, months=months, settings=settings)
    start = day.replace(day=1)
    firsts = []
    for i in range(months):
        year, month = divmod(start.month - 1 + i, 12)
        firsts.append(dt.date(start.year + year, month + 1, 1))
    counts: dict[tuple[dt.date, str], int] = {}
    for row in rows:
        first = row["month"]
        first = first.date() if isinstance(first, dt.datetime) else first
        counts[(first, row["renewal_status"])] = row["count"]
    return Chart(
        id="renewals-by-month",
        title=_("Renewals starting each month, by status"),
        labels=[formats.date_format(m, "M Y") for m in firsts],
        series=[
            Series(label, [counts.get((m, value), 0) for m in firsts], STATUS_COLOURS[value])
            for value, label in RenewalStatus.choices
        ],
        kind="bar",
        stacked=True,
    )


def _tab(request, *, all_renewals: bool):
    day = dates.today()
    settings = RenewalSettings.load()
    filters = parse_filters(request.GET, window=None if all_renewals else settings.window_days)
    rows = selectors.filter_renewals(filters, on=day, settings=settings)
    page, querystring = paginate(request, rows)
    objects = selectors.annotate_page(page.object_list, on=day)
    for row in objects:
        row.days_past = -row.days_left
    return render_tab(
        request,
        "dashboard/partner/renewals.html",
        {
            "tab": "renewals",
            "all_renewals": all_renewals,
            "window_days": settings.window_days,
            "page": page,
            "objects": objects,
            "querystring": querystring,
            "filters": filters,
            "statuses": RenewalStatus.choices,
            "owners": [(OwnerMode.HUBSPOT, _("HubSpot")), (OwnerMode.PARTNER, _("Partner"))],
            "chart": renewals_chart(settings, day),
            "export_query": request.GET.urlencode(),
        },
    )


@dashboard_required
@require_GET
def renewals_to_act_on(request):
    return _tab(request, all_renewals=False)


@dashboard_required
@require_GET
def renewals_all(request):
    return _tab(request, all_renewals=True)


def _export(request, *, all_renewals: bool):
    day = dates.today()
    settings = RenewalSettings.load()
    filters = parse_filters(request.GET, window=None if all_renewals else settings.window_days)
    rows = selectors.filter_renewals(filters, on=day, settings=settings)
    owners = dict(OwnerMode.choices)
    statuses = dict(RenewalStatus.choices)
    header = [
        "Client",
        "Hub ID",
        "Domain",
        "Renewal owner",
        "Product",
        "Renewal start date",
        "Renewal deadline",
        "Days left",
        "Status",
        "Currency",
        "Current MRR",
        "Renewal MRR",
        "Change",
    ]

    def lines():
        for row in rows.iterator(chunk_size=500):
            yield [
                row.account.name,
                row.account.hub_id,
                row.account.company.domain,
                str(owners.get(row.owner_mode, row.owner_mode)),
                row.product,
                row.renewal_date.isoformat(),
                dates.deadline(row.renewal_date).isoformat(),
                dates.days_left(row.renewal_date, day),
                str(statuses.get(row.renewal_status, row.renewal_status)),
                row.currency,
                row.mrr,
                row.renewal_mrr_value,
                row.mrr_change,
            ]

    name = "renewals.csv" if all_renewals else "renewals-to-act-on.csv"
    return csv_response(name, header, lines())


@dashboard_required
@require_GET
def renewals_export(request):
    return _export(request, all_renewals=False)


@dashboard_required
@require_GET
def renewals_all_export(request):
    return _export(request, all_renewals=True)


def _renewal(pk: int, day: dt.date, settings: RenewalSettings):
    row = selectors.renewal_rows(settings=settings).filter(pk=pk).first()
    if row is None:  # no upcoming renewal (ended services, no renewal date): like a missing one
        raise Http404("Not found.")
    return selectors.annotate_page([row], on=day)[0]


@dashboard_required
@require_http_methods(["GET", "POST"])
def renewal_details(request, pk):
    """One renewal: the decision (status, renewal MRR, notes), who relays it to the client,
    and the HubSpot renewal manager with a one-click email. Three forms, one per service."""
    day = dates.today()
    settings = RenewalSettings.load()
    row = _renewal(pk, day, settings)
    account = row.account
    owner = getattr(account, "renewal_owner", None)
    action = request.POST.get("action") if request.method == "POST" else None
    renewal_form = RenewalForm(
        request.POST if action == "renewal" else None,
        initial={
            "status": row.renewal_status,
            "renewal_mrr": row.renewal_mrr_value if row.renewal_id else None,
            "notes": row.renewal_notes,
        },
    )
    owner_form = OwnerForm(
        request.POST if action == "owner" else None,
        company_id=account.company_id,
        initial={
            "mode": owner.mode if owner else OwnerMode.DEFAULT,
            "decision_maker": owner.decision_maker_id if owner else None,
            "copied_user": owner.copied_user_id if owner else None,
            "point_of_contact": owner.point_of_contact_id if owner else None,
        },
    )
    manager_form = ManagerForm(
        request.POST if action == "manager" else None,
        initial={
            "renewal_manager_name": owner.renewal_manager_name if owner else "",
            "renewal_manager_email": owner.renewal_manager_email if owner else "",
        },
    )
    if action == "renewal":
        outcome = submit(
            renewal_form,
            lambda d: services.renewal_update(
                by=request.user,
                subscription=row,
                status=d["status"],
                renewal_mrr=d["renewal_mrr"],
                notes=d["notes"],
            ),
        )
    elif action == "owner":
        outcome = submit(
            owner_form,
            lambda d: services.renewal_owner_set(
                by=request.user,
                account=account,
                mode=d["mode"],
                decision_maker=d["decision_maker"],
                copied_user=d["copied_user"],
                point_of_contact=d["point_of_contact"],
            ),
        )
    elif action == "manager":
        outcome = submit(
            manager_form,
            lambda d: services.renewal_manager_set(
                by=request.user,
                account=account,
                name=d["renewal_manager_name"],
                email=d["renewal_manager_email"],
            ),
        )
    else:
        outcome = None
    if outcome is not None and outcome.ok:
        messages.success(request, _("Renewal details saved."))
        return redirect("dashboard:renewal_details", pk=row.pk)
    invalid = outcome is not None
    return render_panel(
        request,
        "dashboard/partner/renewal_details.html",
        {
            "tab": "renewals",
            "row": row,
            "account": account,
            "owner": owner,
            "default_owner": settings.get_default_owner_display(),
            "renewal_form": renewal_form,
            "owner_form": owner_form,
            "manager_form": manager_form,
            "reminder_days": settings.reminder_days,
        },
        status=400 if invalid else 200,
    )


@dashboard_required
@require_http_methods(["GET", "POST"])
def renewal_settings(request):
    """The renewals window, the reminder days and the default renewal communication owner:
    managers read them, admins change them."""
    settings = RenewalSettings.load()
    if request.method == "POST" and not request.user.is_admin:
        raise PermissionDenied(_("Only an admin can change the renewal settings."))
    form = RenewalSettingsForm(
        request.POST or None,
        initial={
            "window_days": settings.window_days,
            "reminder_days": settings.reminder_days,
            "default_owner": settings.default_owner,
            "default_point_of_contact": settings.default_point_of_contact_id,
        },
    )
    if request.method == "POST":
        outcome = submit(
            form,
            lambda d: services.renewal_settings_update(
                by=request.user,
                window_days=d["window_days"],
                reminder_days=d["reminder_days"],
                default_owner=d["default_owner"],
                default_point_of_contact=d["default_point_of_contact"],
            ),
        )
        if outcome.ok:
            messages.success(request, _("Renewal settings saved."))
            return redirect("dashboard:renewals")
    return render(
        request,
        "dashboard/partner/renewal_settings.html",
        {"tab": "renewals", "form": form},
        status=400 if form.errors else 200,
    )
