"""Demo partner program: HubSpot accounts for most client companies with subscriptions (MRR
history, seats, renewals spread over the next 200 days), sourced/assisted/managed
relationships, employee connections, eight months of qualifying activities, certifications,
the tier reviews, an accreditation due for evaluation, two complaints, activity mappings and
the partner dashboard's HubSpot team and renewal owners.

The figures are chosen so the standing page has something to say: the live figures meet
Platinum (the tier credited at the June review) and fall short of Diamond (points, activities,
certified employees), one managed relationship is about to lapse (last activity 50 days ago),
one has lapsed, one account earns no managed credit (its only connection is incomplete) and one
certification expires within 30 days.

Everything goes through the services, as a manager or admin would enter it, with the dates
they take; the timeline entries a service stamps with "now" are moved back to the day the
thing happened. Loaded once: later runs leave the data alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from partnerdesk.accounts.models import Role, User
from partnerdesk.core import clock
from partnerdesk.core.models import Event
from partnerdesk.crm.models import Company, Contact, Stage
from partnerdesk.dashboard import services as dashboard
from partnerdesk.dashboard.models import OwnerMode, RenewalStatus, TeamRole
from partnerdesk.portal.models import TaskCategory

from . import services
from .accreditation_rules import add_months
from .models import (
    AccreditationType,
    ActivityType,
    ComplaintSource,
    HubSpotAccount,
    Tier,
)
from .services.common import today as program_today

ADMIN = "admin@demo.partnerdesk.test"
MANAGER = "manager@demo.partnerdesk.test"
AGENT = "agent@demo.partnerdesk.test"
MAHINAZ = "mahinaz@demo.partnerdesk.test"
WEB = "web@demo.partnerdesk.test"

NILE = "niledental.com"

# Products and editions, with the activity types that fit each tool.
MKT_PRO, MKT_ENT = "Marketing Hub Professional", "Marketing Hub Enterprise"
SALES_PRO, SALES_ENT = "Sales Hub Professional", "Sales Hub Enterprise"
SERVICE_PRO, SERVICE_ENT = "Service Hub Professional", "Service Hub Enterprise"
ACTIVITIES_BY_HUB = {
    "Marketing": [
        "marketing-email",
        "marketing-landing-page",
        "marketing-blog-post",
        "marketing-form",
        "marketing-campaign",
    ],
    "Sales": ["sales-sequence", "sales-pipeline", "sales-playbook"],
    "Service": ["service-knowledge-article", "service-ticket-pipeline", "service-feedback-survey"],
}
SHARED_ACTIVITIES = ["operations-workflow", "operations-report"]

# One client's account. Days are counted back from today ("ago") or ahead ("renews in").
# subscriptions: product, MRR at the start, seats, seats used, renews in (days; None: the
# subscription ended), (days ago, new MRR) of an MRR change or None.
# relationships: kind, started (days ago), ended (days ago) or None.
# activities: days ago (each by the next employee in ``employees``).
ACCOUNTS: list[dict[str, Any]] = [
    {
        "domain": NILE,
        "currency": "USD",
        "growth": True,
        "opened": 900,
        "subscriptions": [
            (MKT_PRO, "890", 3, 3, 24, None),
            (SALES_PRO, "360", 4, 4, 140, (80, "450")),  # a fifth seat in the autumn
        ],
        "seats_after_change": {SALES_PRO: (5, 4)},
        "relationships": [("sourced", 900, None)],
        "employees": [AGENT, MAHINAZ, MANAGER],
        "activities": [230, 200, 170, 140, 110, 80, 45, 9],
    },
    {
        "domain": "trattoriadaluca.it",
        "currency": "EUR",
        "opened": 700,
        "subscriptions": [(MKT_PRO, "800", 3, 2, 66, None)],
        "relationships": [("assisted", 300, None)],
        "employees": [MAHINAZ, AGENT],
        "activities": [180, 120, 62, 21],
    },
    {
        "domain": "cairorealestate.com",
        "currency": "USD",
        "growth": True,
        "opened": 1100,
        "subscriptions": [
            (SALES_ENT, "1500", 10, 9, 38, None),
            (SERVICE_PRO, "450", 5, 3, 185, None),
        ],
        "relationships": [("sourced", 1100, None)],
        "employees": [AGENT, MANAGER],
        "activities": [220, 160, 100, 44, 15],
    },
    {
        # Managed together with another partner (the managed MRR is split in two).
        "domain": "milanofashionlab.it",
        "currency": "EUR",
        "opened": 600,
        "subscriptions": [(MKT_ENT, "3300", 5, 5, 95, None)],
        "relationships": [],
        "managing_partners": (2, 120),
        "employees": [WEB, AGENT],
        "activities": [150, 95, 35, 6],
    },
    {
        # The lapse alert: the last qualifying activity was 50 days ago.
        "domain": "desertrosehotels.com",
        "currency": "USD",
        "opened": 800,
        "subscriptions": [
            (MKT_PRO, "890", 3, 3, 52, None),
            (SERVICE_PRO, "270", 3, 1, 110, None),
        ],
        "relationships": [("assisted", 250, None)],
        "employees": [MAHINAZ, AGENT],
        "activities": [210, 140, 95, 50],
    },
    {
        # Lapsed: no qualifying activity for 75 days, the managed relationship ended.
        "domain": "alexlang.edu.eg",
        "currency": "USD",
        "opened": 500,
        "subscriptions": [(MKT_PRO, "800", 3, 2, 125, None)],
        "relationships": [],
        "employees": [AGENT, WEB],
        "activities": [235, 190, 130, 75],
    },
    {
        "domain": "torinorobotics.it",
        "currency": "EUR",
        "opened": 420,
        "subscriptions": [(SALES_ENT, "1050", 7, 7, 10, (40, "1350"))],
        "seats_after_change": {SALES_ENT: (9, 8)},
        "relationships": [("sourced", 330, None)],
        "employees": [AGENT, MANAGER],
        "activities": [140, 70, 27],
    },
    {
        # Billed in pounds; the agent's connection lacks the client assignment, so the account
        # earns no managed credit until it is fixed in HubSpot.
        "domain": "redseadiving.com",
        "currency": "GBP",
        "opened": 650,
        "subscriptions": [(MKT_PRO, "700", 3, 1, 155, None)],
        "relationships": [],
        "employees": [AGENT],
        "activities": [100, 40, 12],
    },
    {
        "domain": "napolipizza.co",
        "currency": "EUR",
        "opened": 400,
        "subscriptions": [(SERVICE_PRO, "360", 4, 4, 33, None)],
        "relationships": [("assisted", 180, None)],
        "employees": [MAHINAZ],
        "activities": [160, 65, 18],
    },
    {
        # Moved from Service Hub Professional to Enterprise two months ago; the sourced credit
        # ran for a year.
        "domain": "luxorsoft.io",
        "currency": "USD",
        "opened": 1000,
        "subscriptions": [(SALES_PRO, "900", 10, 8, 80, None)],
        "upgrade": (SERVICE_PRO, "450", SERVICE_ENT, "1200", 60, 170, 10, 7),
        "relationships": [("sourced", 425, 60)],
        "employees": [AGENT, WEB],
        "activities": [200, 120, 55, 3],
    },
    {
        "domain": "firenzeartprints.it",
        "currency": "EUR",
        "opened": 300,
        "subscriptions": [(MKT_PRO, "800", 3, 3, 195, None)],
        "relationships": [],
        "employees": [WEB],
        "activities": [95, 33],
    },
    {
        "domain": "veronawine.it",
        "currency": "EUR",
        "opened": 450,
        "subscriptions": [(MKT_ENT, "3300", 5, 4, 170, None)],
        "relationships": [("sourced", 200, None)],
        "employees": [MAHINAZ, WEB],
        "activities": [120, 58, 11],
    },
]

# name, issued (days ago), expires in (days; negative: expired)
CERTIFICATIONS = {
    MANAGER: [("Platform Consulting", 400, 330), ("HubSpot Solutions Partner", 200, 530)],
    AGENT: [("Platform Consulting", 300, 430), ("Sales Hub Implementation", 500, 230)],
    MAHINAZ: [("Inbound Marketing", 700, 21)],  # the expiry alert
    WEB: [("Content Marketing", 770, -40)],
}

TEAM = [
    (
        TeamRole.CHANNEL_ACCOUNT_MANAGER,
        "Laura Becker",
        "laura.becker@example.com",
        "Tier reviews, the growth plan and co-selling with HubSpot's sales team.",
    ),
    (
        TeamRole.CHANNEL_CONSULTANT,
        "Daniel Okafor",
        "daniel.okafor@example.com",
        "Accreditations, certifications and help with complex implementations.",
    ),
]


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _on[T](day: dt.date, call: Callable[..., T], **kwargs: Any) -> T:
    """Call a service, then date the timeline entries it recorded on ``day`` (the services
    stamp them "now")."""
    last = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    result = call(**kwargs)
    Event.objects.filter(pk__gt=last).update(occurred_at=min(_noon(day), clock.now()))
    return result


class _Loader:
    def __init__(self, users: dict[str, User]):
        self.users = users
        self.admin, self.manager = users[ADMIN], users[MANAGER]
        self.today = program_today()
        self.types = {t.key: t for t in ActivityType.objects.exclude(key="")}

    def ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    def ahead(self, days: int) -> dt.date:
        return self.today + dt.timedelta(days=days)

    # ------------------------------------------------------------ accounts

    def account(self, spec: dict[str, Any], company: Company) -> HubSpotAccount:
        opened = self.ago(spec["opened"])
        account = _on(
            opened,
            services.account_create,
            by=self.manager,
            company=company,
            hub_id=company.hub_id if company.hub_id.isdigit() else str(4400000 + company.pk),
            name=company.name,
            opened_on=opened,
            growth_market=spec.get("growth", False),
        )
        for product, mrr, seats, used, renews_in, change in spec["subscriptions"]:
            self.subscription(account, spec, product, mrr, seats, used, renews_in, change)
        if "upgrade" in spec:
            old, old_mrr, new, new_mrr, days_ago, renews_in, seats, used = spec["upgrade"]
            previous = self.subscription(account, spec, old, old_mrr, seats, used, None, None)
            previous = _on(
                self.ago(days_ago),
                services.subscription_end,
                by=self.manager,
                subscription=previous,
                ended_on=self.ago(days_ago),
            )
            _on(
                self.ago(days_ago),
                services.subscription_create,
                by=self.manager,
                account=account,
                product=new,
                mrr=new_mrr,
                currency=spec["currency"],
                start_date=self.ago(days_ago),
                renewal_date=self.ahead(renews_in),
                seats=seats,
                seats_used=used,
            )
        for kind, started, ended in spec["relationships"]:
            start = max(self.ago(started), opened)
            _on(
                start,
                services.relationship_add,
                by=self.manager,
                account=account,
                kind=kind,
                started_on=start,
                ended_on=self.ago(ended) if ended is not None else None,
            )
        if "managing_partners" in spec:
            count, since = spec["managing_partners"]
            _on(
                self.ago(since),
                services.managing_partners_set,
                by=self.manager,
                account=account,
                count=count,
                effective_from=self.ago(since),
            )
        return account

    def subscription(self, account, spec, product, mrr, seats, used, renews_in, change):
        # Yearly terms: it started a year before its renewal (two for the old ones).
        if renews_in is None:
            start = self.ago(spec["opened"] // 2)
        else:
            start = max(self.ahead(renews_in) - dt.timedelta(days=365), account.opened_on)
        subscription = _on(
            start,
            services.subscription_create,
            by=self.manager,
            account=account,
            product=product,
            mrr=Decimal(mrr),
            currency=spec["currency"],
            start_date=start,
            renewal_date=self.ahead(renews_in) if renews_in is not None else None,
            seats=seats,
            seats_used=used,
        )
        if change is not None:
            days_ago, new_mrr = change
            _on(
                self.ago(days_ago),
                services.subscription_change_mrr,
                by=self.manager,
                subscription=subscription,
                mrr=Decimal(new_mrr),
                effective_on=self.ago(days_ago),
            )
            seats_now, used_now = spec.get("seats_after_change", {}).get(product, (seats, used))
            _on(
                self.ago(days_ago),
                services.subscription_update,
                by=self.manager,
                subscription=subscription,
                seats=seats_now,
                seats_used=used_now,
            )
        if renews_in is not None:
            # HubSpot's last report of the client using the product (a few days ago).
            services.subscription_update(
                by=self.manager,
                subscription=subscription,
                last_activity_at=clock.now() - dt.timedelta(days=1 + subscription.pk % 6),
            )
        return subscription

    def connections(self, accounts: dict[str, HubSpotAccount]) -> None:
        """The agent is connected to every account (on the Red Sea one the client is not yet
        assigned to him); the manager to three, Mahinaz to one."""
        for domain, account in accounts.items():
            services.connection_confirm(
                by=self.manager,
                account=account,
                employee=self.users[AGENT],
                in_partner_account=True,
                client_assigned=domain != "redseadiving.com",
                in_client_account=True,
            )
        for email, domains in [
            (MANAGER, [NILE, "cairorealestate.com", "milanofashionlab.it"]),
            (MAHINAZ, ["desertrosehotels.com"]),
        ]:
            for domain in domains:
                if domain in accounts:
                    services.connection_confirm(
                        by=self.manager,
                        account=accounts[domain],
                        employee=self.users[email],
                        in_partner_account=True,
                        client_assigned=True,
                        in_client_account=True,
                    )

    def activities(self, specs: list[tuple[dict[str, Any], HubSpotAccount]]) -> None:
        """Every account's activities, oldest first across the agency (as they were entered),
        each by its own employee (an agent records their own)."""
        rows = []
        for spec, account in specs:
            hubs = {p.split()[0] for p, *_rest in spec["subscriptions"]}
            choices = [k for hub in sorted(hubs) for k in ACTIVITIES_BY_HUB.get(hub, [])]
            choices += SHARED_ACTIVITIES
            for index, days in enumerate(spec["activities"]):
                employee = self.users[spec["employees"][index % len(spec["employees"])]]
                key = choices[(index * 3 + account.pk) % len(choices)]
                rows.append((days, account, employee, self.types[key]))
        for days, account, employee, activity_type in sorted(rows, key=lambda r: -r[0]):
            by = employee if employee.role == Role.AGENT else self.manager
            _on(
                self.ago(days),
                services.activity_record,
                by=by,
                account=account,
                employee=employee,
                activity_type=activity_type,
                occurred_on=self.ago(days),
                note=f"{activity_type.name} for {account.name}.",
            )

    # ------------------------------------------------------------ program

    def certifications(self) -> None:
        for email, rows in CERTIFICATIONS.items():
            for name, issued, expires_in in rows:
                _on(
                    self.ago(issued),
                    services.certification_add,
                    by=self.manager,
                    employee=self.users[email],
                    name=name,
                    issued_on=self.ago(issued),
                    expires_on=self.ahead(expires_in),
                    academy_url="https://academy.hubspot.com/certification-overview",
                )

    def reviews(self) -> None:
        """January credited Gold, June Platinum (the last review before today)."""
        year = (
            self.today.year if self.today >= dt.date(self.today.year, 6, 1) else self.today.year - 1
        )
        tiers = {t.key: t for t in Tier.objects.exclude(key="")}
        for day, key in [(dt.date(year, 1, 1), "gold"), (dt.date(year, 6, 1), "platinum")]:
            if key in tiers:
                _on(
                    day,
                    services.tier_review_record,
                    by=self.admin,
                    reviewed_on=day,
                    tier=tiers[key],
                )

    def accreditation(self) -> None:
        """Platform Enablement, issued a little under six months ago: its first evaluation is
        due within the alert window."""
        kind = AccreditationType.objects.filter(key="platform-enablement").first()
        if kind is None:
            return
        issued = add_months(self.today, -6) + dt.timedelta(days=18)
        applied = issued - dt.timedelta(days=21)
        accreditation = _on(
            applied,
            services.accreditation_apply,
            by=self.manager,
            accreditation_type=kind,
            applied_on=applied,
        )
        _on(
            issued,
            services.accreditation_issue,
            by=self.manager,
            accreditation=accreditation,
            issued_on=issued,
        )

    def complaints(self, companies: dict[str, Company]) -> None:
        """One at the mediation step, waiting on the agency; one resolved at the first step."""
        napoli = companies.get("napolipizza.co")
        opened = self.ago(26)
        complaint = _on(
            opened,
            services.complaint_open,
            by=self.manager,
            summary="The new booking workflow sent every customer two confirmation emails "
            "for a week; the client asks for a credit.",
            source=ComplaintSource.CUSTOMER,
            company=napoli,
            owner=self.manager,
            opened_on=opened,
            notes="Workflow fixed the same day; the client was not satisfied with the answer.",
        )
        _on(
            self.ago(12),
            services.complaint_advance,
            by=self.manager,
            complaint=complaint,
            owner=self.manager,
            reason="HubSpot CS proposed a mediation call with the client.",
            on=self.ago(12),
        )
        trattoria = companies.get("trattoriadaluca.it")
        resolved = _on(
            self.ago(120),
            services.complaint_open,
            by=self.manager,
            summary="A landing page went live with last season's menu prices.",
            source=ComplaintSource.HUBSPOT_CS,
            company=trattoria,
            owner=self.users[MAHINAZ],
            opened_on=self.ago(120),
        )
        _on(
            self.ago(104),
            services.complaint_resolve,
            by=self.manager,
            complaint=resolved,
            notes="Prices corrected and a review step added before publishing.",
            on=self.ago(104),
        )

    def mappings(self) -> None:
        """Completed workflow and report tasks, and a connected domain, record activities."""
        categories = {c.key: c for c in TaskCategory.objects.exclude(key="")}
        for category, activity in [
            ("workflows-automation", "operations-workflow"),
            ("reports-dashboards", "operations-report"),
        ]:
            if category in categories and activity in self.types:
                services.mapping_add(
                    by=self.admin,
                    activity_type=self.types[activity],
                    task_category=categories[category],
                )
        stage = Stage.objects.filter(
            pipeline__object_type="ticket",
            pipeline__key="domain-related-requests",
            key="domain-connected",
        ).first()
        if stage is not None and "cms-website-page" in self.types:
            services.mapping_add(
                by=self.admin, activity_type=self.types["cms-website-page"], stage=stage
            )

    # ------------------------------------------------------------ dashboard

    def dashboard(self, accounts: dict[str, HubSpotAccount]) -> None:
        for role, name, email, description in TEAM:
            dashboard.team_member_save(
                by=self.admin, role=role, name=name, email=email, description=description
            )
        cairo = accounts.get("cairorealestate.com")
        if cairo is not None:
            dashboard.renewal_owner_set(
                by=self.manager,
                account=cairo,
                mode=OwnerMode.PARTNER,
                point_of_contact=self.users[AGENT],
            )
            subscription = cairo.subscriptions.filter(renewal_date__isnull=False).first()
            if subscription is not None:
                dashboard.renewal_update(
                    by=self.manager,
                    subscription=subscription,
                    status=RenewalStatus.CONFIRMED,
                    notes="Confirmed on the quarterly call; they may add two seats.",
                )
        torino = accounts.get("torinorobotics.it")
        decision_maker = (
            Contact.objects.filter(company=torino.company).exclude(email="").order_by("pk").first()
            if torino is not None
            else None
        )
        if torino is not None and decision_maker is not None:
            dashboard.renewal_owner_set(
                by=self.manager,
                account=torino,
                mode=OwnerMode.HUBSPOT,
                decision_maker=decision_maker,
                copied_user=self.manager,
            )
            dashboard.renewal_manager_set(
                by=self.manager,
                account=torino,
                name="Sophie Martin",
                email="sophie.martin@example.com",
            )


@transaction.atomic
def load() -> bool:
    """Load the partner program demo once; returns False when it is there (or the CRM demo is
    not)."""
    users = {
        u.email: u for u in User.objects.filter(email__in=[ADMIN, MANAGER, AGENT, MAHINAZ, WEB])
    }
    if len(users) < 5 or users[MANAGER].role != Role.MANAGER:
        return False
    if HubSpotAccount.objects.filter(company__domain=NILE).exists():
        return False
    companies = {
        c.domain: c
        for c in Company.objects.filter(
            lifecycle="client", domain__in=[spec["domain"] for spec in ACCOUNTS]
        )
    }
    if NILE not in companies:
        return False
    loader = _Loader(users)
    # Certifications and reviews first: applying for the accreditation checks them today.
    loader.certifications()
    loader.reviews()
    specs = [
        (spec, loader.account(spec, companies[spec["domain"]]))
        for spec in ACCOUNTS
        if spec["domain"] in companies
    ]
    accounts = {account.company.domain: account for _spec, account in specs}
    loader.connections(accounts)
    loader.activities(specs)
    loader.accreditation()
    loader.complaints(companies)
    loader.mappings()
    loader.dashboard(accounts)
    return True


def account_count() -> int:
    return HubSpotAccount.objects.count()
