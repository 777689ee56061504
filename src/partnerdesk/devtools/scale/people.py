"""The agency's people and its CRM: agents, managers and an admin; client companies with their
contacts and deals (moved through their pipelines, with line items and timelines)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from partnerdesk.accounts.models import Role, Team, User
from partnerdesk.crm.models import Company, Contact, Deal, Lifecycle, LineItem

from .reference import DAY, Reference
from .state import Block, CompanyInfo, ContactInfo

UNUSABLE_PASSWORD = "!"  # noqa: S105  (nobody signs in with a password; see set_password)
FIRST = ["Amira", "Luca", "Sofia", "Omar", "Giulia", "James", "Layla", "Marco", "Nour", "Emma"]
LAST = ["Hassan", "Rossi", "Smith", "Bianchi", "Khalil", "Brown", "Ferrari", "Mansour", "Lee"]
WORDS = ["Blue", "Nile", "Cedar", "Harbor", "Alpine", "Golden", "Delta", "Urban", "Summit"]
TRADES = ["Dental", "Logistics", "Studio", "Foods", "Legal", "Clinic", "Travel", "Print"]
SUFFIXES = ["Ltd", "S.r.l.", "LLC", "Group", "& Co"]
DEAL_WEIGHTS = {
    "Email Subscription": 0.35,
    "Website Creation": 0.2,
    "Website Annual Renewal": 0.15,
    "Domain Services": 0.15,
    "HubSpot Services": 0.15,
}
PRODUCT_CATEGORY = {
    "Email Subscription": "email",
    "Website Creation": "website",
    "Website Annual Renewal": "website",
    "Domain Services": "domain",
    "HubSpot Services": "hubspot",
}


def agency_domain(ref: Reference) -> str:
    return f"{ref.tag}.agency.example"


def agent_ids(ref: Reference) -> list[int]:
    """The agents made so far for this seed and ``now`` (an earlier run's, when growing)."""
    return list(
        User.objects.filter(role=Role.AGENT, email__endswith="@" + agency_domain(ref))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _user(block: Block, email: str, name: str, role: str, **extra) -> int:
    return block.writer.add(
        User,
        email=email,
        full_name=name,
        role=role,
        password=UNUSABLE_PASSWORD,
        is_active=True,
        date_joined=block.now - block.ref.sizes.history_days * DAY * 2,
        **extra,
    )


def build_staff(block: Block) -> None:
    """The first block: the admin, two managers and ``first_agents`` agents, in the default
    teams; every later full block: one more agent (about one per 10,000 tickets a year)."""
    ref, rng = block.ref, block.rng
    domain = agency_domain(ref)
    if block.index == 0:
        block.admin_id = _user(block, f"admin@{domain}", "Ada Admin", Role.ADMIN)
        for n in range(2):
            _user(block, f"manager-{n}@{domain}", f"Manager {n}", Role.MANAGER)
        new = range(ref.sizes.first_agents)
    else:
        new = range(ref.sizes.first_agents + block.index - 1, ref.sizes.first_agents + block.index)
    teams = [t for name, t in ref.teams.items() if name != "Consultants"]
    for n in new:
        agent = _user(
            block,
            f"agent-{n}@{domain}",
            f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]} {n}",
            Role.AGENT,
        )
        block.agents.append(agent)
        for team in rng.sample(teams, min(len(teams), 2)) if teams else []:
            block.writer.add(Team.members.through, team_id=team.pk, user_id=agent)


def build_companies(block: Block) -> None:
    """The block's client companies with their contacts and deals."""
    ref, rng = block.ref, block.rng
    count = ref.sizes.companies(block.tickets)
    deal_routes = [r for r in ref.deal_routes if r.pipeline.name in DEAL_WEIGHTS] or ref.deal_routes
    deal_weights = [DEAL_WEIGHTS.get(r.pipeline.name, 0.1) for r in deal_routes]
    for k in range(count):
        number = block.index * 100_000 + k
        words = (rng.choice(WORDS), rng.choice(TRADES))
        name = f"{words[0]} {words[1]} {rng.choice(SUFFIXES)}"
        domain = f"{words[0]}{words[1]}-{number}.example".lower()
        created = block.now - dt.timedelta(days=rng.uniform(ref.sizes.history_days, 900))
        owner = block.agent()
        company_id = block.writer.add(
            Company,
            name=name,
            domain=domain,
            country=rng.choice(["EG", "IT", "GB", "AE", "US"]),
            owner_id=owner,
            lifecycle=rng.choices(
                [Lifecycle.CLIENT, Lifecycle.PROSPECT, Lifecycle.FORMER], [0.8, 0.15, 0.05]
            )[0],
            created_at=created,
            updated_at=created,
        )
        company = CompanyInfo(id=company_id, name=name, domain=domain, owner_id=owner)
        block.event(
            "company.created",
            subject="company",
            subject_id=company_id,
            at=created,
            company_id=company_id,
            actor_id=owner,
            data={"name": name},
        )
        for _ in range(max(1, round(rng.gauss(ref.sizes.contacts_per_company, 1.2)))):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}{len(company.contacts) or ''}@{domain}".lower()
            contact_id = block.writer.add(
                Contact,
                company_id=company_id,
                first_name=first,
                last_name=last,
                email=email,
                job_title=rng.choice(["CEO", "Office manager", "Marketing lead", "IT"]),
                owner_id=owner,
                created_at=created,
                updated_at=created,
            )
            company.contacts.append(ContactInfo(id=contact_id, name=f"{first} {last}", email=email))
        for _ in range(max(0, round(rng.gauss(ref.sizes.deals_per_company, 1.0)))):
            route = rng.choices(deal_routes, deal_weights)[0]
            build_deal(block, company, route, created)
        block.companies.append(company)
    block.weigh_companies()


def build_deal(block: Block, company: CompanyInfo, route, company_created: dt.datetime) -> None:
    rng, now, writer = block.rng, block.now, block.writer
    if not route.open:
        return
    outcome = rng.choices(["won", "lost", "open"], [0.55, 0.2, 0.25])[0]
    path = [route.open[0]] if route.open else []
    path += [stage for stage in route.open[1:] if rng.random() < 0.7]
    if outcome == "won":
        path.append(route.won)
    elif outcome == "lost" and route.lost is not None:
        path.append(route.lost)
    else:
        outcome = "open"
        path = path[: rng.randrange(1, len(path) + 1)]
    earliest = max(company_created, now - 600 * DAY)
    created = earliest + (now - earliest) * rng.random() * 0.9
    entered = [created]
    for _ in path[1:]:
        entered.append(entered[-1] + dt.timedelta(days=rng.uniform(0.5, 20)))
    if entered[-1] > now:
        scale = (now - created) * 0.95 / (entered[-1] - created)
        entered = [created + (at - created) * scale for at in entered]
    owner = company.owner_id or block.agent()
    product = rng.choice(
        [p for p in block.ref.products if p.category == PRODUCT_CATEGORY.get(route.pipeline.name)]
        or block.ref.products
    )
    quantity = rng.randint(1, 5)
    name = f"{product.name} for {company.name}"[:200]
    deal_id = writer.add(
        Deal,
        name=name,
        pipeline_id=route.pipeline.pk,
        stage_id=path[-1].pk,
        amount=product.unit_price * quantity,
        currency=product.currency,
        close_date=(entered[-1] if outcome != "open" else now + 30 * DAY).date(),
        owner_id=owner,
        company_id=company.id,
        properties={"domain_name": company.domain},
        stage_entered_at=entered[-1],
        closed_at=entered[-1] if outcome != "open" else None,
        created_at=created,
        updated_at=entered[-1],
    )
    writer.add(
        LineItem,
        deal_id=deal_id,
        product_id=product.pk,
        quantity=quantity,
        unit_price=product.unit_price or Decimal(0),
        created_at=created,
    )
    if company.contacts:
        writer.add(Deal.contacts.through, deal_id=deal_id, contact_id=company.contacts[0].id)
    if outcome == "won":
        company.won_deals.append(deal_id)
    block.event(
        "deal.created",
        subject="deal",
        subject_id=deal_id,
        at=created,
        company_id=company.id,
        actor_id=owner,
        data={
            "name": name,
            "pipeline": route.pipeline.name,
            "stage": path[0].name,
            "stage_id": path[0].pk,
        },
    )
    for i in range(1, len(path)):
        block.event(
            "deal.stage_changed",
            subject="deal",
            subject_id=deal_id,
            at=entered[i],
            company_id=company.id,
            actor_id=owner,
            data={
                "from_stage_id": path[i - 1].pk,
                "from_stage": path[i - 1].name,
                "to_stage_id": path[i].pk,
                "to_stage": path[i].name,
                "pipeline_id": route.pipeline.pk,
                "pipeline": route.pipeline.name,
                "kind": path[i].kind,
            },
        )
