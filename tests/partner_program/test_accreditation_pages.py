"""The accreditation and complaint pages (issue 11): who may open them, what they show (state,
reasons, the grace period's end, evaluations with their figures, the marks on record wherever
accreditations are), and their forms through the services — an illegal move comes back with
the service's sentence beside its form (400) and nothing is written."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

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
    ComplaintStepKind,
    MarkOnRecord,
    ProgramSettings,
    Tier,
    WaitingOn,
)
from partnerdesk.partner_program.services.common import today
from tests.conftest import login

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2025, 3, 15)
CERT = "Sales Hub Implementation"
Step = ComplaintStepKind


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))


def events() -> int:
    return Event.objects.count()


@pytest.fixture
def tiers(db):
    return {t.key: t for t in Tier.objects.exclude(key="")}


@pytest.fixture
def kind(admin, tiers):
    return services.accreditation_type_create(
        by=admin,
        name="CRM Implementation (pages)",
        required_certifications=[{"name": CERT, "employees": 1}],
        minimum_tier=tiers["platinum"],
    )


@pytest.fixture
def platinum(admin, manager, agent, tiers, set_today):
    """Platinum credited in January 2025 and the certification held by the agent."""
    set_today(d("2025-01-01"))
    services.tier_review_record(by=admin, reviewed_on=d("2025-01-01"), tier=tiers["platinum"])
    services.certification_add(by=manager, employee=agent, name=CERT, issued_on=d("2024-05-01"))
    return set_today(ISSUED)


@pytest.fixture
def applying(manager, kind, platinum):
    return services.accreditation_apply(
        by=manager, accreditation_type=kind, applied_on=d("2025-02-01")
    )


@pytest.fixture
def held(manager, applying):
    return services.accreditation_issue(by=manager, accreditation=applying, issued_on=ISSUED)


@pytest.fixture
def at_risk(held, admin, tiers, set_today):
    """Gold credited at the June review: at risk, the grace period running until 1 January."""
    set_today(d("2025-06-01"))
    services.tier_review_record(by=admin, reviewed_on=d("2025-06-01"), tier=tiers["gold"])
    accreditation_jobs.run(on=d("2025-06-01"))
    return Accreditation.objects.get(pk=held.pk)


@pytest.fixture
def complaint(manager, company, set_today):
    return services.complaint_open(
        by=manager,
        summary="Website launch missed the agreed date",
        source=ComplaintSource.CUSTOMER,
        company=company,
        owner=manager,
    )


def mark(manager, n: int = 1) -> None:
    """``n`` findings of fault (serious infringements, straight to the board)."""
    for i in range(n):
        complaint = services.complaint_open(
            by=manager,
            summary=f"Serious {i}",
            source=ComplaintSource.HUBSPOT_CS,
            serious_infringement=True,
        )
        services.complaint_finding(
            by=manager, complaint=complaint, fault=True, decision_date=today()
        )


def url(name: str, obj=None) -> str:
    return reverse(f"partner_program:{name}", kwargs={"pk": obj.pk} if obj else {})


# ---------------------------------------------------------------- who may open them

PAGES = [
    ("accreditation_list", None),
    ("accreditation_detail", "held"),
    ("complaint_list", None),
    ("complaint_create", None),
    ("complaint_detail", "complaint"),
    ("accreditation_type_list", None),
    ("accreditation_type_edit", "kind"),
]


@pytest.mark.parametrize(("name", "fixture"), PAGES)
@pytest.mark.parametrize(("role", "status"), [("manager", 200), ("admin", 200), ("agent", 403)])
def test_managers_and_admins_open_the_pages(name, fixture, role, status, request):
    obj = request.getfixturevalue(fixture) if fixture else None
    response = login(request.getfixturevalue(role)).get(url(name, obj))
    assert response.status_code == status, name


@pytest.mark.parametrize(("name", "fixture"), PAGES)
def test_client_users_get_not_found(name, fixture, request, client_user):
    obj = request.getfixturevalue(fixture) if fixture else None
    assert login(client_user).get(url(name, obj)).status_code == 404


def test_the_sub_navigation_links_accreditations_and_complaints(manager, set_today):
    body = login(manager).get(url("standing")).content.decode()
    assert url("accreditation_list") in body
    assert url("complaint_list") in body
    settings = login(manager).get(url("rates")).content.decode()
    assert url("accreditation_type_list") in settings


# ---------------------------------------------------------------- accreditations


def test_the_list_shows_state_dates_reasons_and_the_marks(at_risk, manager):
    mark(manager, 2)
    page = text(login(manager).get(url("accreditation_list")))
    assert "CRM Implementation (pages)" in page
    assert "At risk" in page
    assert "1 Jan 2026" in page  # the grace period's end
    assert "15 Sep 2025" in page  # the next evaluation
    assert "credited tier Gold is below Platinum (grace period until 2026-01-01)" in page
    assert re.search(r"Marks on record 2 ", page)


def test_the_list_filters_by_state_and_type(held, manager, admin, set_today):
    other = services.accreditation_type_create(by=admin, name="Onboarding (pages)")
    services.accreditation_apply(by=manager, accreditation_type=other)
    client = login(manager)
    active = client.get(url("accreditation_list"), {"state": "active"}).content.decode()
    assert ">CRM Implementation (pages)</a>" in active
    assert ">Onboarding (pages)</a>" not in active
    of_type = client.get(url("accreditation_list"), {"type": other.pk}).content.decode()
    assert ">Onboarding (pages)</a>" in of_type
    assert 'data-state="active"' not in of_type
    live = client.get(url("accreditation_list"), {"state": "live"}).content.decode()
    assert live.count("data-state=") == 2


def test_applying_through_the_list(manager, kind, platinum):
    response = login(manager).post(
        url("accreditation_list"), {"accreditation_type": kind.pk, "applied_on": "2025-03-01"}
    )
    accreditation = Accreditation.objects.get(accreditation_type=kind)
    assert response.status_code == 302
    assert response["Location"] == url("accreditation_detail", accreditation)
    assert (accreditation.state, accreditation.applied_on) == ("applying", d("2025-03-01"))


def test_applying_without_the_prerequisites_says_what_is_missing(manager, kind, set_today):
    before = events()
    response = login(manager).post(url("accreditation_list"), {"accreditation_type": kind.pk})
    assert response.status_code == 400
    page = text(response)
    assert "Applying needs the Platinum tier or above; the credited tier is no tier." in page
    assert "“Sales Hub Implementation” must be held by 1 current employees; 0 hold it." in page
    assert not Accreditation.objects.exists()
    assert events() == before


def test_the_page_shows_the_standards_evaluations_timeline_and_marks(held, manager, set_today):
    set_today(d("2025-09-15"))
    accreditation_jobs.run(on=d("2025-09-15"))
    mark(manager, 1)
    response = login(manager).get(url("accreditation_detail", held))
    page = text(response)
    body = response.content.decode()
    assert 'data-evaluation="2025-09-15"' in body
    assert "Renewed" in page
    assert "Sales Hub Implementation: 1/1" in page  # the evaluation's figures
    assert "Credited tier Platinum; Platinum or above is needed" in page  # the standards today
    assert "Sales Hub Implementation: held by 1 of the 1 current employees needed" in page
    assert "15 Mar 2026" in page  # the next evaluation
    assert re.search(r"Marks on record 1 ", page)
    assert "Evaluation of CRM Implementation (pages) due 2025-09-15: Renewed" in page
    # The moves an active accreditation allows: lapse and revoke, not issue.
    assert 'value="lapse"' in body
    assert 'value="revoke"' in body
    assert 'value="issue"' not in body


def test_an_at_risk_accreditation_shows_every_reason_and_the_grace_period_end(at_risk, manager):
    page = text(login(manager).get(url("accreditation_detail", at_risk)))
    assert "At risk because credited tier Gold is below Platinum" in page
    assert "Grace period ends 1 Jan 2026" in page
    standing = text(login(manager).get(url("standing")))
    assert "CRM Implementation (pages) : the grace period ends on 1 Jan 2026" in standing


def test_issuing_through_the_page(applying, manager):
    response = login(manager).post(
        url("accreditation_detail", applying), {"action": "issue", "issue-issued_on": "2025-03-15"}
    )
    assert response.status_code == 302
    accreditation = Accreditation.objects.get(pk=applying.pk)
    assert accreditation.state == AccreditationState.ACTIVE
    assert accreditation.next_evaluation_on == d("2025-09-15")


def test_issuing_twice_is_refused_beside_the_form(held, manager):
    before = events()
    response = login(manager).post(
        url("accreditation_detail", held), {"action": "issue", "issue-issued_on": "2025-03-15"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="form-issue" open' in body.replace("\n", " ") or 'open id="form-issue"' in body
    assert "This accreditation is Active: only an application can be issued." in text(response)
    assert Accreditation.objects.get(pk=held.pk).issued_on == ISSUED
    assert events() == before


def test_the_board_revokes_only_with_the_director_approval(held, manager, set_today):
    mark(manager, 4)
    set_today(d("2025-09-15"))
    accreditation_jobs.run(on=d("2025-09-15"))
    held.refresh_from_db()
    assert held.state == AccreditationState.UNDER_BOARD_REVIEW
    client = login(manager)
    before = events()
    response = client.post(
        url("accreditation_detail", held), {"action": "revoke", "revoke-reason": "Four marks"}
    )
    assert response.status_code == 400
    assert "needs the director-level approval" in text(response)
    assert 'id="err-revoke-director_approved"' in response.content.decode()
    assert Accreditation.objects.get(pk=held.pk).state == AccreditationState.UNDER_BOARD_REVIEW
    assert events() == before
    response = client.post(
        url("accreditation_detail", held),
        {"action": "revoke", "revoke-reason": "Four marks", "revoke-director_approved": "on"},
    )
    assert response.status_code == 302
    assert Accreditation.objects.get(pk=held.pk).state == AccreditationState.REVOKED


def test_the_board_renewal_needs_its_decision_date(held, manager, set_today):
    mark(manager, 4)
    set_today(d("2025-09-15"))
    accreditation_jobs.run(on=d("2025-09-15"))
    client = login(manager)
    response = client.post(url("accreditation_detail", held), {"action": "board_renew"})
    assert response.status_code == 400
    assert "Enter the date of the board's decision." in text(response)
    assert Accreditation.objects.get(pk=held.pk).state == AccreditationState.UNDER_BOARD_REVIEW
    response = client.post(
        url("accreditation_detail", held),
        {"action": "board_renew", "board-decided_on": "2025-09-15", "board-notes": "Renewed"},
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.next_evaluation_on == d("2026-03-15")
    assert held.state in (AccreditationState.ACTIVE, AccreditationState.AT_RISK)


def test_lapsing_through_the_page_and_not_twice(held, manager):
    client = login(manager)
    response = client.post(
        url("accreditation_detail", held), {"action": "lapse", "lapse-reason": "Not renewed"}
    )
    assert response.status_code == 302
    assert Accreditation.objects.get(pk=held.pk).state == AccreditationState.LAPSED
    response = client.post(
        url("accreditation_detail", held), {"action": "lapse", "lapse-reason": "Again"}
    )
    assert response.status_code == 400
    assert "only a held accreditation can lapse" in text(response)


# ---------------------------------------------------------------- the catalogue


def test_admins_add_and_change_accreditations_managers_read(admin, manager, tiers):
    response = login(manager).post(
        url("accreditation_type_list"), {"action": "type", "name": "Manager's"}
    )
    assert response.status_code == 403
    client = login(admin)
    response = client.post(
        url("accreditation_type_list"),
        {
            "action": "type",
            "name": "Custom Integration (pages)",
            "required_certifications": "Integrating With HubSpot I: 2\nPlatform Consulting",
            "minimum_tier": tiers["diamond"].pk,
            "order": "7",
        },
    )
    assert response.status_code == 302
    kind = AccreditationType.objects.get(name="Custom Integration (pages)")
    assert kind.required_certifications == [
        {"name": "Integrating With HubSpot I", "employees": 2},
        {"name": "Platform Consulting", "employees": 1},
    ]
    assert kind.minimum_tier == tiers["diamond"]
    page = text(login(manager).get(url("accreditation_type_list")))
    assert "Integrating With HubSpot I × 2" in page
    edit = client.get(url("accreditation_type_edit", kind)).content.decode()
    assert "Integrating With HubSpot I: 2" in edit
    response = client.post(
        url("accreditation_type_edit", kind),
        {
            "name": "Custom Integration (pages)",
            "required_certifications": "Platform Consulting: 3",
            "order": "7",
        },
    )
    assert response.status_code == 302
    kind.refresh_from_db()
    assert kind.required_certifications == [{"name": "Platform Consulting", "employees": 3}]
    assert kind.minimum_tier is None
    assert kind.is_active is False  # the box was not ticked: withdrawn


def test_bad_requirements_and_taken_names_are_named_beside_the_field(admin, kind):
    client = login(admin)
    response = client.post(
        url("accreditation_type_list"),
        {"action": "type", "name": "Twice", "required_certifications": "A: 1\na: 2", "order": 0},
    )
    assert response.status_code == 400
    assert "“a” is listed twice" in text(response)
    assert 'id="err-required_certifications"' in response.content.decode()
    response = client.post(
        url("accreditation_type_list"),
        {"action": "type", "name": kind.name.upper(), "order": 0},
    )
    assert response.status_code == 400
    assert 'id="err-name"' in response.content.decode()
    assert not AccreditationType.objects.filter(name__in=["Twice", kind.name.upper()]).exists()


def test_admins_change_the_accreditation_settings(admin, manager):
    data = {
        "action": "settings",
        "settings-grace_period_days": "90",
        "settings-evaluation_alert_days": "14",
        "settings-complaint_waiting_days": "3",
    }
    assert login(manager).post(url("accreditation_type_list"), data).status_code == 403
    assert login(admin).post(url("accreditation_type_list"), data).status_code == 302
    settings = ProgramSettings.load()
    assert (settings.grace_period_days, settings.evaluation_alert_days) == (90, 14)
    assert settings.complaint_waiting_days == 3


# ---------------------------------------------------------------- complaints


def test_recording_a_complaint(manager, agent, company, set_today):
    response = login(manager).post(
        url("complaint_create"),
        {
            "summary": "Emails bounced for a week",
            "source": "hubspot_cs",
            "company": company.pk,
            "owner": agent.pk,
            "notes": "Raised by CS",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("complaint_detail", complaint)
    assert (complaint.step, complaint.status, complaint.waiting_on) == (
        Step.COMPLAINT,
        ComplaintStatus.OPEN,
        WaitingOn.AGENCY,
    )
    assert ComplaintStep.objects.get(complaint=complaint).owner == agent


def test_a_complaint_without_a_summary_is_refused(manager, set_today):
    response = login(manager).post(url("complaint_create"), {"source": "customer"})
    assert response.status_code == 400
    assert 'id="err-summary"' in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_list_filters_complaints(complaint, manager, other_company):
    serious = services.complaint_open(
        by=manager,
        summary="Data shared with the wrong client",
        source=ComplaintSource.OTHER,
        company=other_company,
        serious_infringement=True,
    )
    client = login(manager)

    def shown(**params) -> set[str]:
        page = client.get(url("complaint_list"), params).content.decode()
        return {s for s in (complaint.summary, serious.summary) if s in page}

    assert shown() == {complaint.summary, serious.summary}
    assert shown(step="review_board") == {serious.summary}
    assert shown(source="customer") == {complaint.summary}
    assert shown(company=other_company.pk) == {serious.summary}
    assert shown(status="resolved") == set()
    assert shown(q="wrong client") == {serious.summary}


def test_the_complaint_page_shows_its_steps_as_a_timeline(complaint, manager, agent):
    services.complaint_advance(by=manager, complaint=complaint, owner=agent, reason="No reply")
    response = login(manager).get(url("complaint_detail", complaint))
    body = response.content.decode()
    page = text(response)
    assert 'data-step="complaint" data-outcome="escalated"' in body
    assert 'data-step="mediation"' in body
    assert "Complaint — Escalated" in page
    assert "Mediation current" in page
    assert "Complaint escalated from Complaint to Mediation, owner Agent: No reply" in page
    # An open complaint below the board: escalate, resolve, mark serious; no finding.
    assert 'value="advance"' in body
    assert 'value="serious"' in body
    assert 'value="finding"' not in body


def test_skipping_a_step_is_refused_beside_the_field(complaint, manager):
    before = events()
    response = login(manager).post(
        url("complaint_detail", complaint), {"action": "advance", "advance-to_step": "review_board"}
    )
    assert response.status_code == 400
    assert "without skipping a step: its next step is Mediation" in text(response)
    assert 'id="err-advance-to_step"' in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).step == Step.COMPLAINT
    assert ComplaintStep.objects.filter(complaint=complaint).count() == 1
    assert events() == before


def test_a_serious_infringement_goes_straight_to_the_board(complaint, manager):
    response = login(manager).post(
        url("complaint_detail", complaint), {"action": "serious", "serious-reason": "Data leak"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.serious_infringement, complaint.step) == (True, Step.REVIEW_BOARD)


def test_a_finding_needs_its_decision_date_and_is_final(complaint, manager):
    complaint = services.complaint_update(
        by=manager, complaint=complaint, serious_infringement=True
    )
    client = login(manager)
    before = events()
    response = client.post(
        url("complaint_detail", complaint),
        {"action": "finding", "finding-fault": "yes", "finding-decision_date": ""},
    )
    assert response.status_code == 400
    assert "Enter the date of the review board's decision." in text(response)
    assert 'id="err-finding-decision_date"' in response.content.decode()
    assert not MarkOnRecord.objects.exists()
    assert events() == before
    response = client.post(
        url("complaint_detail", complaint),
        {
            "action": "finding",
            "finding-fault": "yes",
            "finding-decision_date": "2025-03-14",
            "finding-director_approved": "on",
        },
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert MarkOnRecord.objects.get().director_approved is True
    page = client.get(url("complaint_detail", complaint))
    assert "Mark on record" in text(page)
    assert "Decided on 14 Mar 2025 · director-level approval" in text(page)
    # A closed complaint is never reopened: the service's sentence, nothing written.
    before = events()
    response = client.post(
        url("complaint_detail", complaint), {"action": "reopen", "reopen-reason": "New facts"}
    )
    assert response.status_code == 400
    assert "the review board's finding is final" in text(response)
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.CLOSED
    assert events() == before


def test_resolve_reopen_waiting_and_the_step_owner(complaint, manager, agent):
    client = login(manager)
    page = url("complaint_detail", complaint)
    response = client.post(page, {"action": "waiting", "waiting-waiting_on": "customer"})
    assert response.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).waiting_on == WaitingOn.CUSTOMER
    response = client.post(page, {"action": "step", "step-owner": agent.pk, "step-notes": "Call"})
    assert response.status_code == 302
    assert ComplaintStep.objects.get(complaint=complaint).owner == agent
    response = client.post(page, {"action": "resolve", "resolve-notes": "Refunded a month"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RESOLVED
    assert not MarkOnRecord.objects.exists()
    assert 'value="reopen"' in client.get(page).content.decode()
    response = client.post(page, {"action": "reopen", "reopen-reason": "It happened again"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.step) == (ComplaintStatus.OPEN, Step.COMPLAINT)
    assert ComplaintStep.objects.filter(complaint=complaint).count() == 2


def test_the_marks_are_counted_wherever_accreditations_are(held, manager):
    mark(manager, 3)
    client = login(manager)
    for name, obj in (
        ("accreditation_list", None),
        ("accreditation_detail", held),
        ("standing", None),
        ("complaint_list", None),
    ):
        assert re.search(r'id="marks-count">3<', client.get(url(name, obj)).content.decode()), name
