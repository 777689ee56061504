"""The partner program's rows of the query-budget World (tests/budgets/world.py): a focus HubSpot
account whose page is measured, and per unit a row more in every list of the program (accounts,
activities, certifications, rates, currencies, the catalogue, mappings, tiers) and in the focus
account's subscriptions, relationships and employee connections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from partnerdesk.accounts.models import User
from partnerdesk.partner_program import services
from partnerdesk.partner_program.models import ActivityType, RelationshipKind, Tool

OPENED = dt.date(2019, 1, 1)
PAST = dt.date(2001, 1, 1)


def setup(world) -> None:
    admin = world.admin
    world.pp_account = services.account_create(
        by=admin, company=world.company, hub_id="980001", name="Focus portal", opened_on=OPENED
    )
    services.subscription_create(
        by=admin,
        account=world.pp_account,
        product="Focus Hub Enterprise",
        mrr="1000",
        currency="EUR",
        start_date=dt.date(2023, 1, 1),
    )
    services.relationship_add(
        by=admin, account=world.pp_account, kind=RelationshipKind.MANAGED, started_on=OPENED
    )
    world.pp_certification = services.certification_add(
        by=admin, employee=world.agent, name="Focus certification", issued_on=dt.date(2024, 1, 1)
    )
    world.pp_activity_type = ActivityType.objects.get(key="operations-workflow")
    world.pp_tier = services.tier_create(by=admin, name="Focus tier", order=99)


def unit(world, i: int) -> None:
    admin = world.admin
    employee = User.objects.get(email=f"agent{i:03}@agency.test")
    company = world.company.__class__.objects.get(name=f"Company {i:03}")
    account = services.account_create(
        by=admin,
        company=company,
        hub_id=f"99{i:04}",
        name=f"Portal {i:03}",
        opened_on=OPENED,
        growth_market=bool(i % 2),
    )
    services.subscription_create(
        by=admin,
        account=account,
        product=f"Sales Hub {i:03}",
        mrr=str(100 + i),
        currency="GBP" if i % 2 else "USD",
        start_date=dt.date(2023, 1, 1),
    )
    services.relationship_add(
        by=admin, account=account, kind=RelationshipKind.SOURCED, started_on=OPENED
    )
    services.connection_confirm(
        by=admin,
        account=account,
        employee=employee,
        in_partner_account=True,
        client_assigned=True,
        in_client_account=True,
    )
    services.activity_record(
        by=admin,
        account=account,
        employee=employee,
        activity_type=world.pp_activity_type,
        occurred_on=dt.date(2024, 6, 1) + dt.timedelta(days=i),
        note=f"Act note {i:03}",
    )
    services.certification_add(
        by=admin,
        employee=employee,
        name=f"Cert {i:03}",
        issued_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2031, 1, 1),
    )
    # the focus account: a subscription, a past assisted period and a connection more
    focus = world.pp_account
    services.subscription_create(
        by=admin,
        account=focus,
        product=f"Hub {i:03}",
        mrr="50",
        currency="USD",
        start_date=dt.date(2023, 2, 1),
    )
    start = OPENED + dt.timedelta(days=10 * i)
    services.relationship_add(
        by=admin,
        account=focus,
        kind=RelationshipKind.ASSISTED,
        started_on=start,
        ended_on=start + dt.timedelta(days=5),
    )
    services.managing_partners_set(
        by=admin, account=focus, count=1 + i % 3, effective_from=OPENED + dt.timedelta(days=i)
    )
    services.connection_confirm(
        by=admin,
        account=focus,
        employee=employee,
        in_partner_account=True,
        client_assigned=bool(i % 2),
        in_client_account=True,
    )
    # configuration: a past version of the rates and of EUR, a catalogue entry mapped to the
    # client tasks' category, a tier
    day = PAST + dt.timedelta(days=i)
    services.rates_set(
        by=admin,
        effective_from=day,
        sourced=Decimal(5),
        assisted=Decimal(3),
        managed=Decimal(1),
        growth_multiplier=Decimal(2),
        correct_past=True,
    )
    services.currency_rate_set(
        by=admin, currency="EUR", amount_per_100_usd="90", effective_from=day, correct_past=True
    )
    activity_type = services.activity_type_create(
        by=admin, tool=Tool.MARKETING, name=f"Catalogue {i:03}"
    )
    services.mapping_add(by=admin, activity_type=activity_type, task_category=world.category)
    tier = services.tier_create(
        by=admin, name=f"Tier {i:03}", order=100 + i, min_total_points=10**6
    )
    services.tier_review_record(by=admin, reviewed_on=dt.date(2000 + i, 1, 1), tier=tier)
