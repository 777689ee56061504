"""Client HubSpot accounts: the list with today's points, an account's page (subscriptions with
their MRR history, relationships, managing partners, employee connections, points and how each
figure was computed), and *End services*."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.core.forms import submit
from partnerdesk.core.pagination import CappedPaginator, capped_count

from .. import explain, points, selectors, services
from ..forms import (
    AccountEditForm,
    AccountForm,
    ActivityForm,
    ConnectionForm,
    EndServicesForm,
    ManagingPartnersForm,
    MrrChangeForm,
    RelationshipEndForm,
    RelationshipForm,
    SubscriptionEndForm,
    SubscriptionForm,
)
from ..models import ActivitySource, RelationshipKind, SubscriptionStatus
from .common import PAGE_SIZE, manager_required, render_list, today

ACCOUNT_SORTS = {
    "name": ("name", "pk"),
    "hub_id": ("hub_id", "pk"),
    "-total": ("-total_points", "name", "pk"),
    "-managed": ("-managed_points", "name", "pk"),
    "-usd": ("-usd", "name", "pk"),
}


class _Paginator(CappedPaginator):
    """Pages the annotated rows but counts the plain filtered accounts: the count never
    computes anyone's points."""

    def __init__(self, object_list, per_page, *, count_from):
        super().__init__(object_list, per_page)
        self.count_from = count_from

    @cached_property
    def _capped_count(self) -> tuple[int, bool]:
        return capped_count(self.count_from, self.cap)


def _page(request, rows, count_from):
    paginator = _Paginator(rows, PAGE_SIZE, count_from=count_from)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


@manager_required
@require_GET
def account_list(request):
    day = today()
    qs, active = selectors.filter_accounts(
        selectors.accounts_for(request.user), request.GET, day=day
    )
    sort = request.GET.get("sort", "name")
    sort = sort if sort in ACCOUNT_SORTS else "name"
    rows = points.account_points(day, accounts=qs).order_by(*ACCOUNT_SORTS[sort])
    page, querystring = _page(request, rows, qs)
    return render_list(
        request,
        "partner_program/account_list.html",
        {
            "page": page,
            "objects": page.object_list,
            "querystring": querystring,
            "filters": active,
            "q": active.get("q", ""),
            "sort": sort,
            "kinds": RelationshipKind.choices,
            "day": day,
        },
    )


@manager_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    initial = {"opened_on": today()}
    company = request.GET.get("company", "")
    if company.isdigit():
        initial["company"] = company
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST":
        outcome = submit(form, lambda data: services.account_create(by=request.user, **data))
        if outcome.ok and outcome.value is not None:
            messages.success(request, _("HubSpot account added."))
            return redirect("partner_program:account_detail", pk=outcome.value.pk)
    return render(
        request,
        "partner_program/account_form.html",
        {"form": form, "account": None},
        status=400 if form.errors else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def account_edit(request, pk):
    account = selectors.account_for(request.user, pk)
    form = AccountEditForm(
        request.POST or None,
        initial={
            "hub_id": account.hub_id,
            "name": account.name,
            "opened_on": account.opened_on,
            "growth_market": account.growth_market,
        },
    )
    if request.method == "POST":
        outcome = submit(
            form, lambda data: services.account_update(by=request.user, account=account, **data)
        )
        if outcome.ok:
            messages.success(request, _("HubSpot account saved."))
            return redirect("partner_program:account_detail", pk=account.pk)
    return render(
        request,
        "partner_program/account_form.html",
        {"form": form, "account": account},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- the account's page

# action -> (form class, form prefix)
ACCOUNT_FORMS = {
    "add_subscription": (SubscriptionForm, "sub"),
    "change_mrr": (MrrChangeForm, "mrr"),
    "end_subscription": (SubscriptionEndForm, "subend"),
    "add_relationship": (RelationshipForm, "rel"),
    "end_relationship": (RelationshipEndForm, "relend"),
    "managing_partners": (ManagingPartnersForm, "mp"),
    "connection": (ConnectionForm, "conn"),
    "record_activity": (ActivityForm, "act"),
}


def _form_kwargs(request, account, action: str) -> dict:
    """What a form of the account's page needs besides its data: the account's rows to choose
    from, or who records an activity."""
    if action == "record_activity":
        return {"user": request.user, "account": account}
    if action in ("change_mrr", "end_subscription"):
        subscriptions = account.subscriptions.order_by("product", "pk")
        if action == "end_subscription":
            subscriptions = subscriptions.exclude(status=SubscriptionStatus.ENDED)
        return {"choices": [(s.pk, f"{s.product} ({s.start_date})") for s in subscriptions]}
    if action == "end_relationship":
        open_periods = account.relationships.filter(ended_on__isnull=True).order_by("kind")
        return {
            "choices": [(r.pk, f"{r.get_kind_display()} ({r.started_on})") for r in open_periods]
        }
    return {}


def _forms(request, account, bound: tuple[str, object] | None = None) -> dict:
    day = today()
    initial = {
        "add_subscription": {"start_date": day, "currency": "USD"},
        "change_mrr": {"effective_on": day},
        "end_subscription": {"ended_on": day},
        "add_relationship": {"started_on": day},
        "end_relationship": {"ended_on": day},
        "managing_partners": {"effective_from": day},
        "connection": {},
        "record_activity": {"occurred_on": day},
    }
    forms = {}
    for action, (form_class, prefix) in ACCOUNT_FORMS.items():
        if bound is not None and bound[0] == action:
            forms[action] = bound[1]
            continue
        forms[action] = form_class(
            prefix=prefix, initial=initial[action], **_form_kwargs(request, account, action)
        )
    return forms


def _subscription(account, pk):
    return get_object_or_404(account.subscriptions.all(), pk=pk or 0)


def _relationship(account, pk):
    return get_object_or_404(account.relationships.all(), pk=pk or 0)


def _act(request, account, action: str, data: dict):
    """Call the service behind ``action`` with a valid form's data."""
    by = request.user
    match action:
        case "add_subscription":
            return services.subscription_create(by=by, account=account, **data)
        case "change_mrr":
            return services.subscription_change_mrr(
                by=by,
                subscription=_subscription(account, data["subscription"]),
                mrr=data["mrr"],
                currency=data["currency"] or None,
                effective_on=data["effective_on"],
            )
        case "end_subscription":
            return services.subscription_end(
                by=by,
                subscription=_subscription(account, data["subscription"]),
                ended_on=data["ended_on"],
            )
        case "add_relationship":
            return services.relationship_add(by=by, account=account, **data)
        case "end_relationship":
            return services.relationship_end(
                by=by,
                relationship=_relationship(account, data["relationship"]),
                ended_on=data["ended_on"],
                note=data["note"],
            )
        case "managing_partners":
            return services.managing_partners_set(by=by, account=account, **data)
        case "connection":
            return services.connection_confirm(by=by, account=account, **data)
        case "record_activity":
            return services.activity_record(
                by=by, account=account, source=ActivitySource.MANUAL, **data
            )
    raise AssertionError(action)


SAVED = {
    "add_subscription": gettext_lazy("Subscription added."),
    "change_mrr": gettext_lazy("MRR change recorded."),
    "end_subscription": gettext_lazy("Subscription ended."),
    "add_relationship": gettext_lazy("Relationship added."),
    "end_relationship": gettext_lazy("Relationship ended."),
    "managing_partners": gettext_lazy("Managing partners recorded."),
    "connection": gettext_lazy("Connection confirmed."),
    "record_activity": gettext_lazy("Qualifying activity recorded."),
}


def _detail_context(request, account, forms: dict) -> dict:
    day = today()
    figures = explain.account_figures(account, day)
    relationships = list(selectors.relationships_of(account)[:100])
    return {
        "account": account,
        "figures": figures,
        "totals": figures.totals,
        "subscriptions": list(selectors.subscriptions_of(account)),
        "relationships": relationships,
        "managing_partners": list(selectors.managing_partners_of(account)[:50]),
        "connections": explain.connection_rows(account),
        "activities": list(selectors.activities_for(request.user).filter(account=account)[:10]),
        "timeline": [{"event": e, "text": describe(e)} for e in timeline(account, limit=50)],
        "forms": forms,
        "day": day,
        "open_relationships": [r for r in relationships if r.ended_on is None],
        "statuses": SubscriptionStatus,
    }


@manager_required
@require_http_methods(["GET", "POST"])
def account_detail(request, pk):
    account = selectors.account_for(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "cancel_subscription":
            subscription = _subscription(account, parse_id(request.POST.get("subscription")))
            try:
                services.subscription_cancel(by=request.user, subscription=subscription)
                messages.success(request, _("Subscription cancelled: it will not renew."))
            except DomainError as exc:
                messages.error(request, str(exc.message))
            return redirect("partner_program:account_detail", pk=account.pk)
        if action in ACCOUNT_FORMS:
            form_class, prefix = ACCOUNT_FORMS[action]
            form = form_class(request.POST, prefix=prefix, **_form_kwargs(request, account, action))
            if submit(form, lambda data: _act(request, account, action, data)).ok:
                messages.success(request, SAVED[action])
                return redirect("partner_program:account_detail", pk=account.pk)
            context = _detail_context(request, account, _forms(request, account, (action, form)))
            context["failed"] = action
            return render(request, "partner_program/account_detail.html", context, status=400)
    context = _detail_context(request, account, _forms(request, account))
    return render(request, "partner_program/account_detail.html", context)


@manager_required
@require_http_methods(["GET", "POST"])
def end_services(request, pk):
    """*End services* for the client: asks for a reason and a confirmation first."""
    account = selectors.account_for(request.user, pk)
    form = EndServicesForm(request.POST or None)
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: services.services_end(
                by=request.user, account=account, reason=data["reason"]
            ),
        )
        if outcome.ok:
            messages.success(request, _("Services ended: the managed relationship ended today."))
            return redirect("partner_program:account_detail", pk=account.pk)
    return render(
        request,
        "partner_program/end_services.html",
        {"account": account, "form": form},
        status=400 if form.errors else 200,
    )
