"""Complaints about the agency: the list (filters, capped paginator, the marks on record), the
form to record one, and a complaint's page: its steps as a timeline (owner, dates, notes,
outcome, the board's decision) and the moves its status allows — escalate, resolve, mark a
serious infringement, the review board's finding, reopen, whose move it is, the current step's
owner and notes, the details.

Which forms the page offers follows the complaint, but the services decide: an illegal move (a
skipped step, a finding without a decision date, reopening a closed complaint) comes back with
the service's sentence beside the form, and nothing changes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from partnerdesk.core.events import describe, timeline
from partnerdesk.core.forms import submit
from partnerdesk.crm.models import Company

from .. import accreditation_rules as rules
from .. import services
from ..accreditation_forms import (
    ComplaintAdvanceForm,
    ComplaintEditForm,
    ComplaintFindingForm,
    ComplaintForm,
    ComplaintReopenForm,
    ComplaintResolveForm,
    ComplaintSeriousForm,
    ComplaintStepForm,
    ComplaintWaitingForm,
)
from ..accreditation_selectors import complaint_for, complaints_for, filter_complaints, steps_of
from ..models import (
    MAX_MARKS,
    ComplaintSource,
    ComplaintStatus,
    ComplaintStepKind,
    WaitingOn,
)
from .common import manager_required, paginate, render_list, today

Status = ComplaintStatus
Step = ComplaintStepKind


@manager_required
@require_http_methods(["GET"])
def complaint_list(request):
    qs, active = filter_complaints(complaints_for(request.user), request.GET)
    page, querystring = paginate(request, qs)
    return render_list(
        request,
        "partner_program/complaint_list.html",
        {
            "page": page,
            "objects": page.object_list,
            "querystring": querystring,
            "filters": active,
            "statuses": Status.choices,
            "steps": Step.choices,
            "sources": ComplaintSource.choices,
            "waiting": WaitingOn.choices,
            "companies": Company.objects.order_by("name", "pk").only("pk", "name")[:500],
            "marks": rules.marks_count(),
            "max_marks": MAX_MARKS,
        },
    )


@manager_required
@require_http_methods(["GET", "POST"])
def complaint_create(request):
    initial: dict[str, Any] = {"owner": request.user.pk}
    company = request.GET.get("company", "")
    if company.isdigit():
        initial["company"] = company
    form = ComplaintForm(request.POST or None, initial=initial)
    if request.method == "POST":
        outcome = submit(form, lambda data: services.complaint_open(by=request.user, **data))
        if outcome.ok and outcome.value is not None:
            messages.success(request, _("Complaint recorded."))
            return redirect("partner_program:complaint_detail", pk=outcome.value.pk)
    return render(
        request,
        "partner_program/complaint_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- a complaint's page

# action -> (form class, prefix)
FORMS: dict[str, tuple[type, str]] = {
    "advance": (ComplaintAdvanceForm, "advance"),
    "resolve": (ComplaintResolveForm, "resolve"),
    "finding": (ComplaintFindingForm, "finding"),
    "serious": (ComplaintSeriousForm, "serious"),
    "waiting": (ComplaintWaitingForm, "waiting"),
    "step": (ComplaintStepForm, "step"),
    "reopen": (ComplaintReopenForm, "reopen"),
    "edit": (ComplaintEditForm, "edit"),
}

SAVED = {
    "advance": gettext_lazy("Complaint escalated."),
    "resolve": gettext_lazy("Complaint resolved."),
    "finding": gettext_lazy("The review board's finding is recorded: the complaint is closed."),
    "serious": gettext_lazy("Marked as a serious infringement."),
    "waiting": gettext_lazy("Saved whose move it is."),
    "step": gettext_lazy("Step saved."),
    "reopen": gettext_lazy("Complaint reopened."),
    "edit": gettext_lazy("Complaint saved."),
}


def allowed(complaint) -> list[str]:
    """The moves the page offers for the complaint as it is (the services still decide)."""
    if complaint.status == Status.CLOSED:
        return []
    if complaint.status == Status.RESOLVED:
        return ["reopen", "edit"]
    moves = ["resolve", "waiting", "step", "edit"]
    if complaint.step == Step.REVIEW_BOARD:
        moves.insert(0, "finding")
    else:
        moves.insert(0, "advance")
        if not complaint.serious_infringement:
            moves.insert(1, "serious")
    return moves


def _act(request, complaint, current, action: str, data: dict[str, Any]):
    by = request.user
    match action:
        case "advance":
            return services.complaint_advance(
                by=by,
                complaint=complaint,
                to_step=data["to_step"] or None,
                owner=data["owner"],
                reason=data["reason"],
                on=data["on"],
            )
        case "resolve":
            return services.complaint_resolve(by=by, complaint=complaint, **data)
        case "finding":
            return services.complaint_finding(by=by, complaint=complaint, **data)
        case "serious":
            return services.complaint_update(
                by=by, complaint=complaint, serious_infringement=True, reason=data["reason"]
            )
        case "waiting":
            return services.complaint_set_waiting(by=by, complaint=complaint, **data)
        case "step":
            return services.complaint_step_update(by=by, step=current, **data)
        case "reopen":
            return services.complaint_reopen(by=by, complaint=complaint, reason=data["reason"])
        case "edit":
            return services.complaint_update(by=by, complaint=complaint, **data)
    raise AssertionError(action)


def _initial(complaint, current) -> dict[str, dict[str, Any]]:
    return {
        "finding": {"decision_date": today()},
        "waiting": {"waiting_on": complaint.waiting_on},
        "step": {
            "owner": current.owner_id if current else None,
            "notes": current.notes if current else "",
        },
        "edit": {
            "summary": complaint.summary,
            "source": complaint.source,
            "company": complaint.company_id,
        },
    }


def _context(request, complaint, steps, bound: tuple[str, Any] | None = None) -> dict[str, Any]:
    current = steps[-1] if steps else None
    initial = _initial(complaint, current)
    forms = {}
    for action, (form_class, prefix) in FORMS.items():
        if bound is not None and bound[0] == action:
            forms[action] = bound[1]
        else:
            forms[action] = form_class(prefix=prefix, initial=initial.get(action, {}))
    return {
        "complaint": complaint,
        "steps": steps,
        "current": current,
        "forms": forms,
        "allowed": allowed(complaint),
        "failed": bound[0] if bound is not None else "",
        "timeline": [{"event": e, "text": describe(e)} for e in timeline(complaint, limit=50)],
        "marks": rules.marks_count(),
        "max_marks": MAX_MARKS,
    }


@manager_required
@require_http_methods(["GET", "POST"])
def complaint_detail(request, pk):
    complaint = complaint_for(request.user, pk)
    steps = list(steps_of(complaint))
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in FORMS:
            form_class, prefix = FORMS[action]
            form = form_class(request.POST, prefix=prefix)
            current = steps[-1] if steps else None
            if submit(form, lambda data: _act(request, complaint, current, action, data)).ok:
                messages.success(request, SAVED[action])
                return redirect("partner_program:complaint_detail", pk=complaint.pk)
            # The complaint as it is now (a refused move changed nothing).
            complaint = complaint_for(request.user, pk)
            context = _context(request, complaint, steps, (action, form))
            return render(request, "partner_program/complaint_detail.html", context, status=400)
    return render(
        request, "partner_program/complaint_detail.html", _context(request, complaint, steps)
    )
