"""Admin pages for SLA policies and working calendars: access, forms with units, the week
editor with errors beside the fields, holidays, and the live preview of unsaved values."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from partnerdesk.crm.models import Pipeline
from partnerdesk.sla import views as sla_views
from partnerdesk.sla.models import Calendar, Holiday, SlaPolicy, Unit
from tests.conftest import login

pytestmark = pytest.mark.django_db

CAIRO = ZoneInfo("Africa/Cairo")
DAYS = (6, 0, 1, 2, 3, 4, 5)


def ticket_pipeline(name):
    return Pipeline.objects.get(object_type="ticket", name=name)


def default_calendar():
    return Calendar.objects.get(is_default=True)


def week_form(calendar=None, **days) -> dict:
    """The calendar form as the page submits it (every weekday field present)."""
    base = {f"day_{d}": "" for d in DAYS}
    if calendar is not None:
        for d in DAYS:
            base[f"day_{d}"] = ", ".join(f"{s}-{e}" for s, e in calendar.week.get(str(d), []))
    base.update({f"day_{k[4:]}" if k.startswith("day_") else k: v for k, v in days.items()})
    return base


def calendar_post(calendar, **changes) -> dict:
    data = {
        "action": "save",
        "name": calendar.name,
        "timezone": calendar.timezone,
        "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision,
        "is_default": "on" if calendar.is_default else "",
        **week_form(calendar),
    }
    data.update(changes)
    return data


def policy_pages():
    email = ticket_pipeline("Email Creation")
    policy = SlaPolicy.objects.get(pipeline=email)
    cal = default_calendar()
    return {
        "get": [
            "/app/settings/sla/",
            f"/app/settings/sla/pipelines/{email.pk}/policies/new/",
            f"/app/settings/sla/pipelines/{email.pk}/policies/{policy.pk}/",
            "/app/settings/sla/calendars/",
            "/app/settings/sla/calendars/preview/?timezone=Africa/Cairo&day_0=09:00-17:00",
            f"/app/settings/sla/calendars/{cal.pk}/",
        ],
        "post": [
            f"/app/settings/sla/pipelines/{email.pk}/policies/new/",
            f"/app/settings/sla/pipelines/{email.pk}/policies/{policy.pk}/",
            f"/app/settings/sla/pipelines/{email.pk}/policies/{policy.pk}/delete/",
            "/app/settings/sla/calendars/",
            f"/app/settings/sla/calendars/{cal.pk}/",
        ],
    }


# ---------------------------------------------------------------- access


def test_client_users_get_404_on_every_sla_page(client_user):
    client = login(client_user)
    pages = policy_pages()
    for path in pages["get"]:
        assert client.get(path).status_code == 404, path
    for path in pages["post"]:
        assert client.post(path, {"action": "add_holiday", "date": "2026-03-03"}).status_code == (
            404
        ), path
    assert SlaPolicy.objects.count() == 6 and not Holiday.objects.exists()


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_staff_who_are_not_admins_get_403(role, request):
    client = login(request.getfixturevalue(role))
    pages = policy_pages()
    for path in pages["get"]:
        assert client.get(path).status_code == 403, path
    for path in pages["post"]:
        assert client.post(path, {"action": "add_holiday", "date": "2026-03-03"}).status_code == (
            403
        ), path
    assert SlaPolicy.objects.count() == 6 and not Holiday.objects.exists()


def test_anonymous_users_are_sent_to_log_in(db):
    response = Client().get("/app/settings/sla/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_admin_sees_every_page(admin):
    client = login(admin)
    for path in policy_pages()["get"]:
        assert client.get(path).status_code == 200, path


def test_policy_list_describes_the_targets(admin):
    html = login(admin).get("/app/settings/sla/").content.decode()
    for text in (
        "Bug Investigation",
        "1 working day<",  # singular and plural forms (ngettext)
        "3 working days",
        "from the first response",
        "48 h",
        "2 h",
        "336 h",
        "Domain Related Requests — Domain Deletion",
    ):
        assert text in html, text


# ---------------------------------------------------------------- policy form with units


def policy_data(**changes) -> dict:
    data = {
        "name": "Cancellations",
        "entry_stage": "",
        "calendar": "",
        "first_response_value": "",
        "first_response_unit": "working_hours",
        "resolution_value": "",
        "resolution_unit": "calendar_hours",
        "resolution_from": "created",
        "first_response_by": "reply_or_move",
        "due_soon_percent": "25",
    }
    data.update(changes)
    return data


def test_policy_create_and_edit_store_units_as_minutes_or_days(admin):
    pipeline = ticket_pipeline("Email Related Requests")
    cancel = pipeline.stages.get(name="Cancel Emails")
    client = login(admin)
    base = f"/app/settings/sla/pipelines/{pipeline.pk}/policies/"
    response = client.post(
        base + "new/",
        policy_data(
            entry_stage=cancel.pk,
            first_response_value="1.5",
            first_response_unit="working_hours",
            resolution_value="2",
            resolution_unit="calendar_days",
            due_soon_percent="20",
        ),
    )
    assert response.status_code == 302 and response["Location"] == "/app/settings/sla/"
    policy = SlaPolicy.objects.get(pipeline=pipeline, entry_stage=cancel)
    assert (policy.first_response_amount, policy.first_response_unit) == (90, Unit.WORKING_TIME)
    assert (policy.resolution_amount, policy.resolution_unit) == (2 * 24 * 60, Unit.CALENDAR)
    assert policy.due_soon_percent == 20

    form = client.get(f"{base}{policy.pk}/").context["form"]
    assert form.initial["first_response_value"] == 90
    assert form.initial["first_response_unit"] == "working_minutes"
    assert (form.initial["resolution_value"], form.initial["resolution_unit"]) == (
        2,
        "calendar_days",
    )

    response = client.post(
        f"{base}{policy.pk}/",
        policy_data(
            entry_stage=cancel.pk,
            first_response_value="4",
            first_response_unit="working_hours",
            resolution_value="3",
            resolution_unit="working_days",
            resolution_from="first_response",
            first_response_by="reply",
        ),
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.first_response_amount, policy.first_response_unit) == (240, Unit.WORKING_TIME)
    assert (policy.resolution_amount, policy.resolution_unit) == (3, Unit.WORKING_DAYS)
    assert (policy.resolution_from, policy.first_response_by) == ("first_response", "reply")
    form = client.get(f"{base}{policy.pk}/").context["form"]
    assert (form.initial["first_response_value"], form.initial["first_response_unit"]) == (
        4,
        "working_hours",
    )
    assert (form.initial["resolution_value"], form.initial["resolution_unit"]) == (
        3,
        "working_days",
    )

    response = client.post(
        f"{base}{policy.pk}/",
        policy_data(entry_stage=cancel.pk, resolution_value="36", resolution_unit="calendar_hours"),
    )
    policy.refresh_from_db()
    assert (policy.resolution_amount, policy.resolution_unit) == (36 * 60, Unit.CALENDAR)
    assert policy.first_response_amount is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resolution_value": "1.5", "resolution_unit": "working_days"}, "resolution_value"),
        ({"first_response_value": "0", "resolution_value": "2"}, "first_response_value"),
        ({}, "resolution_amount"),  # no target at all: a form-level error
        ({"resolution_value": "2", "due_soon_percent": "100"}, "due_soon_percent"),
        ({"resolution_value": "2", "name": ""}, "name"),
    ],
)
def test_policy_form_errors_are_shown_beside_the_fields(admin, changes, field):
    pipeline = ticket_pipeline("Email Related Requests")
    cancel = pipeline.stages.get(name="Cancel Emails")
    response = login(admin).post(
        f"/app/settings/sla/pipelines/{pipeline.pk}/policies/new/",
        policy_data(entry_stage=cancel.pk, **changes),
    )
    assert response.status_code == 400
    html = response.content.decode()
    if field in response.context["form"].fields:
        assert f'id="err-{field}"' in html
    else:
        assert "Set a first-response target, a resolution target or both." in html
    assert not SlaPolicy.objects.filter(entry_stage=cancel).exists()


def test_second_pipeline_policy_is_a_conflict_beside_the_entry_stage(admin):
    pipeline = ticket_pipeline("Email Creation")
    response = login(admin).post(
        f"/app/settings/sla/pipelines/{pipeline.pk}/policies/new/",
        policy_data(resolution_value="2"),
    )
    assert response.status_code == 400
    assert 'id="err-entry_stage"' in response.content.decode()
    assert SlaPolicy.objects.filter(pipeline=pipeline).count() == 1


def test_policy_delete(admin):
    pipeline = ticket_pipeline("Email Creation")
    policy = SlaPolicy.objects.get(pipeline=pipeline)
    response = login(admin).post(
        f"/app/settings/sla/pipelines/{pipeline.pk}/policies/{policy.pk}/delete/"
    )
    assert response.status_code == 302
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()


def test_policy_of_a_deal_pipeline_is_404(admin):
    deal_pipeline = Pipeline.objects.get(object_type="deal", name="Website Creation")
    path = f"/app/settings/sla/pipelines/{deal_pipeline.pk}/policies/new/"
    assert login(admin).get(path).status_code == 404


# ---------------------------------------------------------------- calendar edit page


def test_calendar_save_week_with_two_intervals(admin, django_capture_on_commit_callbacks):
    cal = default_calendar()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(admin).post(
            f"/app/settings/sla/calendars/{cal.pk}/",
            calendar_post(cal, day_0="09:00-13:00, 14:00-18:00", day_4="9:30-12:00"),
        )
    assert response.status_code == 302 and response["Location"] == (
        f"/app/settings/sla/calendars/{cal.pk}/"
    )
    cal.refresh_from_db()
    assert cal.week["0"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert cal.week["4"] == [["09:30", "12:00"]]
    assert cal.week["6"] == [["09:00", "17:00"]]
    assert "5" not in cal.week
    form = login(admin).get(f"/app/settings/sla/calendars/{cal.pk}/").context["form"]
    assert form.initial["day_0"] == "09:00-13:00, 14:00-18:00"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9-5", "Write working hours like 09:00-13:00, 14:00-18:00 (not “9-5”)."),
        ("17:00-09:00", None),
        ("09:00-13:00, 12:00-18:00", None),
        ("25:00-26:00", None),
    ],
)
def test_calendar_invalid_hours_error_beside_the_field(admin, value, message):
    cal = default_calendar()
    week_before = dict(cal.week)
    response = login(admin).post(
        f"/app/settings/sla/calendars/{cal.pk}/", calendar_post(cal, day_0=value)
    )
    assert response.status_code == 400
    html = response.content.decode()
    if message:
        assert 'id="err-day_0"' in html
        assert message in html
    else:
        assert 'class="errors-box"' in html
    cal.refresh_from_db()
    assert cal.week == week_before


def test_calendar_bad_country_errs_beside_the_field(admin):
    cal = default_calendar()
    response = login(admin).post(
        f"/app/settings/sla/calendars/{cal.pk}/", calendar_post(cal, holiday_country="XX")
    )
    assert response.status_code == 400
    assert 'id="err-holiday_country"' in response.content.decode()


def test_calendar_add_and_remove_holiday(admin):
    cal = default_calendar()
    client = login(admin)
    path = f"/app/settings/sla/calendars/{cal.pk}/"
    response = client.post(
        path, {"action": "add_holiday", "date": "2026-03-03", "holiday_name": "Offsite"}
    )
    assert response.status_code == 302
    holiday = Holiday.objects.get(calendar=cal)
    assert (holiday.date, holiday.name) == (dt.date(2026, 3, 3), "Offsite")
    assert "Offsite" in client.get(path).content.decode()
    assert Calendar.objects.get(pk=cal.pk).working_calendar().is_holiday(dt.date(2026, 3, 3))

    response = client.post(path, {"action": "add_holiday", "date": "2026-03-03"})
    assert response.status_code == 200
    assert "2026-03-03 is already a holiday in this calendar." in response.content.decode()
    response = client.post(path, {"action": "add_holiday", "date": "not a date"})
    assert "Pick a date for the holiday." in response.content.decode()
    assert Holiday.objects.count() == 1

    response = client.post(path, {"action": "remove_holiday", "holiday": holiday.pk})
    assert response.status_code == 302
    assert not Holiday.objects.exists()
    assert client.post(path, {"action": "remove_holiday", "holiday": 999999}).status_code == 404


def test_calendar_remove_holiday_with_a_malformed_id_is_404(admin):
    path = f"/app/settings/sla/calendars/{default_calendar().pk}/"
    response = login(admin).post(path, {"action": "remove_holiday", "holiday": "abc"})
    assert response.status_code == 404


def test_calendar_create_from_the_list_page(admin):
    client = login(admin)
    data = {
        "name": "Rome office",
        "timezone": "Europe/Rome",
        "holiday_country": "it",
        **week_form(day_0="09:00-18:00", day_1="09:00-18:00"),
    }
    response = client.post("/app/settings/sla/calendars/", data)
    cal = Calendar.objects.get(name="Rome office")
    assert response.status_code == 302
    assert response["Location"] == f"/app/settings/sla/calendars/{cal.pk}/"
    assert (cal.timezone, cal.holiday_country, cal.is_default) == ("Europe/Rome", "IT", False)
    assert cal.week == {"0": [["09:00", "18:00"]], "1": [["09:00", "18:00"]]}
    response = client.post("/app/settings/sla/calendars/", data)
    assert response.status_code == 400
    assert 'id="err-name"' in response.content.decode()


# ---------------------------------------------------------------- live preview


@pytest.fixture
def frozen_preview(monkeypatch):
    """The preview computes "a ticket opened now"; now is Sunday 2026-02-01 10:00 in Cairo."""
    now = dt.datetime(2026, 2, 1, 10, 0, tzinfo=CAIRO)
    if hasattr(sla_views, "clock"):  # partnerdesk.core.clock: the one source of "now"
        monkeypatch.setattr(sla_views.clock, "now", lambda: now)
    if hasattr(sla_views, "timezone"):
        monkeypatch.setattr(sla_views, "timezone", SimpleNamespace(now=lambda: now))
    return now


def preview(admin, **params):
    query = {
        "name": "Agency hours",
        "timezone": "Africa/Cairo",
        **{f"day_{d}": "" for d in DAYS},
        **params,
    }
    response = login(admin).get("/app/settings/sla/calendars/preview/", query)
    assert response.status_code == 200
    return response


def test_preview_computes_due_times_for_unsaved_values(admin, frozen_preview):
    # Unsaved week: Monday to Thursday 10:00-12:00 only.
    response = preview(
        admin, day_0="10:00-12:00", day_1="10:00-12:00", day_2="10:00-12:00", day_3="10:00-12:00"
    )
    rows = dict((str(label), due) for label, due in response.context["preview"]["rows"])
    assert rows == {
        "8 working hours": dt.datetime(2026, 2, 5, 12, 0, tzinfo=CAIRO),
        "1 working day": dt.datetime(2026, 2, 2, 12, 0, tzinfo=CAIRO),
        "3 working days": dt.datetime(2026, 2, 4, 12, 0, tzinfo=CAIRO),
    }
    assert default_calendar().week["0"] == [["09:00", "17:00"]]  # nothing saved


def test_preview_shows_the_times_in_the_calendars_time_zone(admin, frozen_preview):
    response = preview(admin, day_6="09:00-17:00", day_0="09:00-17:00")
    html = response.content.decode()
    # The weekday matters here (working days), then the product's one date-time format.
    assert "Now in this calendar: Sun 1 Feb 2026, 10:00 AM" in html
    assert "Mon 2 Feb 2026, 10:00 AM" in html  # 8 working hours
    assert "Mon 2 Feb 2026, 5:00 PM" in html  # 1 working day


def test_preview_includes_the_saved_holidays_of_the_calendar(admin, frozen_preview):
    cal = default_calendar()
    Holiday.objects.create(calendar=cal, date=dt.date(2026, 2, 2))
    response = preview(
        admin, calendar=cal.pk, day_6="09:00-17:00", day_0="09:00-17:00", day_1="09:00-17:00"
    )
    rows = dict((str(label), due) for label, due in response.context["preview"]["rows"])
    assert rows["1 working day"] == dt.datetime(2026, 2, 3, 17, 0, tzinfo=CAIRO)
    assert dt.date(2026, 2, 2) in response.context["preview"]["holidays"]


def test_preview_does_not_depend_on_the_name_field(admin, frozen_preview):
    """While the admin clears the name, the preview still reflects the hours being typed."""
    response = preview(admin, name="", day_6="09:00-17:00", day_0="09:00-17:00")
    rows = dict((str(label), due) for label, due in response.context["preview"]["rows"])
    assert rows["1 working day"] == dt.datetime(2026, 2, 2, 17, 0, tzinfo=CAIRO)


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"day_0": "9-5"}, "Write working hours like"),
        ({}, "no working time"),
        ({"day_0": "09:00-17:00", "holiday_country": "XX"}, "Public holidays are not known"),
    ],
)
def test_preview_explains_invalid_values(admin, frozen_preview, params, text):
    html = preview(admin, **params).content.decode()
    assert text in html
