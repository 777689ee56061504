"""Writes to plans, tasks, messages and attachments: every transition of the task lifecycle.

Each transition checks who may make it and from which status, and raises ``DomainError`` with
a stable code otherwise. It records its events (``events.PortalEvent``) in the same
transaction: a status change records ``task.state_changed`` (with ``from`` and ``to``), then
its own event. The plan-slot rule is checked under a lock on the company row (see ``queue``).

One module per responsibility; callers import this package (``services.task_accept(...)``):

- ``plans``: plans, a company's subscription, the task settings and categories
- ``triage``: submit, accept (with an estimate), decline, withdraw
- ``queue``: the order of the accepted tasks, starting work (by hand or when a slot frees)
- ``delivery``: re-estimate, deliver, approve, request changes
- ``reminders``: approval reminders (the periodic job)
- ``messages``: messages on a task (emailed after commit)
- ``attachments``: checking and storing uploaded files
- ``common``: the status check, the company lock, events and notifications they share
"""

from ..recipients import agency_recipients, client_recipients, portal_url, staff_url
from ..selectors import current_plan
from .attachments import attachment_name, validate_upload
from .delivery import task_adjust_estimate, task_approve, task_deliver, task_request_changes
from .messages import message_post
from .plans import category_save, plan_save, settings_save, subscription_set
from .queue import queue_move, queue_reorder, task_start
from .reminders import send_approval_reminders
from .triage import (
    MAX_ESTIMATE_MINUTES,
    parse_estimate,
    task_accept,
    task_decline,
    task_submit,
    task_withdraw,
)

__all__ = [
    "MAX_ESTIMATE_MINUTES",
    "agency_recipients",
    "attachment_name",
    "category_save",
    "client_recipients",
    "current_plan",
    "message_post",
    "parse_estimate",
    "plan_save",
    "portal_url",
    "queue_move",
    "queue_reorder",
    "send_approval_reminders",
    "settings_save",
    "staff_url",
    "subscription_set",
    "task_accept",
    "task_adjust_estimate",
    "task_approve",
    "task_decline",
    "task_deliver",
    "task_request_changes",
    "task_start",
    "task_submit",
    "task_withdraw",
    "validate_upload",
]
