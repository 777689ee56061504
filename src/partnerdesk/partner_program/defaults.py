"""Default point rates, currency table, activity catalogue, tier table and accreditation
catalogue (PRODUCT.md part 5).

Each is installed once per stable key (``core.defaults``): a rate an admin changed, a tier an
admin renamed or an activity type an admin deleted stays that way after ``migrate``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from django.db import transaction

from partnerdesk.core.defaults import adopt_or_create, install_once

from .models import (
    AccreditationType,
    ActivityType,
    CurrencyRate,
    PointRate,
    ProgramSettings,
    Tier,
    Tool,
)

# The first day of the shipped tables: every date the program looks at has a version in force.
SINCE = dt.date(2000, 1, 1)

# Points per 100 USD of MRR (seed 003: 1,000 USD of managed MRR = 10 managed points).
RATES = {
    "sourced": Decimal(5),
    "assisted": Decimal(3),
    "managed": Decimal(1),
    "growth_multiplier": Decimal(2),
}

# The amount of each currency worth 100 USD.
CURRENCIES = {
    "USD": Decimal(100),
    "EUR": Decimal(88),
    "GBP": Decimal(74),
    "AUD": Decimal(154),
    "CAD": Decimal(130),
    "SGD": Decimal(129),
    "JPY": Decimal(14400),
    "ZAR": Decimal(1768),
}

# key, tool, name
ACTIVITY_TYPES = [
    ("marketing-blog-post", Tool.MARKETING, "Published a blog post"),
    ("marketing-email", Tool.MARKETING, "Sent a marketing email"),
    ("marketing-landing-page", Tool.MARKETING, "Published a landing page"),
    ("marketing-form", Tool.MARKETING, "Created a form"),
    ("marketing-campaign", Tool.MARKETING, "Created a campaign"),
    ("sales-sequence", Tool.SALES, "Created a sequence"),
    ("sales-pipeline", Tool.SALES, "Configured a deal pipeline"),
    ("sales-playbook", Tool.SALES, "Published a playbook"),
    ("service-ticket-pipeline", Tool.SERVICE, "Configured a ticket pipeline"),
    ("service-knowledge-article", Tool.SERVICE, "Published a knowledge base article"),
    ("service-feedback-survey", Tool.SERVICE, "Sent a feedback survey"),
    ("cms-website-page", Tool.CMS, "Published a website page"),
    ("cms-theme", Tool.CMS, "Edited a theme or template"),
    ("operations-workflow", Tool.OPERATIONS, "Created a workflow"),
    ("operations-report", Tool.OPERATIONS, "Built a report"),
    ("operations-data-sync", Tool.OPERATIONS, "Set up a data sync"),
    ("operations-import", Tool.OPERATIONS, "Imported records"),
    ("commerce-quote", Tool.COMMERCE, "Created a quote template"),
    ("commerce-payment-link", Tool.COMMERCE, "Created a payment link"),
]

TIER_NOTE = "Example thresholds: set the numbers HubSpot publishes for the current program year."
# key, name, total points, sold points, activities per period, certified employees
TIERS = [
    ("gold", "Gold", 100, 20, 0, 1),
    ("platinum", "Platinum", 600, 100, 10, 2),
    ("diamond", "Diamond", 2000, 400, 25, 4),
    ("elite", "Elite", 5500, 1500, 50, 8),
]

ACCREDITATION_NOTE = (
    "Example prerequisites: set the certifications HubSpot requires for this accreditation today."
)
# The tier an accreditation needs at least (seed 001: Platinum, Diamond or Elite).
ACCREDITATION_MINIMUM_TIER = "platinum"
# key, name, required certifications (name, current employees holding it)
ACCREDITATION_TYPES = [
    (
        "crm-implementation",
        "CRM Implementation",
        [("Sales Hub Implementation", 2), ("HubSpot Solutions Partner", 1)],
    ),
    (
        "custom-integration",
        "Custom Integration",
        [("Integrating With HubSpot I: Foundations", 2)],
    ),
    (
        "onboarding",
        "Onboarding",
        [("Marketing Hub Implementation", 2), ("Platform Consulting", 1)],
    ),
    ("platform-enablement", "Platform Enablement", [("Platform Consulting", 2)]),
]


def _install_rates() -> None:
    if not PointRate.objects.filter(effective_from=SINCE).exists():
        PointRate.objects.create(effective_from=SINCE, **RATES)


def _install_currency(code: str, amount: Decimal) -> None:
    CurrencyRate.objects.get_or_create(
        currency=code, effective_from=SINCE, defaults={"amount_per_100_usd": amount}
    )


@transaction.atomic
def install_partner_program_defaults() -> None:
    install_once("partner_program.rates.initial", _install_rates)
    for code, amount in CURRENCIES.items():
        install_once(
            f"partner_program.currency.{code.lower()}", partial(_install_currency, code, amount)
        )
    for order, (key, tool, name) in enumerate(ACTIVITY_TYPES):
        install_once(
            f"partner_program.activity_type.{key}",
            partial(
                adopt_or_create,
                ActivityType,
                key=key,
                match={"tool": tool, "name__iexact": name},
                values={"tool": tool, "name": name, "order": order},
            ),
        )
    for order, (key, name, total, sold, activities, certified) in enumerate(TIERS, start=1):
        install_once(
            f"partner_program.tier.{key}",
            partial(
                adopt_or_create,
                Tier,
                key=key,
                match={"name__iexact": name},
                values={
                    "name": name,
                    "order": order,
                    "min_total_points": total,
                    "min_sold_points": sold,
                    "min_activities": activities,
                    "min_certified_employees": certified,
                    "note": TIER_NOTE,
                },
            ),
        )
    install_once("partner_program.settings", ProgramSettings.load)
    minimum = Tier.objects.filter(key=ACCREDITATION_MINIMUM_TIER).first()
    for order, (key, name, required) in enumerate(ACCREDITATION_TYPES, start=1):
        install_once(
            f"partner_program.accreditation_type.{key}",
            partial(
                adopt_or_create,
                AccreditationType,
                key=key,
                match={"name__iexact": name},
                values={
                    "name": name,
                    "order": order,
                    "description": ACCREDITATION_NOTE,
                    "required_certifications": [
                        {"name": cert, "employees": count} for cert, count in required
                    ],
                    "minimum_tier": minimum,
                },
            ),
        )


def install_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        install_partner_program_defaults()
