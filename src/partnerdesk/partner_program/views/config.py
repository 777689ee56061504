"""The program's settings: point rates and the currency table (versioned by effective date),
the activity catalogue, the mappings from agency work to activity types, the tier table and
the program settings. Managers read them; admins change them."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import submit

from .. import selectors, services
from ..forms import (
    ActivityTypeEditForm,
    ActivityTypeForm,
    CurrencyForm,
    MappingForm,
    ProgramSettingsForm,
    RatesForm,
    TierForm,
    TierReviewForm,
)
from ..models import ActivityMapping, ActivityType, ProgramSettings, Tier
from ..services.config import SETTINGS_FIELDS
from .common import manager_required, paginate, render_list, require_admin_post, today


def _list_page(request, template: str, queryset, form, extra: dict | None = None):
    page, querystring = paginate(request, queryset)
    context = {
        "page": page,
        "objects": page.object_list,
        "querystring": querystring,
        "form": form,
        **(extra or {}),
    }
    return render_list(request, template, context, status=400 if form.errors else 200)


@manager_required
@require_http_methods(["GET", "POST"])
def rates(request):
    require_admin_post(request)
    current = selectors.point_rates().filter(effective_from__lte=today()).first()
    initial = {"effective_from": today()}
    if current is not None:
        initial.update(
            sourced=current.sourced,
            assisted=current.assisted,
            managed=current.managed,
            growth_multiplier=current.growth_multiplier,
        )
    form = RatesForm(request.POST or None, initial=initial)
    if (
        request.method == "POST"
        and submit(form, lambda data: services.rates_set(by=request.user, **data)).ok
    ):
        messages.success(request, _("Point rates saved."))
        return redirect("partner_program:rates")
    return _list_page(
        request,
        "partner_program/settings/rates.html",
        selectors.point_rates(),
        form,
        {"current": current, "tab": "rates"},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def currencies(request):
    require_admin_post(request)
    form = CurrencyForm(request.POST or None, initial={"effective_from": today()})
    if (
        request.method == "POST"
        and submit(form, lambda data: services.currency_rate_set(by=request.user, **data)).ok
    ):
        messages.success(request, _("Currency table saved."))
        return redirect("partner_program:currencies")
    code = request.GET.get("currency", "")
    return _list_page(
        request,
        "partner_program/settings/currencies.html",
        selectors.currency_rates(code),
        form,
        {
            "current": list(selectors.current_currency_rates(today())[:200]),
            "currency": code.strip().upper()[:3],
            "tab": "currencies",
        },
    )


@manager_required
@require_http_methods(["GET", "POST"])
def catalogue(request):
    require_admin_post(request)
    form = ActivityTypeForm(request.POST or None, initial={"order": 0})
    if (
        request.method == "POST"
        and submit(form, lambda data: services.activity_type_create(by=request.user, **data)).ok
    ):
        messages.success(request, _("Activity added to the catalogue."))
        return redirect("partner_program:catalogue")
    return _list_page(
        request,
        "partner_program/settings/catalogue.html",
        selectors.activity_types(),
        form,
        {"tab": "catalogue"},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def activity_type_edit(request, pk):
    require_admin_post(request)
    activity_type = get_object_or_404(ActivityType, pk=pk)
    form = ActivityTypeEditForm(
        request.POST or None,
        initial={
            "tool": activity_type.tool,
            "name": activity_type.name,
            "order": activity_type.order,
            "is_active": activity_type.is_active,
        },
    )
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: services.activity_type_update(
                by=request.user, activity_type=activity_type, **data
            ),
        )
        if outcome.ok:
            messages.success(request, _("Activity saved."))
            return redirect("partner_program:catalogue")
    return render(
        request,
        "partner_program/settings/record_form.html",
        {
            "form": form,
            "title": activity_type.name,
            "back": "partner_program:catalogue",
            "tab": "catalogue",
        },
        status=400 if form.errors else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def mappings(request):
    require_admin_post(request)
    form = MappingForm(request.POST or None)
    if (
        request.method == "POST"
        and submit(form, lambda data: services.mapping_add(by=request.user, **data)).ok
    ):
        messages.success(request, _("Mapping added."))
        return redirect("partner_program:mappings")
    return _list_page(
        request,
        "partner_program/settings/mappings.html",
        selectors.mappings(),
        form,
        {"tab": "mappings"},
    )


@manager_required
@require_POST
def mapping_remove(request, pk):
    require_admin_post(request)
    mapping = get_object_or_404(ActivityMapping, pk=pk)
    services.mapping_remove(by=request.user, mapping=mapping)
    messages.success(request, _("Mapping removed."))
    return redirect("partner_program:mappings")


@manager_required
@require_http_methods(["GET", "POST"])
def tier_table(request):
    require_admin_post(request)
    action = request.POST.get("action", "tier") if request.method == "POST" else ""
    form = TierForm(request.POST if action == "tier" else None)
    review_form = TierReviewForm(request.POST if action == "review" else None, prefix="review")
    saved = None
    if action == "tier":
        saved = submit(form, lambda data: services.tier_create(by=request.user, **data))
    elif action == "review":
        saved = submit(
            review_form, lambda data: services.tier_review_record(by=request.user, **data)
        )
    if saved is not None and saved.ok:
        messages.success(
            request, _("Tier added.") if action == "tier" else _("Tier review recorded.")
        )
        return redirect("partner_program:tier_table")
    page, querystring = paginate(request, selectors.tiers())
    return render_list(
        request,
        "partner_program/settings/tiers.html",
        {
            "page": page,
            "objects": page.object_list,
            "querystring": querystring,
            "form": form,
            "review_form": review_form,
            "reviews": list(selectors.tier_reviews()[:10]),
            "tab": "tiers",
        },
        status=400 if form.errors or review_form.errors else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def tier_edit(request, pk):
    require_admin_post(request)
    tier = get_object_or_404(Tier, pk=pk)
    if request.POST.get("action") == "delete":
        try:
            services.tier_delete(by=request.user, tier=tier)
            messages.success(request, _("Tier removed."))
            return redirect("partner_program:tier_table")
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("partner_program:tier_edit", pk=tier.pk)
    form = TierForm(
        request.POST or None,
        initial={name: getattr(tier, name) for name in TierForm.base_fields},
    )
    if (
        request.method == "POST"
        and submit(form, lambda data: services.tier_update(by=request.user, tier=tier, **data)).ok
    ):
        messages.success(request, _("Tier saved."))
        return redirect("partner_program:tier_table")
    return render(
        request,
        "partner_program/settings/record_form.html",
        {
            "form": form,
            "title": tier.name,
            "back": "partner_program:tier_table",
            "tab": "tiers",
            "deletable": tier,
        },
        status=400 if form.errors else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def program_settings(request):
    require_admin_post(request)
    settings = ProgramSettings.load()
    form = ProgramSettingsForm(
        request.POST or None,
        initial={name: getattr(settings, name) for name in SETTINGS_FIELDS},
    )
    if (
        request.method == "POST"
        and submit(form, lambda data: services.program_settings_update(by=request.user, **data)).ok
    ):
        messages.success(request, _("Program settings saved."))
        return redirect("partner_program:program_settings")
    return render(
        request,
        "partner_program/settings/record_form.html",
        {
            "form": form,
            "title": _("Program settings"),
            "back": None,
            "tab": "program",
        },
        status=400 if form.errors else 200,
    )
