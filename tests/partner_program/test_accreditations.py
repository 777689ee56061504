"""Accreditations (seed 001): evaluated every six months from the issue date, exactly once per
due day; the tier rule follows the January and June reviews with a grace period; more than
three marks send the renewal to the review board."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe, timeline
from partnerdesk.notifications.models import Notification
from partnerdesk.partner_program import accreditation_jobs, jobs, services
from partnerdesk.partner_program import accreditation_rules as rules
from partnerdesk.partner_program.events import PartnerEvent
from partnerdesk.partner_program.models import (
    Accreditation,
    AccreditationEvaluation,
    AccreditationState,
    AccreditationType,
    ComplaintSource,
    EvaluationResult,
    ProgramSettings,
    Tier,
)

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2025, 3, 15)
CERT = "Sales Hub Implementation"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture
def tiers(db):
    return {t.key: t for t in Tier.objects.exclude(key="")}


@pytest.fixture
def kind(admin, tiers):
    """An accreditation needing Platinum and one current employee holding CERT."""
    return services.accreditation_type_create(
        by=admin,
        name="CRM Implementation (test)",
        required_certifications=[{"name": CERT, "employees": 1}],
        minimum_tier=tiers["platinum"],
    )


def credit(admin, set_today, day: str, tier) -> None:
    """The review of ``day`` credits ``tier`` (recorded by hand on that day)."""
    set_today(d(day))
    services.tier_review_record(by=admin, reviewed_on=d(day), tier=tier)


@pytest.fixture
def held(admin, manager, agent, kind, tiers, set_today):
    """Issued on 15 March 2025 with Platinum credited in January and the certification held."""
    credit(admin, set_today, "2025-01-01", tiers["platinum"])
    services.certification_add(
        by=manager, employee=agent, name=CERT.lower(), issued_on=dt.date(2024, 5, 1)
    )
    set_today(ISSUED)
    accreditation = services.accreditation_apply(
        by=manager, accreditation_type=kind, applied_on=dt.date(2025, 2, 1)
    )
    return services.accreditation_issue(by=manager, accreditation=accreditation, issued_on=ISSUED)


def run(set_today, day: str) -> dict:
    set_today(d(day))
    return accreditation_jobs.run(on=d(day))


def fresh(accreditation) -> Accreditation:
    return Accreditation.objects.get(pk=accreditation.pk)


def evaluations(accreditation) -> list[tuple[str, str]]:
    return [
        (e.due_on.isoformat(), e.result)
        for e in AccreditationEvaluation.objects.filter(accreditation=accreditation).order_by(
            "due_on"
        )
    ]


# ---------------------------------------------------------------- evaluation days


def test_evaluation_days_run_every_six_months_from_the_issue_date():
    assert rules.evaluation_day(ISSUED, 1) == d("2025-09-15")
    assert rules.evaluation_day(ISSUED, 2) == d("2026-03-15")
    # A day the month lacks falls on its last day, and the series never drifts.
    end_of_august = d("2025-08-31")
    assert [rules.evaluation_day(end_of_august, n) for n in (1, 2, 5)] == [
        d("2026-02-28"),
        d("2026-08-31"),
        d("2028-02-29"),
    ]
    assert rules.next_evaluation_on(ISSUED, ISSUED) == d("2025-09-15")
    assert rules.next_evaluation_on(ISSUED, d("2025-09-15")) == d("2025-09-15")
    assert rules.next_evaluation_on(ISSUED, d("2025-09-15"), inclusive=False) == d("2026-03-15")
    assert rules.next_evaluation_on(ISSUED, d("2027-01-02")) == d("2027-03-15")


def test_issued_15_march_is_evaluated_on_15_september_and_15_march(held, set_today):
    assert held.state == AccreditationState.ACTIVE
    assert held.next_evaluation_on == d("2025-09-15")
    assert run(set_today, "2025-09-14")["evaluated"] == []
    result = run(set_today, "2025-09-15")
    assert result["evaluated"] == [(held.pk, "2025-09-15", EvaluationResult.RENEWED)]
    assert fresh(held).next_evaluation_on == d("2026-03-15")
    run(set_today, "2026-03-14")
    run(set_today, "2026-03-15")
    assert evaluations(held) == [
        ("2025-09-15", EvaluationResult.RENEWED),
        ("2026-03-15", EvaluationResult.RENEWED),
    ]
    assert fresh(held).next_evaluation_on == d("2026-09-15")
    figures = AccreditationEvaluation.objects.get(
        accreditation=held, due_on=d("2025-09-15")
    ).figures
    assert figures["credited_tier"] == "Platinum"
    assert figures["minimum_tier"] == "Platinum"
    assert figures["certifications"] == [
        {"name": CERT, "required": 1, "held": 1, "employees": ["Agent"]}
    ]
    assert figures["marks"] == 0
    sentences = [describe(e) for e in timeline(held)]
    assert (
        "Evaluation of CRM Implementation (test) due 2025-09-15: Renewed; next evaluation 2026-03-15"
        in sentences
    )


def test_the_evaluation_happens_exactly_once_however_often_the_job_runs(held, set_today):
    stale = Accreditation.objects.get(pk=held.pk)  # read before the first run, as a 2nd scheduler
    set_today(d("2025-09-15"))
    first = jobs.daily()["accreditations"]
    second = jobs.daily()["accreditations"]
    assert first["evaluated"] == [(held.pk, "2025-09-15", "renewed")]
    assert second["evaluated"] == []
    assert services.accreditation_evaluate(accreditation=stale, on=d("2025-09-15")) is None
    # A scheduler that still sees the old due day finds the day's row taken.
    Accreditation.objects.filter(pk=held.pk).update(next_evaluation_on=d("2025-09-15"))
    assert services.accreditation_evaluate(accreditation=held, on=d("2025-09-15")) is None
    assert evaluations(held) == [("2025-09-15", "renewed")]
    with pytest.raises(IntegrityError), transaction.atomic():
        AccreditationEvaluation.objects.create(
            accreditation=held,
            due_on=d("2025-09-15"),
            evaluated_at=AccreditationEvaluation.objects.get().evaluated_at,
            result=EvaluationResult.RENEWED,
        )
    kinds = [e.kind for e in timeline(held)]
    assert kinds.count(PartnerEvent.ACCREDITATION_EVALUATED) == 1


def test_missed_evaluation_days_are_caught_up_in_order(held, set_today):
    result = run(set_today, "2026-04-01")  # no scheduler ran for a year
    assert [e[1] for e in result["evaluated"]] == ["2025-09-15", "2026-03-15"]
    assert fresh(held).next_evaluation_on == d("2026-09-15")


def test_an_evaluation_is_announced_30_days_before_once(held, admin, manager, set_today):
    assert run(set_today, "2025-08-15")["evaluation_alerts"] == 0
    assert run(set_today, "2025-08-16")["evaluation_alerts"] == 2  # admin and manager
    assert run(set_today, "2025-08-17")["evaluation_alerts"] == 0
    note = Notification.objects.get(user=admin, kind="partner")
    assert note.title == "Accreditation evaluation on 2025-09-15: CRM Implementation (test)"
    assert "every standard is met" in note.body


# ---------------------------------------------------------------- the tier rule


def test_a_tier_drop_at_the_june_review_starts_the_grace_period_and_a_recovery_clears_it(
    held, admin, tiers, set_today
):
    credit(admin, set_today, "2025-06-01", tiers["gold"])
    run(set_today, "2025-06-01")
    accreditation = fresh(held)
    assert accreditation.state == AccreditationState.AT_RISK
    assert accreditation.grace_period_ends_on == d("2025-06-01") + dt.timedelta(days=214)
    assert accreditation.grace_period_ends_on == d("2026-01-01")
    assert [r["code"] for r in accreditation.at_risk_reasons] == ["tier"]
    assert accreditation.at_risk_reasons[0]["credited_tier"] == "Gold"
    # Evaluated in its grace period: still at risk, evaluated again in six months.
    run(set_today, "2025-09-15")
    assert evaluations(held) == [("2025-09-15", EvaluationResult.AT_RISK)]
    assert fresh(held).state == AccreditationState.AT_RISK
    assert fresh(held).next_evaluation_on == d("2026-03-15")
    # Platinum again at the January review, on the grace period's last day: cleared.
    credit(admin, set_today, "2026-01-01", tiers["platinum"])
    run(set_today, "2026-01-01")
    accreditation = fresh(held)
    assert accreditation.state == AccreditationState.ACTIVE
    assert accreditation.grace_period_ends_on is None
    assert accreditation.at_risk_reasons == []
    run(set_today, "2026-03-15")
    assert evaluations(held)[-1] == ("2026-03-15", EvaluationResult.RENEWED)
    sentences = [describe(e) for e in timeline(held)]
    assert (
        "CRM Implementation (test): Active → At risk: credited tier Gold is below Platinum "
        "(grace period until 2026-01-01)"
    ) in sentences
    assert "CRM Implementation (test) is no longer at risk: every standard is met" in sentences


def test_the_daily_job_applies_the_tier_rule_right_after_its_june_review(held, set_today):
    set_today(d("2025-06-01"))
    result = jobs.daily()  # the agency has no points: the review credits no tier
    assert result["review"] == "2025-06-01"
    assert result["accreditations"]["accreditations_changed"] == 1
    accreditation = fresh(held)
    assert accreditation.state == AccreditationState.AT_RISK
    assert accreditation.grace_period_ends_on == d("2026-01-01")
    entry = next(e for e in timeline(held) if e.kind == PartnerEvent.ACCREDITATION_STATE_CHANGED)
    assert entry.actor is None  # the periodic job, not a person
    assert entry.data["cause"] == "standards"
    assert describe(entry) == (
        "CRM Implementation (test): Active → At risk: no tier is credited, Platinum or above "
        "is needed (grace period until 2026-01-01)"
    )


def test_without_a_recovery_it_is_not_eligible_at_the_next_evaluation(
    held, admin, manager, tiers, set_today
):
    credit(admin, set_today, "2025-06-01", tiers["gold"])
    run(set_today, "2025-06-01")
    credit(admin, set_today, "2026-01-01", tiers["gold"])  # still Gold: the grace period ends
    run(set_today, "2025-09-15")
    result = run(set_today, "2026-03-15")
    assert result["evaluated"] == [(held.pk, "2026-03-15", EvaluationResult.LAPSED)]
    accreditation = fresh(held)
    assert accreditation.state == AccreditationState.LAPSED
    assert accreditation.next_evaluation_on is None
    assert result["result_alerts"] == 2
    titles = Notification.objects.filter(user=manager).values_list("title", flat=True)
    assert (
        "Accreditation evaluation of 2026-03-15: CRM Implementation (test), No longer eligible"
        in titles
    )
    # Lapsed: nothing more is evaluated, and a new application needs Platinum again.
    assert run(set_today, "2026-09-15")["evaluated"] == []
    with pytest.raises(DomainError) as error:
        services.accreditation_apply(by=manager, accreditation_type=held.accreditation_type)
    assert error.value.code == "tier_below_minimum"


def test_the_grace_period_is_configurable(held, admin, tiers, set_today):
    services.accreditation_settings_update(by=admin, grace_period_days=30)
    credit(admin, set_today, "2025-06-01", tiers["gold"])
    run(set_today, "2025-06-01")
    assert fresh(held).grace_period_ends_on == d("2025-07-01")
    run(set_today, "2025-09-15")
    assert evaluations(held) == [("2025-09-15", EvaluationResult.LAPSED)]


def test_at_risk_and_the_grace_period_end_alert_once(held, admin, tiers, set_today):
    credit(admin, set_today, "2025-06-01", tiers["gold"])
    assert run(set_today, "2025-06-01")["at_risk_alerts"] == 2
    assert run(set_today, "2025-06-02")["at_risk_alerts"] == 0
    assert run(set_today, "2025-12-01")["at_risk_alerts"] == 0
    assert run(set_today, "2025-12-02")["at_risk_alerts"] == 2  # 30 days before 1 January
    assert run(set_today, "2025-12-03")["at_risk_alerts"] == 0
    titles = set(Notification.objects.filter(user=admin).values_list("title", flat=True))
    assert {
        "Accreditation at risk: CRM Implementation (test)",
        "Grace period ends on 2026-01-01: CRM Implementation (test)",
    } <= titles


def test_missing_certifications_put_it_at_risk_and_lapse_it_at_the_evaluation(
    held, agent, set_today
):
    agent.is_active = False  # the only holder left the agency
    agent.save()
    run(set_today, "2025-07-01")
    accreditation = fresh(held)
    assert accreditation.state == AccreditationState.AT_RISK
    assert accreditation.at_risk_reasons == [
        {
            "code": "certifications",
            "missing": [{"name": CERT, "required": 1, "held": 0, "employees": []}],
        }
    ]
    run(set_today, "2025-09-15")
    assert evaluations(held) == [("2025-09-15", EvaluationResult.LAPSED)]


# ---------------------------------------------------------------- marks on record


def fault(by, n: int, day: dt.date) -> None:
    complaint = services.complaint_open(
        by=by, summary=f"Complaint {n}", source=ComplaintSource.CUSTOMER, serious_infringement=True
    )
    services.complaint_finding(
        by=by, complaint=complaint, fault=True, decision_date=day, director_approved=True
    )


def test_the_fourth_finding_of_fault_puts_renewals_under_board_review_and_alerts_once(
    held, admin, manager, set_today
):
    set_today(d("2025-05-01"))
    for n in range(1, 4):
        fault(manager, n, d("2025-05-01"))
    assert not Notification.objects.filter(user=admin).exists()
    fault(manager, 4, d("2025-05-01"))
    alert = Notification.objects.get(user=admin)  # at once, from the finding
    assert alert.title == "4 marks on the agency's record: renewals go to the review board"
    assert not Notification.objects.filter(user=manager).exists()  # admins only
    fault(manager, 5, d("2025-05-01"))
    assert Notification.objects.filter(user=admin).count() == 1  # once
    assert rules.marks_count() == 5
    # At risk until the renewal, which goes to the board instead of renewing.
    run(set_today, "2025-05-02")
    assert [r["code"] for r in fresh(held).at_risk_reasons] == ["marks"]
    run(set_today, "2025-09-15")
    assert evaluations(held) == [("2025-09-15", EvaluationResult.UNDER_BOARD_REVIEW)]
    accreditation = fresh(held)
    assert accreditation.state == AccreditationState.UNDER_BOARD_REVIEW
    assert accreditation.next_evaluation_on is None
    assert run(set_today, "2026-03-15")["evaluated"] == []
    # The board renews it: held again (still at risk: the next renewal goes to the board too).
    set_today(d("2025-10-01"))
    services.accreditation_board_renew(
        by=manager, accreditation=accreditation, decided_on=d("2025-10-01"), director_approved=True
    )
    accreditation = fresh(held)
    assert accreditation.state == AccreditationState.AT_RISK
    assert accreditation.next_evaluation_on == d("2026-03-15")


def test_three_marks_still_renew(held, manager, set_today):
    set_today(d("2025-05-01"))
    for n in range(3):
        fault(manager, n, d("2025-05-01"))
    run(set_today, "2025-09-15")
    assert evaluations(held) == [("2025-09-15", EvaluationResult.RENEWED)]


def test_revoking_after_a_board_review_needs_the_director_approval(held, manager, set_today):
    Accreditation.objects.filter(pk=held.pk).update(
        state=AccreditationState.UNDER_BOARD_REVIEW, next_evaluation_on=None
    )
    with pytest.raises(DomainError) as error:
        services.accreditation_revoke(by=manager, accreditation=held, reason="Board decision")
    assert error.value.code == "director_approval_required"
    revoked = services.accreditation_revoke(
        by=manager, accreditation=held, reason="Board decision", director_approved=True
    )
    assert revoked.state == AccreditationState.REVOKED
    sentences = [describe(e) for e in timeline(held)]
    assert (
        "CRM Implementation (test): Under board review → Revoked (review board, director-level "
        "approval): Board decision"
    ) in sentences


# ---------------------------------------------------------------- the rest of the lifecycle


def test_applying_needs_the_prerequisites_and_one_live_accreditation_per_type(
    admin, manager, agent, kind, tiers, set_today
):
    with pytest.raises(DomainError) as error:
        services.accreditation_apply(by=manager, accreditation_type=kind)
    assert {e.code for e in error.value.all_errors()} == {
        "tier_below_minimum",
        "certifications_missing",
    }
    credit(admin, set_today, "2025-01-01", tiers["diamond"])  # above the minimum is fine
    services.certification_add(by=manager, employee=agent, name=CERT, issued_on=d("2024-01-01"))
    set_today(d("2025-03-01"))
    accreditation = services.accreditation_apply(by=manager, accreditation_type=kind)
    assert accreditation.state == AccreditationState.APPLYING
    with pytest.raises(DomainError) as error:
        services.accreditation_apply(by=manager, accreditation_type=kind)
    assert error.value.code == "accreditation_exists"
    with pytest.raises(DomainError) as error:
        services.accreditation_issue(
            by=manager, accreditation=accreditation, issued_on=d("2025-03-02")
        )
    assert error.value.code == "date_in_future"
    with pytest.raises(DomainError) as error:
        services.accreditation_issue(
            by=agent, accreditation=accreditation, issued_on=d("2025-03-01")
        )
    assert error.value.code == "forbidden"
    services.accreditation_issue(by=manager, accreditation=accreditation, issued_on=d("2025-03-01"))
    with pytest.raises(DomainError) as error:
        services.accreditation_issue(
            by=manager, accreditation=accreditation, issued_on=d("2025-03-01")
        )
    assert error.value.code == "invalid_state"
    lapsed = services.accreditation_lapse(
        by=manager, accreditation=accreditation, reason="Not renewed by HubSpot"
    )
    assert lapsed.state == AccreditationState.LAPSED
    assert services.accreditation_apply(by=manager, accreditation_type=kind).pk != lapsed.pk


def test_an_issue_date_entered_late_is_evaluated_from_the_next_day_of_its_series(
    held, manager, set_today
):
    set_today(d("2026-05-01"))
    services.accreditation_lapse(by=manager, accreditation=held, reason="Recorded twice")
    again = services.accreditation_apply(
        by=manager, accreditation_type=held.accreditation_type, applied_on=d("2024-09-01")
    )
    issued = services.accreditation_issue(
        by=manager, accreditation=again, issued_on=d("2024-09-15")
    )
    assert issued.next_evaluation_on == d("2026-09-15")  # not the past days of its series
    assert run(set_today, "2026-05-02")["evaluated"] == []


def test_the_catalogue_is_seeded_and_editable(admin, manager, tiers):
    seeded = dict(AccreditationType.objects.exclude(key="").values_list("key", "name"))
    assert seeded == {
        "crm-implementation": "CRM Implementation",
        "custom-integration": "Custom Integration",
        "onboarding": "Onboarding",
        "platform-enablement": "Platform Enablement",
    }
    assert {t.minimum_tier for t in AccreditationType.objects.all()} == {tiers["platinum"]}
    onboarding = AccreditationType.objects.get(key="onboarding")
    services.accreditation_type_update(
        by=admin,
        accreditation_type=onboarding,
        required_certifications=[("Platform Consulting", 3)],
        minimum_tier=tiers["diamond"],
    )
    onboarding.refresh_from_db()
    assert onboarding.required_certifications == [{"name": "Platform Consulting", "employees": 3}]
    for bad in ([("X", 0)], [("X", 1), ("x", 2)], [{"employees": 1}], "X"):
        with pytest.raises(DomainError):
            services.accreditation_type_update(
                by=admin, accreditation_type=onboarding, required_certifications=bad
            )
    with pytest.raises(DomainError) as error:
        services.accreditation_type_create(by=manager, name="Another")
    assert error.value.code == "forbidden"
    with pytest.raises(DomainError) as error:
        services.accreditation_type_create(by=admin, name="onboarding")
    assert error.value.code == "name_taken"


def test_the_settings_are_checked(admin, manager):
    settings = services.accreditation_settings_update(
        by=admin, grace_period_days=0, evaluation_alert_days=14, complaint_waiting_days=3
    )
    assert (settings.grace_period_days, settings.evaluation_alert_days) == (0, 14)
    assert ProgramSettings.load().complaint_waiting_days == 3
    for field, value in (("grace_period_days", -1), ("complaint_waiting_days", 0)):
        with pytest.raises(DomainError) as error:
            services.accreditation_settings_update(by=admin, **{field: value})
        assert error.value.field == field
    with pytest.raises(DomainError):
        services.accreditation_settings_update(by=manager, grace_period_days=10)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_several_schedulers_at_once_evaluate_a_due_day_once(held, set_today):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")
    set_today(d("2025-09-15"))
    workers = 6
    barrier = threading.Barrier(workers)
    evaluated: list = []
    errors: list = []

    def scheduler():
        try:
            barrier.wait()
            evaluated.extend(accreditation_jobs.run(on=d("2025-09-15"))["evaluated"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert evaluated == [(held.pk, "2025-09-15", EvaluationResult.RENEWED)]
    assert evaluations(held) == [("2025-09-15", EvaluationResult.RENEWED)]
