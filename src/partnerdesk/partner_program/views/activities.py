"""Qualifying activities (filterable, with totals per tool, employee and month; the record
form) and certifications. Agents see and record only their own; managers and admins all."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partnerdesk.core.access import staff_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import submit

from .. import selectors, services
from ..forms import ActivityForm, CertificationEditForm, CertificationForm
from ..models import ActivitySource, Tool
from .common import paginate, render_list, today


def _activity_context(request, form) -> dict:
    user = request.user
    qs, active = selectors.filter_activities(selectors.activities_for(user), request.GET)
    page, querystring = paginate(request, qs.order_by("-occurred_on", "-id"))
    everyone = selectors.sees_everything(user)
    # Without dates chosen, the totals cover the last twelve months (not every year's rows).
    dated = bool({"month", "since", "until"} & set(active))
    since = None if dated else selectors.totals_since(today())
    account = None
    if "account" in active:
        account = selectors.accounts_for(user).filter(pk=active["account"]).first()
    return {
        "page": page,
        "objects": page.object_list,
        "querystring": querystring,
        "filters": active,
        "totals": selectors.activity_totals(qs, since=since),
        "totals_since": since,
        "account": account,
        "form": form,
        "tools": Tool.choices,
        "sources": ActivitySource.choices,
        "employees": selectors.employees() if everyone else [],
        "everyone": everyone,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def activity_list(request):
    """Activities with filters and totals; POST records one (an agent: their own)."""
    form = ActivityForm(request.POST or None, user=request.user, initial={"occurred_on": today()})
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: services.activity_record(
                by=request.user, source=ActivitySource.MANUAL, **data
            ),
        )
        if outcome.ok:
            messages.success(request, _("Qualifying activity recorded."))
            return redirect("partner_program:activity_list")
    context = _activity_context(request, form)
    return render_list(
        request,
        "partner_program/activity_list.html",
        context,
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def activity_delete(request, pk):
    activity = selectors.activity_for(request.user, pk)
    try:
        services.activity_delete(by=request.user, activity=activity)
        messages.success(request, _("Qualifying activity deleted."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("partner_program:activity_list")


# ---------------------------------------------------------------- certifications


@staff_required
@require_http_methods(["GET", "POST"])
def certification_list(request):
    """Certifications (an agent: their own); managers and admins add them."""
    user = request.user
    form = CertificationForm(request.POST or None) if user.is_manager_or_admin else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only an admin or a manager can add certifications."))
        outcome = submit(form, lambda data: services.certification_add(by=user, **data))
        if outcome.ok:
            messages.success(request, _("Certification added."))
            return redirect("partner_program:certification_list")
    day = today()
    qs, active = selectors.filter_certifications(
        selectors.certifications_for(user), request.GET, day=day
    )
    page, querystring = paginate(request, qs.order_by("employee__full_name", "expires_on", "pk"))
    return render_list(
        request,
        "partner_program/certification_list.html",
        {
            "page": page,
            "objects": page.object_list,
            "querystring": querystring,
            "filters": active,
            "form": form,
            "day": day,
            "employees": selectors.employees() if user.is_manager_or_admin else [],
        },
        status=400 if form is not None and form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def certification_edit(request, pk):
    user = request.user
    certification = selectors.certification_for(user, pk)
    if not user.is_manager_or_admin:
        raise PermissionDenied(_("Only an admin or a manager can change certifications."))
    form = CertificationEditForm(
        request.POST or None,
        initial={
            "name": certification.name,
            "issued_on": certification.issued_on,
            "expires_on": certification.expires_on,
            "academy_url": certification.academy_url,
        },
    )
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: services.certification_update(
                by=user, certification=certification, **data
            ),
        )
        if outcome.ok:
            messages.success(request, _("Certification saved."))
            return redirect("partner_program:certification_list")
    return render(
        request,
        "partner_program/certification_form.html",
        {"form": form, "certification": certification},
        status=400 if form.errors else 200,
    )
