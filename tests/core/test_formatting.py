"""Dates and times read one way everywhere: the language picks the format (24-hour in Italian,
12-hour in English and Arabic), the account's time zone the clock, and ``reltime`` says how long
ago or how soon, with the exact instant on hover."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import formats, timezone, translation

from partnerdesk.core.templatetags.formatting import relative_phrase

NOW = dt.datetime(2026, 12, 4, 15, 45, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "4 Dec 2026, 3:45 PM"), ("it", "4 Dic 2026, 15:45")],
)
def test_one_datetime_format_per_language(language, expected):
    with translation.override(language):
        assert formats.date_format(NOW, "DATETIME_FORMAT") == expected
        # The short form is the same: a date never reads two ways on two pages.
        assert formats.date_format(NOW, "SHORT_DATETIME_FORMAT") == expected


def test_arabic_has_its_own_datetime_format_not_the_english_fallback():
    with translation.override("ar"):
        text = formats.date_format(NOW, "DATETIME_FORMAT")
    assert "Dec" not in text and "p.m." not in text
    assert "2026" in text and "3:45" in text


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (dt.timedelta(seconds=-20), "just now"),
        (dt.timedelta(minutes=-5), "5 min ago"),
        (dt.timedelta(hours=-3, minutes=-10), "3 h ago"),
        (dt.timedelta(days=-1, hours=-2), "1 day ago"),
        (dt.timedelta(days=-2), "2 days ago"),
        (dt.timedelta(minutes=30), "in 30 min"),
        (dt.timedelta(hours=3), "in 3 h"),
        (dt.timedelta(days=2, hours=5), "in 2 days"),
        (dt.timedelta(days=-40), "25 Oct 2026"),
    ],
)
def test_relative_phrase(offset, expected):
    with translation.override("en"):
        assert relative_phrase(NOW + offset, NOW) == expected


def test_relative_phrase_in_italian():
    with translation.override("it"):
        phrase = relative_phrase(NOW - dt.timedelta(hours=3), NOW)
    assert "3" in phrase and "ago" not in phrase


def test_reltime_renders_a_time_element_with_the_exact_instant_in_the_readers_zone():
    template = Template("{% load formatting %}{{ value|reltime:now }}")
    with translation.override("it"), timezone.override(zoneinfo.ZoneInfo("Europe/Rome")):
        html = template.render(Context({"value": NOW - dt.timedelta(hours=2), "now": NOW}))
    assert html.startswith('<time datetime="2026-12-04T13:45:00+00:00"')
    # 13:45 UTC is 14:45 in Rome, in the Italian 24-hour format.
    assert 'title="4 Dic 2026, 14:45"' in html


def test_reltime_of_nothing_is_empty_and_of_a_date_is_the_date():
    template = Template("{% load formatting %}[{{ none|reltime }}][{{ day|reltime }}]")
    with translation.override("en"):
        html = template.render(Context({"none": None, "day": dt.date(2026, 12, 1)}))
    assert html == "[][1 Dec 2026]"


def test_templates_format_dates_with_the_languages_named_formats():
    """A literal format ("D j M Y, H:i") would read one way whatever the reader's language;
    only the named formats of partnerdesk/formats/ and the day's name ("l", "D") may appear."""
    allowed = {"DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT",
               "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT", "TIME_FORMAT", "l", "D"}  # fmt: skip
    templates = Path(settings.BASE_DIR, "templates")
    used = {
        (path.relative_to(templates).as_posix(), fmt)
        for path in templates.rglob("*.html")
        for fmt in re.findall(r'\|(?:date|time):"([^"]*)"', path.read_text(encoding="utf-8"))
    }
    assert used and not {(path, fmt) for path, fmt in used if fmt not in allowed}
