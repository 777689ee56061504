"""Admin pages under Settings → Webhooks: endpoints (the secret shown once), their deliveries,
each delivery's attempts, and replay."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core.access import admin_required
from partnerdesk.core.converters import parse_id
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin, submit
from partnerdesk.core.pagination import CappedPaginator, capped_count

from . import kinds, selectors, services, signing
from .models import Delivery, DeliveryStatus, Endpoint


class EndpointForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=150, label=gettext_lazy("Name"))
    url = forms.CharField(
        max_length=2000,
        label=gettext_lazy("URL"),
        help_text=gettext_lazy("http:// or https://. Redirects are not followed."),
    )
    enabled = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Enabled"))
    all_events = forms.BooleanField(
        required=False,
        label=gettext_lazy("All events"),
        help_text=gettext_lazy("Every event, including kinds added in later versions."),
    )
    event_kinds = forms.MultipleChoiceField(
        required=False,
        choices=kinds.choices,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Event kinds"),
    )


def _initial(endpoint: Endpoint) -> dict:
    return {name: getattr(endpoint, name) for name in services.EDITABLE}


def _detail(request, endpoint: Endpoint, *, form=None, new_secret: str = "", status: int = 200):
    page = CappedPaginator(selectors.deliveries(endpoint_id=endpoint.pk), 25).get_page(
        request.GET.get("page")
    )
    if _wants_results(request):
        return _results(request, page, "", show_endpoint=False)
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "form": form or EndpointForm(initial=_initial(endpoint)),
            "new_secret": new_secret,
            "page": page,
            "querystring": "",
            "signature_header": signing.HEADER,
        },
        status=status,
    )


def _wants_results(request) -> bool:
    """An htmx request for the next page of deliveries only (includes/pagination.html)."""
    return request.method == "GET" and bool(request.htmx) and request.htmx.target == "results"


def _results(request, page, querystring: str, *, show_endpoint: bool):
    return render(
        request,
        "webhooks/_deliveries.html",
        {"page": page, "querystring": querystring, "show_endpoint": show_endpoint},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def endpoint_list(request):
    form = EndpointForm(request.POST or None, initial={"enabled": True})
    if request.method == "POST":
        outcome = submit(form, lambda data: services.endpoint_create(by=request.user, **data))
        if outcome.ok and outcome.value:
            endpoint, secret = outcome.value
            messages.success(request, _("Webhook created."))
            return _detail(request, endpoint, new_secret=secret)
    failed, _exact = capped_count(selectors.deliveries(status=DeliveryStatus.FAILED))
    return render(
        request,
        "webhooks/endpoint_list.html",
        {"endpoints": selectors.endpoints()[:200], "form": form, "failed": failed},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if request.method == "GET":
        return _detail(request, endpoint)
    if request.POST.get("action") == "rotate":
        endpoint, secret = services.endpoint_rotate_secret(by=request.user, endpoint=endpoint)
        messages.success(request, _("New signing secret made: the old one no longer signs."))
        return _detail(request, endpoint, new_secret=secret)
    form = EndpointForm(request.POST)
    if submit(
        form, lambda data: services.endpoint_update(by=request.user, endpoint=endpoint, **data)
    ).ok:
        messages.success(request, _("Webhook saved."))
        return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
    return _detail(request, endpoint, form=form, status=400)


@admin_required
@require_POST
def endpoint_delete(request, pk):
    endpoint = get_object_or_404(Endpoint, pk=pk)
    services.endpoint_delete(by=request.user, endpoint=endpoint)
    messages.success(request, _("Webhook “%(name)s” deleted.") % {"name": endpoint.name})
    return redirect("webhooks:endpoint_list")


@admin_required
@require_GET
def delivery_list(request):
    status = request.GET.get("status", "")
    endpoint_id = parse_id(request.GET.get("endpoint", ""))
    qs = selectors.deliveries(endpoint_id=endpoint_id, status=status or None)
    page = CappedPaginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    if _wants_results(request):
        return _results(request, page, query.urlencode(), show_endpoint=True)
    return render(
        request,
        "webhooks/delivery_list.html",
        {
            "page": page,
            "status": status,
            "statuses": DeliveryStatus.choices,
            "endpoint_id": endpoint_id,
            "querystring": query.urlencode(),
        },
    )


@admin_required
@require_GET
def delivery_detail(request, pk):
    delivery = get_object_or_404(selectors.delivery_detail(), pk=pk)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "delivery": delivery,
            "payload": json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False),
            "attempts": list(delivery.attempt_log.all()),
            "can_replay": delivery.replayable and delivery.endpoint.enabled,
        },
    )


@admin_required
@require_POST
def delivery_replay(request, pk):
    delivery = get_object_or_404(Delivery, pk=pk)
    try:
        delivery = services.delivery_replay(by=request.user, delivery=delivery)
        messages.success(request, _("Delivery queued to be sent again."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("webhooks:delivery_detail", pk=pk)
