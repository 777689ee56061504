"""Consultation sessions: free slots, booking, rescheduling, cancelling, and their emails.

A session lasts 45 minutes and starts on a fixed grid laid on the agency's working calendar:
at the start of each working interval and every 45 minutes after it while the whole session
fits in the interval. Slots are offered from two hours from now up to 21 days ahead.

A slot is free when at least one consultant has no booked session overlapping it. Consultants
are the active staff members of the team chosen in the portal settings; when that team has no
active member, the active admins and managers.

"A consultant is never double-booked" is the database's unique constraint on (consultant,
start) of booked sessions, not only the check made here: booking picks the free consultant with
the fewest upcoming sessions and inserts inside a savepoint; when a concurrent booking took that
consultant first (IntegrityError) it tries the next one, and when none is left the slot is taken
(``slot_taken``, 409).

Every change records a domain event on the task and, after commit, emails the client and the
consultant (each in their own language) with an iCalendar invitation: ``METHOD:REQUEST`` with
the session's stable UID and its ``SEQUENCE`` (bumped by each reschedule and by the
cancellation), or ``METHOD:CANCEL``.

One module per responsibility; callers import this package (``booking.session_book(...)``):

- ``slots``: the grid on the working calendar, the consultants, which slots are free
- ``selectors``: sessions as a user may see them, the sessions of a task
- ``services``: book, reschedule, cancel (and cancel those of a closed task)
- ``week``: the free slots of one week, day by day in the viewer's time zone (the week view)
- ``invitations``: the emails and their ``.ics`` invitations, sent by a background task
- ``agenda`` (imported on its own, see there): booking with an agenda posted on the task
"""

from .invitations import (
    _uid,
    client_attendees,
    ics,
    send_session_email,
    send_session_email_now,
    session_ics_download,
    zone_of,
)
from .selectors import TaskSessions, session_for, sessions_for, task_sessions
from .services import (
    AGENDA_MAX_LENGTH,
    cancel_sessions_of_closed_task,
    check_bookable,
    clean_agenda,
    consultant_order,
    parse_start,
    session_book,
    session_cancel,
    session_reschedule,
    slot_offer,
)
from .slots import (
    BOOKED,
    CANCELLED,
    HORIZON,
    LEAD_TIME,
    SESSION_LENGTH,
    SESSION_MINUTES,
    Slot,
    consultants,
    free_slots,
    grid,
)
from .week import Day, Week, parse_week, week_of, week_start

__all__ = [
    "AGENDA_MAX_LENGTH",
    "BOOKED",
    "CANCELLED",
    "HORIZON",
    "LEAD_TIME",
    "SESSION_LENGTH",
    "SESSION_MINUTES",
    "Day",
    "Slot",
    "TaskSessions",
    "Week",
    "_uid",
    "cancel_sessions_of_closed_task",
    "check_bookable",
    "clean_agenda",
    "client_attendees",
    "consultant_order",
    "consultants",
    "free_slots",
    "grid",
    "ics",
    "parse_start",
    "parse_week",
    "send_session_email",
    "send_session_email_now",
    "session_book",
    "session_cancel",
    "session_for",
    "session_ics_download",
    "session_reschedule",
    "sessions_for",
    "slot_offer",
    "task_sessions",
    "week_of",
    "week_start",
    "zone_of",
]
