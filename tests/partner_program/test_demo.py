"""The partner program's demo: loaded once with ``demo_data``, and every partner page and
dashboard tab renders with it for the demo manager."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils.functional import empty

from partnerdesk.accounts.models import User
from partnerdesk.dashboard.models import HubSpotTeamMember, OwnerMode, RenewalOwner
from partnerdesk.partner_program import standing
from partnerdesk.partner_program.models import (
    Accreditation,
    ActivityMapping,
    Certification,
    Complaint,
    ComplaintStep,
    EmployeeConnection,
    HubSpotAccount,
    ManagingPartners,
    QualifyingActivity,
    Relationship,
    Subscription,
    SubscriptionChange,
    TierReview,
)
from partnerdesk.partner_program.services.common import today
from partnerdesk.portal import models as portal_models


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """The portal demo's attachments go to a fresh directory."""
    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path / "private"
    portal_models.private_storage._wrapped = empty
    yield
    portal_models.private_storage._wrapped = empty


MODELS = [
    HubSpotAccount,
    Subscription,
    SubscriptionChange,
    Relationship,
    ManagingPartners,
    EmployeeConnection,
    QualifyingActivity,
    Certification,
    TierReview,
    Accreditation,
    Complaint,
    ComplaintStep,
    ActivityMapping,
    HubSpotTeamMember,
    RenewalOwner,
]


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.mark.django_db
def test_demo_loads_the_partner_program_once_with_a_story_to_tell():
    call_command("demo_data", stdout=io.StringIO())
    first = counts()
    assert all(first.values()), first
    call_command("demo_data", stdout=io.StringIO())
    assert counts() == first

    day = today()
    # A tier today and at the next review, with something missing for the next one.
    now = standing.standing(day)
    assert now.tier is not None and now.credited_tier is not None
    assert now.forecast.tier is not None and now.forecast.missing is not None
    assert {s.currency for s in Subscription.objects.all()} <= {"USD", "EUR", "GBP"}
    assert HubSpotAccount.objects.filter(growth_market=True).count() >= 2
    renewals = [
        (s.renewal_date - day).days
        for s in Subscription.objects.filter(status="active", renewal_date__isnull=False)
    ]
    assert min(renewals) <= 45 and any(45 < d <= 120 for d in renewals) and max(renewals) <= 200
    changed = (
        SubscriptionChange.objects.filter(mrr__gt=0, effective_on__lt=day)
        .values("subscription")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert changed.count() >= 2  # MRR changes in the past months
    assert ManagingPartners.objects.filter(count=2).exists()
    assert EmployeeConnection.objects.filter(client_assigned=False).exists()
    assert Relationship.objects.filter(kind="managed", end_reason="lapsed").exists()
    # Last activities: one account in the lapse-alert zone, one lapsed.
    last = {
        a.pk: max(q.occurred_on for q in a.activities.all())
        for a in HubSpotAccount.objects.prefetch_related("activities")
    }
    gaps = sorted((day - d).days for d in last.values())
    assert any(45 < g <= 60 for g in gaps) and any(g > 60 for g in gaps)
    assert Certification.objects.filter(
        expires_on__gte=day, expires_on__lte=day + dt.timedelta(days=30)
    ).exists()
    assert TierReview.objects.filter(reviewed_on__month=6, tier__isnull=False).exists()
    accreditation = Accreditation.objects.get()
    assert accreditation.state == "active"
    assert 0 <= (accreditation.next_evaluation_on - day).days <= 30
    assert set(Complaint.objects.values_list("step", "status")) == {
        ("mediation", "open"),
        ("complaint", "resolved"),
    }
    assert ActivityMapping.objects.filter(task_category__isnull=False).exists()
    assert ActivityMapping.objects.filter(stage__isnull=False).exists()
    assert set(RenewalOwner.objects.values_list("mode", flat=True)) == {
        OwnerMode.PARTNER,
        OwnerMode.HUBSPOT,
    }
    hubspot = RenewalOwner.objects.get(mode=OwnerMode.HUBSPOT)
    assert hubspot.decision_maker.company_id == hubspot.account.company_id
    assert all(m.email.endswith("@example.com") for m in HubSpotTeamMember.objects.all())


@pytest.mark.django_db
def test_partner_pages_and_dashboard_tabs_render_with_the_demo(client):
    call_command("demo_data", stdout=io.StringIO())
    client.force_login(User.objects.get(email="manager@demo.partnerdesk.test"))
    account = HubSpotAccount.objects.get(company__domain="niledental.com")
    complaint = Complaint.objects.get(status="open")
    renewal = RenewalOwner.objects.get(mode=OwnerMode.PARTNER).account.subscriptions.filter(
        renewal_date__isnull=False
    )[0]
    pages = [
        reverse("partner_program:standing"),
        reverse("partner_program:points_history"),
        reverse("partner_program:account_list"),
        reverse("partner_program:account_detail", args=[account.pk]),
        reverse("partner_program:activity_list"),
        reverse("partner_program:certification_list"),
        reverse("partner_program:accreditation_list"),
        reverse("partner_program:accreditation_detail", args=[Accreditation.objects.get().pk]),
        reverse("partner_program:complaint_list"),
        reverse("partner_program:complaint_detail", args=[complaint.pk]),
        reverse("partner_program:mappings"),
        reverse("dashboard:alerts"),
        reverse("dashboard:clients"),
        reverse("dashboard:client_details", args=[account.pk]),
        reverse("dashboard:renewals"),
        reverse("dashboard:renewals_all"),
        reverse("dashboard:renewal_details", args=[renewal.pk]),
        reverse("dashboard:tier"),
        reverse("dashboard:team"),
    ]
    statuses = {url: client.get(url).status_code for url in pages}
    assert statuses == dict.fromkeys(pages, 200)
    # The demo's story shows: the account on the accounts list, the HubSpot team on its tab.
    assert account.name in client.get(reverse("partner_program:account_list")).text
    assert "Laura Becker" in client.get(reverse("dashboard:team")).text
