"""The partner dashboard's rows of the query-budget World (tests/budgets/world.py): per unit a
subscription renewing soon (on the unit's client account, so the clients and both renewal lists
grow), a recorded decision on every other one, and a certification expiring within the alert
window (an alert more)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from partnerdesk.accounts.models import User
from partnerdesk.dashboard import services
from partnerdesk.dashboard.models import RenewalStatus, TeamRole
from partnerdesk.partner_program import services as pp_services
from partnerdesk.partner_program.models import HubSpotAccount


def setup(world) -> None:
    services.team_member_save(
        by=world.admin,
        role=TeamRole.CHANNEL_ACCOUNT_MANAGER,
        name="Sam Lee",
        email="sam@hubspot.test",
    )


def unit(world, i: int) -> None:
    admin = world.admin
    today = timezone.localdate()
    account = HubSpotAccount.objects.get(hub_id=f"99{i:04}")
    subscription = pp_services.subscription_create(
        by=admin,
        account=account,
        product=f"Renewing {i:03}",
        mrr=str(200 + i),
        currency="USD",
        start_date=dt.date(2023, 1, 1),
        renewal_date=today + dt.timedelta(days=10 + i),
        seats=10,
        seats_used=i % 10,
    )
    if i % 2:
        services.renewal_update(by=admin, subscription=subscription, status=RenewalStatus.CONFIRMED)
    pp_services.certification_add(
        by=admin,
        employee=User.objects.get(email=f"agent{i:03}@agency.test"),
        name=f"Expiring cert {i:03}",
        issued_on=dt.date(2024, 1, 1),
        expires_on=today + dt.timedelta(days=5),
    )
