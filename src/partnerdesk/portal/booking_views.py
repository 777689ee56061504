"""Consultation-session pages: the client's (portal) and the staff's (task desk).

Both sides share one page in two steps, like a scheduling page:

1. **The week view** (``GET``, ``?week=YYYY-MM-DD``): the days of one week as columns, the free
   slots of each day (in the viewer's time zone) as buttons, previous / next week (plain links,
   swapped in place by htmx). A slot's button is a ``GET`` form field (``?starts_at=``), so
   choosing works without JavaScript.
2. **The confirm step** (``GET ?starts_at=``): the consultant, the time in the viewer's time zone
   and in the consultant's when they differ, the length, an optional agenda; "Confirm booking"
   posts ``starts_at`` (and ``agenda``) and books through the services of the booking package,
   which never double-book. A slot taken in the meantime shows the week view again with why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.accounts.models import User
from partnerdesk.core import clock
from partnerdesk.core.access import client_required, staff_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin

from . import booking, selectors
from .booking.agenda import session_book_with_agenda
from .models import ConsultationSession, Task

TEMPLATE = "portal/booking.html"


class ConfirmForm(DomainErrorFormMixin, forms.Form):
    # As posted: the service says what is wrong with it (invalid, passed, taken…).
    starts_at = forms.CharField(required=False, widget=forms.HiddenInput, strip=True)
    agenda = forms.CharField(
        label=gettext_lazy("Agenda or notes (optional)"),
        required=False,
        max_length=booking.AGENDA_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "What would you like to cover? The consultant finds it in the invitation, and it "
            "is added to the task's messages."
        ),
    )

    def __init__(self, *args, with_agenda: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_agenda:  # a reschedule keeps the session as it is, only the time moves
            del self.fields["agenda"]


@dataclass
class Offer:
    """What the confirm step shows about the chosen slot."""

    slot: booking.Slot
    consultant: User | None
    consultant_zone: dt.tzinfo
    zones_differ: bool


def _first_weekday() -> int:
    return int(formats.get_format("FIRST_DAY_OF_WEEK"))


def _local_day(value: str) -> dt.date | None:
    """The viewer's day of a posted start, to show that slot's week again; None if invalid."""
    try:
        return timezone.localtime(booking.parse_start(value)).date()
    except DomainError:
        return None


@dataclass
class Picker:
    request: HttpRequest
    task: Task
    session: ConsultationSession | None  # the session to move, or None: book one
    back_url: str
    staff: bool

    # ------------------------------------------------------------ dispatch

    def respond(self) -> HttpResponse:
        if self.request.method == "POST":
            return self.submit()
        if "starts_at" in self.request.GET:
            return self.confirm_page(self.request.GET["starts_at"])
        return self.week_page(requested=booking.parse_week(self.request.GET.get("week")))

    def submit(self) -> HttpResponse:
        """POST ``starts_at`` (+ ``agenda``): book, or move the session. A refusal about the
        time shows the week of that time again with the reason; about the agenda, the confirm
        step with the error beside it."""
        form = ConfirmForm(self.request.POST, with_agenda=self.session is None)
        starts_at = self.request.POST.get("starts_at", "")
        if not form.is_valid():
            return self.confirm_page(starts_at, form=form, status=400)
        try:
            if self.session is None:
                session_book_with_agenda(
                    by=self.request.user,
                    task=self.task,
                    starts_at=form.cleaned_data["starts_at"],
                    agenda=form.cleaned_data["agenda"],
                )
                done = _(
                    "The consultation session is booked. The invitation is on its way by email."
                )
            else:
                booking.session_reschedule(
                    by=self.request.user,
                    session=self.session,
                    starts_at=form.cleaned_data["starts_at"],
                )
                done = _(
                    "The consultation session has been moved. The new invitation is on its way."
                )
        except DomainError as exc:
            if exc.field == "agenda":
                form.add_domain_error(exc)
                return self.confirm_page(starts_at, form=form, status=exc.status)
            return self.week_page(requested=_local_day(starts_at), error=exc, status=exc.status)
        messages.success(self.request, done)
        return redirect(self.back_url)

    # ------------------------------------------------------------ the two steps

    def blocked(self) -> tuple[str | None, ConsultationSession | None]:
        """Why nothing can be booked on this page (and the session already booked, if any)."""
        try:
            booking.check_bookable(self.task)
        except DomainError as exc:
            return str(exc.message), None
        if self.session is None:
            existing = booking.task_sessions(self.task).booked
            if existing is not None:
                return _(
                    "A session is already booked on this task: reschedule it instead."
                ), existing
        elif self.session.status != booking.BOOKED:
            return _("This session was cancelled: book a new one."), None
        return None, None

    def week_page(
        self, *, requested: dt.date | None, error: DomainError | None = None, status: int = 200
    ) -> HttpResponse:
        blocked, existing = self.blocked()
        week, any_free = None, False
        if not blocked:
            slots = booking.free_slots(exclude_session=getattr(self.session, "pk", None))
            any_free = bool(slots)
            week = booking.week_of(
                slots,
                tz=timezone.get_current_timezone(),
                now=clock.now(),
                first_weekday=_first_weekday(),
                requested=requested,
            )
        prefix = "taskdesk" if self.staff else "portal"
        context = {
            **self._context(),
            "week": week,
            "any_free": any_free,
            "error": error if error is not None and str(error.message) != blocked else None,
            "blocked": blocked,
            "reschedule_url": reverse(f"{prefix}:session_reschedule", kwargs={"pk": existing.pk})
            if existing
            else "",
        }
        htmx = getattr(self.request, "htmx", None)
        if htmx and htmx.target == "week" and self.request.method == "GET":
            return render(self.request, f"{TEMPLATE}#week", context)
        return render(self.request, TEMPLATE, context, status=status)

    def confirm_page(
        self, starts_at: str, *, form: ConfirmForm | None = None, status: int = 200
    ) -> HttpResponse:
        blocked, _existing = self.blocked()
        if blocked:
            return self.week_page(requested=None)
        try:
            slot = booking.slot_offer(starts_at, exclude_session=getattr(self.session, "pk", None))
        except DomainError as exc:
            return self.week_page(requested=_local_day(starts_at), error=exc, status=exc.status)
        keep = self.session.consultant_id if self.session is not None else None
        consultant = User.objects.filter(pk=booking.consultant_order(slot, keep=keep)[0]).first()
        zone = booking.zone_of(consultant) if consultant else timezone.get_current_timezone()
        viewer = timezone.get_current_timezone()
        offer = Offer(
            slot=slot,
            consultant=consultant,
            consultant_zone=zone,
            zones_differ=slot.starts_at.astimezone(viewer).utcoffset()
            != slot.starts_at.astimezone(zone).utcoffset(),
        )
        if form is None:
            form = ConfirmForm(
                initial={"starts_at": slot.starts_at.isoformat()},
                with_agenda=self.session is None,
            )
        context = {
            **self._context(),
            "offer": offer,
            "form": form,
            "week_url": f"{self.request.path}?week={timezone.localtime(slot.starts_at).date()}",
            "heading": _("Confirm the new time")
            if self.session is not None
            else _("Confirm your consultation session"),
        }
        return render(self.request, TEMPLATE, context, status=status)

    def _context(self) -> dict:
        return {
            "task": self.task,
            "session": self.session,
            "staff": self.staff,
            "back_url": self.back_url,
            "current": self.session.starts_at if self.session is not None else None,
            "minutes": booking.SESSION_MINUTES,
            "heading": _("Reschedule the consultation session")
            if self.session is not None
            else _("Book a consultation session"),
        }


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
    return Picker(request, task, None, _portal_task_url(task), staff=False).respond()


@client_required
@require_http_methods(["GET", "POST"])
def session_reschedule(request, pk):
    session = booking.session_for(request.user, pk)
    task = session.task
    return Picker(request, task, session, _portal_task_url(task), staff=False).respond()


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
    return Picker(request, task, None, _staff_task_url(task), staff=True).respond()


@staff_required
@require_http_methods(["GET", "POST"])
def staff_session_reschedule(request, pk):
    session = booking.session_for(request.user, pk)
    task = session.task
    return Picker(request, task, session, _staff_task_url(task), staff=True).respond()


@staff_required
@require_POST
def staff_session_cancel(request, pk):
    session = booking.session_for(request.user, pk)
    return _cancel(request, session, _staff_task_url(session.task))


@staff_required
@require_GET
def staff_session_ics(request, pk):
    return _ics(booking.session_for(request.user, pk), request.user)
