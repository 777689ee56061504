"""Product usage across clients: seats used of seats bought, per client and the median.

The median is found by the database on SQLite and PostgreSQL alike: one query counts the
clients with usage figures, a second reads the one or two middle ratios (ORDER BY … OFFSET),
so it costs two queries whatever the number of clients (no percentile function, which SQLite
lacks, and no rows brought into Python)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast

from partnerdesk.partner_program.models import HubSpotAccount, SubscriptionStatus


@dataclass(frozen=True)
class Usage:
    median: Decimal | None  # seats used / seats bought (1 = all used); None: no figures
    clients: int  # clients with usage figures


def client_usage() -> QuerySet:
    """Per client still served: seats used and bought over its active subscriptions that
    report both, and their ratio (``pk``, ``used``, ``bought``, ``ratio``)."""
    return (
        HubSpotAccount.objects.filter(
            services_ended_on__isnull=True,
            subscriptions__status=SubscriptionStatus.ACTIVE,
            subscriptions__seats__gt=0,
            subscriptions__seats_used__isnull=False,
        )
        .values("pk")
        .annotate(used=Sum("subscriptions__seats_used"), bought=Sum("subscriptions__seats"))
        .annotate(ratio=Cast(F("used"), FloatField()) / Cast(F("bought"), FloatField()))
        .order_by()
    )


def median_usage() -> Usage:
    rows = client_usage()
    count = rows.count()
    if not count:
        return Usage(median=None, clients=0)
    middle = list(
        rows.order_by("ratio", "pk").values_list("ratio", flat=True)[
            (count - 1) // 2 : count // 2 + 1
        ]
    )
    value = Decimal(str(sum(middle) / len(middle))).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )
    return Usage(median=value, clients=count)
