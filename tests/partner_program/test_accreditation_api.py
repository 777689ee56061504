"""The accreditation and complaint API (issue 11): every operation's happy path through the
services the pages use, and illegal moves answered with a problem carrying the service's code
and sentence while nothing is written."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from partnerdesk.core.models import Event
from partnerdesk.partner_program import accreditation_jobs, services
from partnerdesk.partner_program.models import (
    Accreditation,
    AccreditationState,
    AccreditationType,
    Complaint,
    ComplaintSource,
    ComplaintStatus,
    ComplaintStep,
    MarkOnRecord,
    ProgramSettings,
    Tier,
)
from partnerdesk.partner_program.services.common import today

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2025, 3, 15)
CERT = "Sales Hub Implementation"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def send(client, method, path, body=None):
    if body is None:
        return client.generic(method, f"/api{path}")
    return client.generic(method, f"/api{path}", json.dumps(body), "application/json")


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def problem(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["field"] == field, body
    assert body["message"]
    return body


@pytest.fixture
def api(api_client_for, manager, set_today):
    return api_client_for(manager)


@pytest.fixture
def admin_api(api_client_for, admin, set_today):
    return api_client_for(admin)


@pytest.fixture
def tiers(db):
    return {t.key: t for t in Tier.objects.exclude(key="")}


@pytest.fixture
def kind(admin, tiers):
    return services.accreditation_type_create(
        by=admin,
        name="CRM Implementation (API)",
        required_certifications=[{"name": CERT, "employees": 1}],
        minimum_tier=tiers["platinum"],
    )


@pytest.fixture
def platinum(admin, manager, agent, tiers, set_today):
    set_today(d("2025-01-01"))
    services.tier_review_record(by=admin, reviewed_on=d("2025-01-01"), tier=tiers["platinum"])
    services.certification_add(by=manager, employee=agent, name=CERT, issued_on=d("2024-05-01"))
    return set_today(ISSUED)


@pytest.fixture
def held(manager, kind, platinum):
    accreditation = services.accreditation_apply(
        by=manager, accreditation_type=kind, applied_on=d("2025-02-01")
    )
    return services.accreditation_issue(by=manager, accreditation=accreditation, issued_on=ISSUED)


@pytest.fixture
def complaint(manager, company, set_today):
    return services.complaint_open(
        by=manager,
        summary="Website launch missed the agreed date",
        source=ComplaintSource.CUSTOMER,
        company=company,
        owner=manager,
    )


def findings_of_fault(manager, n: int) -> None:
    for i in range(n):
        serious = services.complaint_open(
            by=manager, summary=f"Serious {i}", source="hubspot_cs", serious_infringement=True
        )
        services.complaint_finding(by=manager, complaint=serious, fault=True, decision_date=today())


class Unchanged:
    """Nothing written: no event, and the rows as they were."""

    def __init__(self, *objs):
        self.objs = objs

    def __enter__(self):
        self.events = Event.objects.count()
        self.before = [self._fields(o) for o in self.objs]
        return self

    def _fields(self, obj):
        obj = type(obj).objects.get(pk=obj.pk)
        return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    def __exit__(self, *exc):
        if exc[0] is None:
            assert Event.objects.count() == self.events
            assert [self._fields(o) for o in self.objs] == self.before


# ---------------------------------------------------------------- accreditations


def test_apply_issue_and_read_an_accreditation(api, kind, platinum):
    body = ok(
        send(
            api,
            "POST",
            "/partner/accreditations",
            {"accreditation_type_id": kind.pk, "applied_on": "2025-02-01"},
        ),
        201,
    )
    assert (body["state"], body["applied_on"], body["marks_on_record"]) == (
        "applying",
        "2025-02-01",
        0,
    )
    pk = body["id"]
    body = ok(send(api, "POST", f"/partner/accreditations/{pk}/issue", {"issued_on": "2025-03-15"}))
    assert (body["state"], body["next_evaluation_on"]) == ("active", "2025-09-15")
    body = ok(send(api, "GET", f"/partner/accreditations/{pk}"))
    assert body["accreditation_type"] == "CRM Implementation (API)"
    assert body["max_marks"] == 3


def test_applying_without_the_prerequisites_names_every_gap(api, kind, set_today):
    with Unchanged():
        body = problem(
            send(api, "POST", "/partner/accreditations", {"accreditation_type_id": kind.pk}),
            422,
            "tier_below_minimum",
            "accreditation_type_id",
        )
    assert [e["code"] for e in body["errors"]] == ["tier_below_minimum", "certifications_missing"]
    assert {e["field"] for e in body["errors"]} == {"accreditation_type_id"}
    assert not Accreditation.objects.exists()
    problem(
        send(api, "POST", "/partner/accreditations", {"accreditation_type_id": 999999}),
        422,
        "not_found",
        "accreditation_type_id",
    )


def test_applying_twice_is_a_conflict(api, held):
    with Unchanged(held):
        problem(
            send(
                api,
                "POST",
                "/partner/accreditations",
                {"accreditation_type_id": held.accreditation_type_id},
            ),
            409,
            "accreditation_exists",
            "accreditation_type_id",
        )
    assert Accreditation.objects.count() == 1


def test_the_list_filters_and_counts_the_marks(api, admin, manager, held):
    other = services.accreditation_type_create(by=admin, name="Onboarding (API)")
    services.accreditation_apply(by=manager, accreditation_type=other)
    findings_of_fault(manager, 2)
    body = ok(send(api, "GET", "/partner/accreditations"))
    assert (body["count"], body["marks_on_record"], body["max_marks"]) == (2, 2, 3)
    body = ok(api.get("/api/partner/accreditations", {"state": "applying"}))
    assert [a["accreditation_type"] for a in body["items"]] == ["Onboarding (API)"]
    body = ok(api.get("/api/partner/accreditations", {"type_id": held.accreditation_type_id}))
    assert [a["id"] for a in body["items"]] == [held.pk]
    services.accreditation_lapse(by=manager, accreditation=held, reason="Not renewed")
    assert ok(api.get("/api/partner/accreditations", {"live": True}))["count"] == 1
    assert ok(api.get("/api/partner/accreditations", {"live": False}))["count"] == 1
    response = api.get("/api/partner/accreditations", {"state": "sleeping"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


def test_at_risk_shows_every_reason_and_the_grace_period_end(api, admin, held, tiers, set_today):
    set_today(d("2025-06-01"))
    services.tier_review_record(by=admin, reviewed_on=d("2025-06-01"), tier=tiers["gold"])
    accreditation_jobs.run(on=d("2025-06-01"))
    body = ok(send(api, "GET", f"/partner/accreditations/{held.pk}"))
    assert body["state"] == "at_risk"
    assert body["grace_period_ends_on"] == "2026-01-01"
    assert [r["code"] for r in body["at_risk_reasons"]] == ["tier"]
    assert body["reasons_text"] == (
        "credited tier Gold is below Platinum (grace period until 2026-01-01)"
    )
    set_today(d("2025-09-15"))
    accreditation_jobs.run(on=d("2025-09-15"))
    page = ok(send(api, "GET", f"/partner/accreditations/{held.pk}/evaluations"))
    assert page["count"] == 1
    evaluation = page["items"][0]
    assert (evaluation["due_on"], evaluation["result"]) == ("2025-09-15", "at_risk")
    assert evaluation["figures"]["credited_tier"] == "Gold"
    assert evaluation["figures"]["certifications"][0]["held"] == 1
    assert "grace period until 2026-01-01" in evaluation["reasons_text"]


def test_issuing_twice_is_refused_and_changes_nothing(api, held):
    with Unchanged(held):
        body = problem(
            send(
                api, "POST", f"/partner/accreditations/{held.pk}/issue", {"issued_on": "2025-03-16"}
            ),
            409,
            "invalid_state",
            "state",
        )
    assert body["message"] == "This accreditation is Active: only an application can be issued."


def test_revoke_lapse_and_the_board(api, manager, held, set_today):
    findings_of_fault(manager, 4)
    set_today(d("2025-09-15"))
    accreditation_jobs.run(on=d("2025-09-15"))
    assert Accreditation.objects.get(pk=held.pk).state == AccreditationState.UNDER_BOARD_REVIEW
    path = f"/partner/accreditations/{held.pk}"
    with Unchanged(held):
        problem(
            send(api, "POST", f"{path}/revoke", {"reason": "Four marks"}),
            422,
            "director_approval_required",
            "director_approved",
        )
        problem(
            send(api, "POST", f"{path}/board-renewal", {"director_approved": True}),
            422,
            "decision_date_required",
            "decided_on",
        )
    body = ok(
        send(
            api,
            "POST",
            f"{path}/board-renewal",
            {"decided_on": "2025-09-15", "director_approved": True, "notes": "One more chance"},
        )
    )
    assert body["next_evaluation_on"] == "2026-03-15"
    assert body["state"] in ("active", "at_risk")
    body = ok(send(api, "POST", f"{path}/lapse", {"reason": "Not renewed"}))
    assert (body["state"], body["next_evaluation_on"]) == ("lapsed", None)
    with Unchanged(held):
        problem(
            send(api, "POST", f"{path}/revoke", {"reason": "Too late"}),
            409,
            "invalid_state",
            "state",
        )


def test_moves_refuse_unknown_fields_and_wrong_types(api, held):
    path = f"/partner/accreditations/{held.pk}"
    with Unchanged(held):
        response = send(api, "POST", f"{path}/revoke", {"reason": "x", "director_approved": 1})
        assert response.status_code == 422
        response = send(api, "POST", f"{path}/lapse", {"reason": "x", "why": "y"})
        assert response.status_code == 422


def test_agents_are_refused_before_the_body_is_read(api_client_for, agent, held):
    client = api_client_for(agent)
    with Unchanged(held):
        response = send(client, "POST", f"/partner/accreditations/{held.pk}/lapse", {"bogus": 1})
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert send(client, "GET", "/partner/accreditations").status_code == 403


def test_marks_on_record(api, manager, set_today):
    findings_of_fault(manager, 2)
    body = ok(send(api, "GET", "/partner/marks"))
    assert (body["count"], body["max_marks"]) == (2, 3)
    assert {m["complaint"] for m in body["items"]} == {"Serious 0", "Serious 1"}
    assert all(m["decided_on"] == "2025-03-14" for m in body["items"])


# ---------------------------------------------------------------- the catalogue and settings


def test_admins_manage_the_catalogue(admin_api, api, tiers):
    payload = {
        "name": "Custom Integration (API)",
        "required_certifications": [{"name": "Integrating With HubSpot I", "employees": 2}],
        "minimum_tier_id": tiers["diamond"].pk,
        "order": 5,
    }
    assert send(api, "POST", "/partner/accreditation-types", payload).status_code == 403
    body = ok(send(admin_api, "POST", "/partner/accreditation-types", payload), 201)
    assert body["minimum_tier"] == "Diamond"
    assert body["required_certifications"] == [
        {"name": "Integrating With HubSpot I", "employees": 2}
    ]
    pk = body["id"]
    body = ok(
        send(
            admin_api,
            "PATCH",
            f"/partner/accreditation-types/{pk}",
            {"minimum_tier_id": None, "is_active": False, "required_certifications": []},
        )
    )
    assert (body["minimum_tier_id"], body["is_active"], body["required_certifications"]) == (
        None,
        False,
        [],
    )
    names = [t["name"] for t in ok(api.get("/api/partner/accreditation-types"))["items"]]
    assert "Custom Integration (API)" in names
    offered = ok(api.get("/api/partner/accreditation-types", {"offered": True}))["items"]
    assert "Custom Integration (API)" not in [t["name"] for t in offered]


def test_a_taken_name_and_bad_requirements_are_refused(admin_api, kind):
    with Unchanged(kind):
        problem(
            send(admin_api, "POST", "/partner/accreditation-types", {"name": kind.name.upper()}),
            409,
            "name_taken",
            "name",
        )
        problem(
            send(
                admin_api,
                "POST",
                "/partner/accreditation-types",
                {
                    "name": "Twice",
                    "required_certifications": [{"name": "A"}, {"name": "a", "employees": 2}],
                },
            ),
            422,
            "duplicate_certification",
            "required_certifications",
        )
        problem(
            send(
                admin_api,
                "PATCH",
                f"/partner/accreditation-types/{kind.pk}",
                {"minimum_tier_id": 999999},
            ),
            422,
            "not_found",
            "minimum_tier_id",
        )
    assert not AccreditationType.objects.filter(name="Twice").exists()


def test_the_accreditation_settings(admin_api, api):
    assert ok(send(api, "GET", "/partner/accreditation-settings")) == {
        "grace_period_days": 214,
        "evaluation_alert_days": 30,
        "complaint_waiting_days": 5,
    }
    assert (
        send(api, "PATCH", "/partner/accreditation-settings", {"grace_period_days": 1}).status_code
        == 403
    )
    body = ok(send(admin_api, "PATCH", "/partner/accreditation-settings", {"grace_period_days": 0}))
    assert body["grace_period_days"] == 0
    assert ProgramSettings.load().grace_period_days == 0
    response = send(
        admin_api, "PATCH", "/partner/accreditation-settings", {"grace_period_days": -1}
    )
    assert response.status_code == 422
    assert ProgramSettings.load().grace_period_days == 0


# ---------------------------------------------------------------- complaints


def test_record_and_read_a_complaint(api, agent, company):
    body = ok(
        send(
            api,
            "POST",
            "/partner/complaints",
            {
                "summary": "Emails bounced for a week",
                "source": "hubspot_cs",
                "company_id": company.pk,
                "owner_id": agent.pk,
                "notes": "Raised by CS",
            },
        ),
        201,
    )
    assert (body["step"], body["status"], body["waiting_on"]) == ("complaint", "open", "agency")
    assert body["company"] == "Acme Dental"
    [step] = body["steps"]
    assert (step["step"], step["owner_id"], step["outcome"], step["notes"]) == (
        "complaint",
        agent.pk,
        None,
        "Raised by CS",
    )
    assert ok(send(api, "GET", f"/partner/complaints/{body['id']}"))["id"] == body["id"]


def test_bad_complaint_bodies_are_refused(api, client_user):
    for payload, field in (
        ({"summary": "x", "source": "twitter"}, None),
        ({"summary": "x", "source": "customer", "owner_id": client_user.pk}, "owner_id"),
        ({"summary": "x", "source": "customer", "company_id": 999999}, "company_id"),
        ({"summary": "x", "source": "customer", "opened_on": "2999-01-01"}, "opened_on"),
    ):
        response = send(api, "POST", "/partner/complaints", payload)
        assert response.status_code == 422, payload
        if field:
            assert response.json()["field"] == field, response.json()
    assert not Complaint.objects.exists()


def test_walk_a_complaint_to_the_board_and_a_finding_of_fault(api, complaint, agent):
    path = f"/partner/complaints/{complaint.pk}"
    body = ok(send(api, "POST", f"{path}/advance", {"reason": "No reply", "owner_id": agent.pk}))
    assert body["step"] == "mediation"
    body = ok(send(api, "POST", f"{path}/advance", {"to_step": "partner_ops_escalation"}))
    assert body["step"] == "partner_ops_escalation"
    body = ok(send(api, "POST", f"{path}/advance", {}))
    assert body["step"] == "review_board"
    with Unchanged(complaint):
        problem(send(api, "POST", f"{path}/advance", {}), 409, "at_review_board", "to_step")
        problem(
            send(api, "POST", f"{path}/finding", {"fault": True}),
            422,
            "decision_date_required",
            "decision_date",
        )
    body = ok(
        send(
            api,
            "POST",
            f"{path}/finding",
            {"fault": True, "decision_date": "2025-03-14", "director_approved": True},
        )
    )
    assert body["status"] == "closed"
    board = body["steps"][-1]
    assert (board["outcome"], board["decision_date"], board["director_approved"]) == (
        "finding_fault",
        "2025-03-14",
        True,
    )
    assert board["mark_id"] == MarkOnRecord.objects.get().pk
    assert [s["outcome"] for s in body["steps"]] == [
        "escalated",
        "escalated",
        "escalated",
        "finding_fault",
    ]
    # A finding is final.
    with Unchanged(complaint):
        problem(
            send(api, "POST", f"{path}/reopen", {"reason": "x"}), 409, "complaint_closed", "status"
        )
        problem(send(api, "PATCH", path, {"summary": "y"}), 409, "complaint_closed", "status")


def test_skipping_a_step_is_refused_and_nothing_is_written(api, complaint):
    path = f"/partner/complaints/{complaint.pk}"
    with Unchanged(complaint):
        body = problem(
            send(api, "POST", f"{path}/advance", {"to_step": "review_board"}),
            422,
            "step_skipped",
            "to_step",
        )
        assert "Only a serious infringement goes straight to the review board." in body["message"]
        problem(
            send(api, "POST", f"{path}/finding", {"fault": True, "decision_date": "2025-03-14"}),
            422,
            "not_at_review_board",
            "fault",
        )
    assert ComplaintStep.objects.filter(complaint=complaint).count() == 1
    assert send(api, "POST", f"{path}/advance", {"to_step": "upstairs"}).status_code == 422


def test_a_serious_infringement_goes_straight_to_the_board(api, complaint):
    body = ok(
        send(
            api,
            "PATCH",
            f"/partner/complaints/{complaint.pk}",
            {"serious_infringement": True, "reason": "Data leak"},
        )
    )
    assert (body["serious_infringement"], body["step"]) == (True, "review_board")
    body = ok(
        send(
            api,
            "POST",
            f"/partner/complaints/{complaint.pk}/finding",
            {"fault": False, "decision_date": "2025-03-14"},
        )
    )
    assert body["steps"][-1]["outcome"] == "finding_no_fault"
    assert not MarkOnRecord.objects.exists()


def test_resolve_reopen_waiting_and_a_step(api, complaint, agent):
    path = f"/partner/complaints/{complaint.pk}"
    body = ok(send(api, "POST", f"{path}/waiting", {"waiting_on": "hubspot", "reason": "Asked"}))
    assert body["waiting_on"] == "hubspot"
    body = ok(send(api, "POST", f"{path}/waiting", {"waiting_on": None}))
    assert (body["waiting_on"], body["waiting_since"]) == (None, None)
    step_id = body["steps"][0]["id"]
    body = ok(
        send(api, "PATCH", f"{path}/steps/{step_id}", {"owner_id": agent.pk, "notes": "Call"})
    )
    assert (body["steps"][0]["owner"], body["steps"][0]["notes"]) == ("Agent", "Call")
    assert send(api, "PATCH", f"{path}/steps/999999", {"notes": "x"}).status_code == 404
    body = ok(send(api, "POST", f"{path}/resolve", {"notes": "Refunded a month"}))
    assert (body["status"], body["finished_on"]) == ("resolved", "2025-03-14")
    assert not MarkOnRecord.objects.exists()
    with Unchanged(complaint):
        problem(send(api, "POST", f"{path}/resolve", {}), 409, "complaint_resolved", "status")
        problem(
            send(api, "POST", f"{path}/waiting", {"waiting_on": "agency"}),
            409,
            "complaint_resolved",
            "status",
        )
    body = ok(send(api, "POST", f"{path}/reopen", {"reason": "It happened again"}))
    assert (body["status"], body["step"], len(body["steps"])) == ("open", "complaint", 2)
    problem(send(api, "POST", f"{path}/reopen", {"reason": "x"}), 409, "complaint_open", "status")


def test_the_complaint_list_filters(api, manager, complaint, other_company):
    serious = services.complaint_open(
        by=manager,
        summary="Data shared with the wrong client",
        source="other",
        company=other_company,
        serious_infringement=True,
    )
    services.complaint_resolve(by=manager, complaint=complaint)

    def ids(**params) -> list[int]:
        return [c["id"] for c in ok(api.get("/api/partner/complaints", params))["items"]]

    assert sorted(ids()) == sorted([complaint.pk, serious.pk])
    assert ids(status="resolved") == [complaint.pk]
    assert ids(step="review_board") == [serious.pk]
    assert ids(source="customer") == [complaint.pk]
    assert ids(company_id=other_company.pk) == [serious.pk]
    assert ids(serious=True) == [serious.pk]
    assert ids(waiting_on="agency") == [serious.pk]
    assert ids(q="wrong client") == [serious.pk]
    assert api.get("/api/partner/complaints", {"status": "lost"}).status_code == 422


def test_the_complaint_api_is_for_managers_and_admins(
    api_client_for, agent, client_user, complaint
):
    path = f"/partner/complaints/{complaint.pk}/advance"
    as_agent, as_client = api_client_for(agent), api_client_for(client_user)
    with Unchanged(complaint):
        response = send(as_agent, "POST", path, {"to_step": 5})
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
        response = send(as_client, "POST", path, {"to_step": 5})
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.OPEN
