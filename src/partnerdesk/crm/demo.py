"""A believable agency for the demo: users of every role, ~20 clients, deals in every pipeline."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from partnerdesk.accounts.defaults import EMAIL_PROVISIONING, SUPPORT, TEAMS, WEBSITE, default_team
from partnerdesk.accounts.models import ClientRole, Role, Team, User

from . import services
from .models import Company, Pipeline, Product, StageKind

DEMO_PASSWORD = "partnerdesk-demo"  # noqa: S105 (demo data only)

STAFF = [
    ("admin@demo.partnerdesk.test", "Amira Haddad", Role.ADMIN),
    ("manager@demo.partnerdesk.test", "Marco Rossi", Role.MANAGER),
    ("agent@demo.partnerdesk.test", "Omar Adam", Role.AGENT),
    ("mahinaz@demo.partnerdesk.test", "Mahinaz Fathy", Role.AGENT),
    ("web@demo.partnerdesk.test", "Giulia Bianchi", Role.AGENT),
]

COMPANIES = [
    ("Nile Dental Clinics", "niledental.com", "EG", "Africa/Cairo", "Healthcare"),
    ("Trattoria Da Luca", "trattoriadaluca.it", "IT", "Europe/Rome", "Hospitality"),
    ("Cairo Real Estate Group", "cairorealestate.com", "EG", "Africa/Cairo", "Real estate"),
    ("Milano Fashion Lab", "milanofashionlab.it", "IT", "Europe/Rome", "Retail"),
    ("Desert Rose Hotels", "desertrosehotels.com", "EG", "Africa/Cairo", "Hospitality"),
    ("Alexandria Language School", "alexlang.edu.eg", "EG", "Africa/Cairo", "Education"),
    ("Torino Robotics", "torinorobotics.it", "IT", "Europe/Rome", "Manufacturing"),
    ("Giza Pharma Supplies", "gizapharma.com", "EG", "Africa/Cairo", "Healthcare"),
    ("Bologna Bikes", "bolognabikes.it", "IT", "Europe/Rome", "Retail"),
    ("Red Sea Diving Center", "redseadiving.com", "EG", "Africa/Cairo", "Hospitality"),
    ("Napoli Pizza Co", "napolipizza.co", "IT", "Europe/Rome", "Hospitality"),
    ("Luxor Software House", "luxorsoft.io", "EG", "Africa/Cairo", "Software"),
    ("Firenze Art Prints", "firenzeartprints.it", "IT", "Europe/Rome", "Retail"),
    ("Aswan Eco Lodge", "aswanecolodge.com", "EG", "Africa/Cairo", "Hospitality"),
    ("Verona Wine Cellars", "veronawine.it", "IT", "Europe/Rome", "Retail"),
    ("Delta Logistics", "deltalogistics.com", "EG", "Africa/Cairo", "Manufacturing"),
    ("Roma Legal Partners", "romalegal.it", "IT", "Europe/Rome", "Software"),
    ("Sinai Solar", "sinaisolar.com", "EG", "Africa/Cairo", "Manufacturing"),
    ("Genova Yacht Services", "genovayachts.it", "IT", "Europe/Rome", "Hospitality"),
    ("Mansoura Kids Academy", "mansourakids.com", "EG", "Africa/Cairo", "Education"),
]

FIRST = [
    "Sara",
    "Ahmed",
    "Laura",
    "Youssef",
    "Francesca",
    "Karim",
    "Elena",
    "Mona",
    "Paolo",
    "Nour",
    "Chiara",
    "Tarek",
]
LAST = [
    "Hassan",
    "Ferrari",
    "Mostafa",
    "Romano",
    "Ibrahim",
    "Colombo",
    "Saleh",
    "Ricci",
    "Kamel",
    "Greco",
]
TITLES = ["CEO", "Marketing Manager", "Office Manager", "IT Lead", "Founder", "Sales Director"]


def _team(key: str) -> Team:
    """The default team ``key``, by key; a new one of its default name if an admin deleted it."""
    return default_team(key) or Team.objects.get_or_create(name=TEAMS[key])[0]


@transaction.atomic
def load() -> bool:
    """Load the demo once; returns False when data is already there."""
    if User.objects.filter(email=STAFF[0][0]).exists():
        return False
    rng = random.Random(20261122)  # noqa: S311
    staff = {}
    for email, name, role in STAFF:
        staff[email] = User.objects.create_user(
            email, DEMO_PASSWORD, full_name=name, role=role, timezone="Africa/Cairo"
        )
    admin = staff["admin@demo.partnerdesk.test"]
    support = _team(SUPPORT)
    support.lead = staff["agent@demo.partnerdesk.test"]
    support.save(update_fields=["lead"])
    provisioning = _team(EMAIL_PROVISIONING)
    provisioning.members.set([staff["mahinaz@demo.partnerdesk.test"]])
    support.members.set(
        [staff["agent@demo.partnerdesk.test"], staff["mahinaz@demo.partnerdesk.test"]]
    )
    website = _team(WEBSITE)
    website.members.set([staff["web@demo.partnerdesk.test"]])
    agents = [u for u in staff.values() if u.role != Role.ADMIN]

    companies = []
    for index, (name, domain, country, tz, industry) in enumerate(COMPANIES):
        company = services.company_create(
            by=admin,
            name=name,
            domain=domain,
            country=country,
            timezone=tz,
            hub_id=str(24100000 + index * 37),
            owner=rng.choice(agents),
            lifecycle="prospect" if index % 9 == 8 else "client",
            properties={
                "industry": industry,
                "employees": rng.randint(3, 400),
                "website": f"https://www.{domain}",
            },
        )
        companies.append(company)
        for n in range(rng.randint(2, 4)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            services.contact_create(
                by=admin,
                company=company,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}{n}@{domain}",
                job_title=rng.choice(TITLES),
                phone=f"+{'20' if country == 'EG' else '39'} {rng.randint(100, 999)} {rng.randint(1000000, 9999999)}",
                properties={"decision_maker": "Yes" if n == 0 else "No"},
            )

    products = {p.key: p for p in Product.objects.exclude(key="")}  # a default's key: its SKU
    pipelines = {
        p.key: p
        for p in Pipeline.objects.filter(object_type="deal")
        .exclude(key="")
        .prefetch_related("stages")
    }
    plans = [
        (
            "email-subscription",
            "email-10gb",
            lambda c: {
                "domain_name": c.domain,
                "number_of_licences": 5,
                "purchased_mailbox_names": f"info@{c.domain}, sales@{c.domain}",
            },
        ),
        ("website-creation", "website-starter", lambda c: {"website_domain": c.domain}),
        ("website-annual-renewal", "website-renewal", lambda c: {"website_domain": c.domain}),
        ("domain-services", "domain-connect", lambda c: {"domain_name": c.domain}),
        ("hubspot-services", "hubspot-admin-duo", lambda c: {}),
    ]
    today = timezone.localdate()
    for index, company in enumerate(companies):
        contact = company.contacts.first()
        for offset in range(2 + index % 2):
            pipeline_key, sku, properties = plans[(index + offset) % len(plans)]
            pipeline = pipelines[pipeline_key]
            stages = list(pipeline.stages.all())
            product = products[sku]
            quantity = 5 if sku.startswith("email") else 1
            deal = services.deal_create(
                by=company.owner,
                name=f"{company.name} — {pipeline.name}",
                pipeline=pipeline,
                owner=company.owner,
                company=company,
                contacts=[contact],
                amount=product.unit_price * quantity,
                currency="USD",
                close_date=today + dt.timedelta(days=rng.randint(-60, 60)),
                properties=properties(company),
                line_items=[{"product": product, "quantity": quantity}],
            )
            target = stages[(index * 3 + offset) % len(stages)]
            if target.kind == StageKind.WON and index % 5 == 0:
                target = stages[1]
            for stage in (
                stages[1 : stages.index(target) + 1] if target.kind == StageKind.OPEN else [target]
            ):
                services.deal_move(deal=deal, stage=stage, by=company.owner)
    # One Email Subscription deal left open without its won-stage properties, to show the rule.
    services.deal_create(
        by=staff["manager@demo.partnerdesk.test"],
        name="Nile Dental Clinics — extra mailboxes",
        pipeline=pipelines["email-subscription"],
        owner=staff["manager@demo.partnerdesk.test"],
        company=companies[0],
        amount=Decimal("35.00"),
    )

    client_a, client_b = companies[0], companies[1]
    User.objects.create_user(
        "client@niledental.com",
        DEMO_PASSWORD,
        full_name="Sara Hassan",
        role=Role.CLIENT,
        company=client_a,
        client_role=ClientRole.ADMIN,
        timezone="Africa/Cairo",
    )
    User.objects.create_user(
        "member@niledental.com",
        DEMO_PASSWORD,
        full_name="Ahmed Mostafa",
        role=Role.CLIENT,
        company=client_a,
        client_role=ClientRole.MEMBER,
        timezone="Africa/Cairo",
    )
    User.objects.create_user(
        "client@trattoriadaluca.it",
        DEMO_PASSWORD,
        full_name="Luca Romano",
        role=Role.CLIENT,
        company=client_b,
        client_role=ClientRole.ADMIN,
        language="it",
        timezone="Europe/Rome",
    )
    return True


def logins() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [(str(role), email) for email, _name, role in STAFF[:3]]
    rows.append(("client admin (Nile Dental Clinics)", "client@niledental.com"))
    rows.append(("client member (Nile Dental Clinics)", "member@niledental.com"))
    rows.append(("client admin (Trattoria Da Luca, in Italian)", "client@trattoriadaluca.it"))
    return rows


def company_count() -> int:
    return Company.objects.count()
