"""The signed-in user's unread count, loaded with the user (``accounts.auth.UserBackend``): the
bell in every page's header shows it as the page arrives, without a query of its own."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from partnerdesk.accounts.auth import annotate_signed_in_user

from .models import Notification

ANNOTATION = "unread_notifications"


def unread_subquery() -> Coalesce:
    """The user's unread in-app notifications (the partial index ``notification_unread``)."""
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), in_app=True, read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


def unread_for(user) -> int:
    """The count loaded with the user, else one query (a user object from elsewhere)."""
    loaded = getattr(user, ANNOTATION, None)
    if loaded is not None:
        return loaded
    return Notification.objects.filter(user=user, in_app=True, read_at__isnull=True).count()


annotate_signed_in_user(ANNOTATION, unread_subquery)
