"""Accreditations: the list (filters, capped paginator, the marks on record) with the form to
apply, an accreditation's page (state, every at-risk reason, the grace period's end, the next
evaluation, the evaluations with the figures they used, the standards today, the timeline) with
the moves its state allows, and the catalogue with the accreditation settings under the
program's settings (managers read, admins change).

Which forms a page offers follows the state, but the services decide: a move posted from a
stale page comes back with the service's sentence beside the form, and nothing changes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from partnerdesk.core.events import describe, timeline
from partnerdesk.core.forms import submit

from .. import accreditation_rules as rules
from .. import services
from ..accreditation_forms import (
    AccreditationApplyForm,
    AccreditationBoardRenewForm,
    AccreditationIssueForm,
    AccreditationLapseForm,
    AccreditationRevokeForm,
    AccreditationSettingsForm,
    AccreditationTypeEditForm,
    AccreditationTypeForm,
    requirements_text,
)
from ..accreditation_selectors import (
    accreditation_for,
    accreditation_type,
    accreditation_types,
    accreditations_for,
    evaluations_of,
    filter_accreditations,
)
from ..models import (
    HELD_STATES,
    LIVE_STATES,
    MAX_MARKS,
    AccreditationState,
    EvaluationResult,
    ProgramSettings,
)
from ..timeline import describe_reasons
from .common import manager_required, paginate, render_list, require_admin_post, today

State = AccreditationState
EVALUATIONS_SHOWN = 24


def with_reasons(accreditation):
    """The accreditation with its at-risk reasons as one sentence (``reasons_text``)."""
    accreditation.reasons_text = describe_reasons(accreditation.at_risk_reasons)
    return accreditation


@manager_required
@require_http_methods(["GET", "POST"])
def accreditation_list(request):
    """Accreditations with filters; POST applies for one (its prerequisites met today)."""
    form = AccreditationApplyForm(request.POST or None)
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: services.accreditation_apply(
                by=request.user,
                accreditation_type=data["accreditation_type"],
                applied_on=data["applied_on"],
            ),
        )
        if outcome.ok and outcome.value is not None:
            messages.success(request, _("Application recorded."))
            return redirect("partner_program:accreditation_detail", pk=outcome.value.pk)
    qs, active = filter_accreditations(accreditations_for(request.user), request.GET)
    page, querystring = paginate(request, qs)
    return render_list(
        request,
        "partner_program/accreditation_list.html",
        {
            "page": page,
            "objects": [with_reasons(a) for a in page.object_list],
            "querystring": querystring,
            "filters": active,
            "states": State.choices,
            "types": list(accreditation_types()),
            "marks": rules.marks_count(),
            "max_marks": MAX_MARKS,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- an accreditation's page

# action -> (form class, prefix, the states in which the page offers it)
ACTIONS: dict[str, tuple[type, str, tuple[str, ...]]] = {
    "issue": (AccreditationIssueForm, "issue", (State.APPLYING,)),
    "board_renew": (AccreditationBoardRenewForm, "board", (State.UNDER_BOARD_REVIEW,)),
    "lapse": (AccreditationLapseForm, "lapse", (*HELD_STATES, State.UNDER_BOARD_REVIEW)),
    "revoke": (AccreditationRevokeForm, "revoke", LIVE_STATES),
}

SAVED = {
    "issue": gettext_lazy("Accreditation issued: it is evaluated every six months from then."),
    "board_renew": gettext_lazy("The board's renewal is recorded."),
    "lapse": gettext_lazy("The accreditation has lapsed."),
    "revoke": gettext_lazy("The accreditation is revoked."),
}


def _act(request, accreditation, action: str, data: dict[str, Any]):
    by = request.user
    match action:
        case "issue":
            return services.accreditation_issue(
                by=by, accreditation=accreditation, issued_on=data["issued_on"]
            )
        case "board_renew":
            return services.accreditation_board_renew(by=by, accreditation=accreditation, **data)
        case "lapse":
            return services.accreditation_lapse(
                by=by, accreditation=accreditation, reason=data["reason"]
            )
        case "revoke":
            return services.accreditation_revoke(by=by, accreditation=accreditation, **data)
    raise AssertionError(action)


def _evaluation_rows(accreditation) -> list[dict[str, Any]]:
    rows = []
    for evaluation in evaluations_of(accreditation)[:EVALUATIONS_SHOWN]:
        figures = evaluation.figures or {}
        rows.append(
            {
                "evaluation": evaluation,
                "result": EvaluationResult(evaluation.result).label,
                "renewed": evaluation.result == EvaluationResult.RENEWED,
                "figures": figures,
                "certifications": figures.get("certifications", []),
                "reasons": describe_reasons(figures.get("reasons") or []),
            }
        )
    return rows


def _context(request, accreditation, bound: tuple[str, Any] | None = None) -> dict[str, Any]:
    day = today()
    forms = {}
    for action, (form_class, prefix, _states) in ACTIONS.items():
        if bound is not None and bound[0] == action:
            forms[action] = bound[1]
        else:
            initial = {"issued_on": day} if action == "issue" else {"decided_on": day}
            forms[action] = form_class(prefix=prefix, initial=initial)
    standards = rules.check(accreditation.accreditation_type, day)
    return {
        "accreditation": with_reasons(accreditation),
        "evaluations": _evaluation_rows(accreditation),
        "standards": standards,
        "marks": standards.marks,
        "max_marks": MAX_MARKS,
        "forms": forms,
        "allowed": [a for a, (_f, _p, states) in ACTIONS.items() if accreditation.state in states],
        "failed": bound[0] if bound is not None else "",
        "timeline": [{"event": e, "text": describe(e)} for e in timeline(accreditation, limit=50)],
        "day": day,
    }


@manager_required
@require_http_methods(["GET", "POST"])
def accreditation_detail(request, pk):
    accreditation = accreditation_for(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ACTIONS:
            form_class, prefix, _states = ACTIONS[action]
            form = form_class(request.POST, prefix=prefix)
            if submit(form, lambda data: _act(request, accreditation, action, data)).ok:
                messages.success(request, SAVED[action])
                return redirect("partner_program:accreditation_detail", pk=accreditation.pk)
            context = _context(request, accreditation, (action, form))
            return render(request, "partner_program/accreditation_detail.html", context, status=400)
    return render(
        request, "partner_program/accreditation_detail.html", _context(request, accreditation)
    )


# ---------------------------------------------------------------- the catalogue (settings)


def _settings_initial() -> dict[str, int]:
    settings = ProgramSettings.load()
    return {
        name: getattr(settings, name)
        for name in ("grace_period_days", "evaluation_alert_days", "complaint_waiting_days")
    }


@manager_required
@require_http_methods(["GET", "POST"])
def accreditation_type_list(request):
    """The accreditation catalogue and the accreditation settings: managers read, admins add
    accreditations and change the grace period and the alert leads."""
    require_admin_post(request)
    action = request.POST.get("action", "type") if request.method == "POST" else ""
    form = AccreditationTypeForm(request.POST if action == "type" else None, initial={"order": 0})
    settings_form = AccreditationSettingsForm(
        request.POST if action == "settings" else None,
        initial=_settings_initial(),
        prefix="settings",
    )
    saved = None
    if action == "type":
        saved = submit(
            form, lambda data: services.accreditation_type_create(by=request.user, **data)
        )
    elif action == "settings":
        saved = submit(
            settings_form,
            lambda data: services.accreditation_settings_update(by=request.user, **data),
        )
    if saved is not None and saved.ok:
        messages.success(
            request,
            _("Accreditation added.") if action == "type" else _("Accreditation settings saved."),
        )
        return redirect("partner_program:accreditation_type_list")
    page, querystring = paginate(request, accreditation_types())
    return render_list(
        request,
        "partner_program/settings/accreditations.html",
        {
            "page": page,
            "objects": page.object_list,
            "querystring": querystring,
            "form": form,
            "settings_form": settings_form,
            "tab": "accreditations",
        },
        status=400 if form.errors or settings_form.errors else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def accreditation_type_edit(request, pk):
    require_admin_post(request)
    kind = accreditation_type(pk)
    form = AccreditationTypeEditForm(
        request.POST or None,
        initial={
            "name": kind.name,
            "required_certifications": requirements_text(kind.required_certifications),
            "minimum_tier": kind.minimum_tier_id,
            "description": kind.description,
            "order": kind.order,
            "is_active": kind.is_active,
        },
    )
    if request.method == "POST":
        outcome = submit(
            form,
            lambda data: services.accreditation_type_update(
                by=request.user, accreditation_type=kind, **data
            ),
        )
        if outcome.ok:
            messages.success(request, _("Accreditation saved."))
            return redirect("partner_program:accreditation_type_list")
    return render(
        request,
        "partner_program/settings/record_form.html",
        {
            "form": form,
            "title": kind.name,
            "back": "partner_program:accreditation_type_list",
            "tab": "accreditations",
        },
        status=400 if form.errors else 200,
    )
