"""Consultation-session pages: the client's (portal) and the staff's (task desk).

Both sides share the same page: the free slots grouped by day in the viewer's time zone, one
button per slot (a plain form: it works without JavaScript). Booking, rescheduling and
cancelling go through the services of the booking package.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core.access import client_required, staff_required
from partnerdesk.core.errors import DomainError

from . import booking, selectors


def _days(slots: list[booking.Slot]) -> list[tuple]:
    """Slots grouped by their local date (the active time zone: the viewer's)."""
    days: list[tuple] = []
    for slot in slots:
        day = timezone.localtime(slot.starts_at).date()
        if days and days[-1][0] == day:
            days[-1][1].append(slot)
        else:
            days.append((day, [slot]))
    return days


def _picker(request, *, task, session, back_url: str, staff: bool):
    """GET: the free slots. POST ``starts_at``: book the task (no ``session``) or move the
    session; a refusal shows the page again with the reason above the slots."""
    error = None
    status = 200
    if request.method == "POST":
        try:
            if session is None:
                booking.session_book(
                    by=request.user, task=task, starts_at=request.POST.get("starts_at", "")
                )
                messages.success(
                    request,
                    _("The consultation session is booked. The invitation is on its way by email."),
                )
            else:
                booking.session_reschedule(
                    by=request.user, session=session, starts_at=request.POST.get("starts_at", "")
                )
                messages.success(
                    request,
                    _("The consultation session has been moved. The new invitation is on its way."),
                )
            return redirect(back_url)
        except DomainError as exc:
            error, status = exc, exc.status
    blocked = None
    existing = None
    try:
        booking.check_bookable(task)
        if session is None:
            existing = booking.task_sessions(task).booked
            if existing is not None:
                blocked = _("A session is already booked on this task: reschedule it instead.")
        elif session.status != booking.BOOKED:
            blocked = _("This session was cancelled: book a new one.")
    except DomainError as exc:
        blocked = exc.message
    # Rescheduling: the session's own time shows (marked as the current one).
    slots = [] if blocked else booking.free_slots(exclude_session=getattr(session, "pk", None))
    current = session.starts_at if session is not None else None
    prefix = "taskdesk" if staff else "portal"
    context = {
        "task": task,
        "session": session,
        "existing": existing,
        "staff": staff,
        "days": _days(slots),
        "current": current,
        "error": error,
        "blocked": blocked,
        "back_url": back_url,
        "reschedule_url": reverse(f"{prefix}:session_reschedule", kwargs={"pk": existing.pk})
        if existing
        else "",
        "minutes": booking.SESSION_MINUTES,
        "heading": _("Reschedule the consultation session")
        if session is not None
        else _("Book a consultation session"),
    }
    return render(request, "portal/booking.html", context, status=status)


def _cancel(request, session, back_url: str):
    try:
        booking.session_cancel(by=request.user, session=session)
        messages.success(request, _("The consultation session is cancelled."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back_url)


def _ics(session, user) -> HttpResponse:
    response = HttpResponse(
        booking.session_ics_download(session, user), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="consultation-{session.pk}.ics"'
    return response


def _portal_task_url(task) -> str:
    return reverse("portal:task_detail", kwargs={"pk": task.pk})


def _staff_task_url(task) -> str:
    return reverse("taskdesk:detail", kwargs={"pk": task.pk})


# ---------------------------------------------------------------- client portal


@client_required
@require_http_methods(["GET", "POST"])
def session_book(request, pk):
    task = selectors.task_for(request.user, pk)
    return _picker(request, task=task, session=None, back_url=_portal_task_url(task), staff=False)


@client_required
@require_http_methods(["GET", "POST"])
def session_reschedule(request, pk):
    session = booking.session_for(request.user, pk)
    return _picker(
        request,
        task=session.task,
        session=session,
        back_url=_portal_task_url(session.task),
        staff=False,
    )


@client_required
@require_POST
def session_cancel(request, pk):
    session = booking.session_for(request.user, pk)
    return _cancel(request, session, _portal_task_url(session.task))


@client_required
@require_GET
def session_ics(request, pk):
    return _ics(booking.session_for(request.user, pk), request.user)


# ---------------------------------------------------------------- staff task desk


@staff_required
@require_http_methods(["GET", "POST"])
def staff_session_book(request, pk):
    task = selectors.task_for(request.user, pk)
    return _picker(request, task=task, session=None, back_url=_staff_task_url(task), staff=True)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_session_reschedule(request, pk):
    session = booking.session_for(request.user, pk)
    return _picker(
        request,
        task=session.task,
        session=session,
        back_url=_staff_task_url(session.task),
        staff=True,
    )


@staff_required
@require_POST
def staff_session_cancel(request, pk):
    session = booking.session_for(request.user, pk)
    return _cancel(request, session, _staff_task_url(session.task))


@staff_required
@require_GET
def staff_session_ics(request, pk):
    return _ics(booking.session_for(request.user, pk), request.user)
