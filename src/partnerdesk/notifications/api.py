from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from partnerdesk.core.api import (
    MAX_ID,
    Page,
    PageParams,
    Strict,
    page_counts,
)

from . import services
from .models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Page):
    items: list[NotificationOut]
    unread: int


class NotificationFilters(Schema):
    unread: bool = False


class MarkRead(Strict):
    ids: list[int] | None = Field(None, max_length=500, description="Omit to mark all as read")


class Marked(Schema):
    marked: int
    unread: int


@router.get("/notifications", response=NotificationPage, summary="My notifications (newest first)")
def list_notifications(request, filters: Query[NotificationFilters], page: Query[PageParams]):
    qs = Notification.objects.filter(user=request.auth, in_app=True)
    if filters.unread:
        qs = qs.filter(read_at__isnull=True)
    return {
        **page_counts(qs),
        "limit": page.limit,
        "offset": page.offset,
        "unread": services.unread_count(request.auth),
        "items": list(qs[page.offset : page.offset + page.limit]),
    }


@router.post("/notifications/read", response=Marked)
def mark_read(request, payload: MarkRead):
    ids = [i for i in payload.ids if 1 <= i <= MAX_ID] if payload.ids is not None else None
    marked = services.mark_read(user=request.auth, notification_ids=ids)
    return {"marked": marked, "unread": services.unread_count(request.auth)}
