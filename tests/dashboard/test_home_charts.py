"""The staff home's trends: tickets opened and closed per local day this week and last week,
the share of SLA targets met per week, the open pipeline's value per pipeline and currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import formats, timezone

from partnerdesk.dashboard.selectors import home_charts
from partnerdesk.tickets.models import Ticket
from tests.tickets import open_ticket

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.date(2026, 11, 4)  # Monday 2 November 2026 starts its week


def local(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def ticket(by, **fields) -> Ticket:
    made = open_ticket(by, "Email Creation", now=timezone.now())
    Ticket.objects.filter(pk=made.pk).update(**fields)
    return made


def values(chart) -> dict[str, list]:
    return {str(s.label): list(s.values) for s in chart.series}


def test_tickets_opened_and_closed_per_local_day(admin):
    with timezone.override("Africa/Cairo"):  # UTC+2 in November
        monday = dt.date(2026, 11, 2)
        ticket(admin, created_at=local(monday, 0, 5))  # 22:05 UTC on Sunday: Monday here
        ticket(admin, created_at=local(monday, 23, 55), closed_at=local(WEDNESDAY, 9))
        ticket(admin, created_at=local(monday - dt.timedelta(days=7), 9))  # last week's Monday
        ticket(
            admin,
            created_at=local(monday - dt.timedelta(days=2), 9),  # last week's Saturday
            closed_at=local(monday - dt.timedelta(days=1), 23, 59),  # ... Sunday
        )
        ticket(admin, created_at=local(monday - dt.timedelta(days=8), 23, 59))  # before: out
        ticket(admin, created_at=local(WEDNESDAY, 1))
        chart = home_charts.tickets_per_day(today=WEDNESDAY)
    assert [str(label) for label in chart.labels] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    later = [None] * 4  # the days of this week still to come
    assert values(chart) == {
        "Opened this week": [2, 0, 1, *later],
        "Closed this week": [0, 0, 1, *later],
        "Opened last week": [1, 0, 0, 0, 0, 1, 0],
        "Closed last week": [0, 0, 0, 0, 0, 0, 1],
    }
    assert chart.kind == "line" and chart.id == "home-tickets-per-day"


def test_the_share_of_targets_met_per_week(admin):
    monday = dt.date(2026, 11, 2)
    weeks_ago = [monday - dt.timedelta(weeks=n) for n in range(home_charts.WEEKS)]
    # This week: 3 resolutions, 2 met; 1 first response, missed. Four weeks ago: 1 met.
    for met in (True, True, False):
        ticket(admin, closed_at=local(WEDNESDAY), resolution_met=met)
    ticket(admin, first_response_at=local(monday), first_response_met=False)
    ticket(admin, closed_at=local(weeks_ago[4] + dt.timedelta(days=6)), resolution_met=True)
    ticket(admin, closed_at=local(WEDNESDAY), resolution_met=None)  # no target: not counted
    ticket(admin, closed_at=local(weeks_ago[-1] - dt.timedelta(days=1)), resolution_met=False)
    chart = home_charts.sla_met_per_week(today=WEDNESDAY)
    assert chart.labels == [
        formats.date_format(day, "SHORT_DATE_FORMAT") for day in reversed(weeks_ago)
    ]
    assert values(chart) == {
        "First response, % met": [None] * 7 + [0.0],
        "Resolution, % met": [None, None, None, 100.0, None, None, None, 66.7],
    }


def test_the_open_pipelines_value_a_bar_per_currency():
    pipelines = [
        {"pipeline__name": "Email", "values": {"USD": Decimal("10.50"), "EUR": Decimal("3.00")}},
        {"pipeline__name": "Website", "values": {"USD": Decimal("7.00")}},
    ]
    chart = home_charts.pipeline_values(pipelines)
    assert chart.kind == "bar" and list(chart.labels) == ["Email", "Website"]
    assert values(chart) == {"EUR": [Decimal("3.00"), None], "USD": [Decimal("10.50"), 7]}
    assert home_charts.pipeline_values([]) is None
