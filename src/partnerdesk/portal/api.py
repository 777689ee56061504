"""The task-queue API: tasks, queue, messages, attachments, plans (see the API work)."""

from ninja import Router

router = Router(tags=["tasks"])
