"""The rest of the agency: the knowledge base and the requests it deflected, satisfaction
surveys of closed tickets and completed tasks, and the partner program (client HubSpot
accounts, subscriptions with their MRR history, relationships, connections, certifications and
qualifying activities)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from partnerdesk.knowledge.models import Article, ArticleStatus, Category, Deflection
from partnerdesk.partner_program.models import (
    Certification,
    EmployeeConnection,
    EndReason,
    HubSpotAccount,
    QualifyingActivity,
    Relationship,
    RelationshipKind,
    Subscription,
    SubscriptionChange,
    SubscriptionStatus,
)
from partnerdesk.satisfaction.models import Survey

from .reference import DAY, HOUR, MINUTE
from .state import Block

CATEGORIES = ["Getting started", "Email & domains", "HubSpot", "Your website"]
TOPICS = [
    "adding a mailbox",
    "connecting your domain",
    "DNS records explained",
    "lead scoring workflows",
    "importing contacts",
    "sales dashboards",
    "website forms",
    "extra storage",
    "approving a delivery",
    "your request queue",
]
PARAGRAPH = (
    "This guide explains {topic} step by step. Read it before you send a request: most "
    "questions about {topic} are answered here, with screenshots of each screen.\n\n"
)
QUERIES = ["add a mailbox", "domain not working", "import contacts", "dashboard", "dns"]
CURRENCIES = [("USD", Decimal(1)), ("EUR", Decimal("0.88")), ("GBP", Decimal("0.74"))]
PRODUCTS = ["Marketing Hub", "Sales Hub", "Service Hub", "Content Hub", "Operations Hub"]
EDITIONS = ["Starter", "Professional", "Enterprise"]


# ---------------------------------------------------------------- knowledge base


def build_knowledge(block: Block, articles: int = 60) -> None:
    """The help center, once (the first block): ``articles`` English articles in four
    categories, an Italian version of one in three and an Arabic one of one in six, most
    published, linked to task categories and ticket pipelines."""
    ref, rng, writer = block.ref, block.rng, block.writer
    categories = [Category.objects.get_or_create(name=name)[0].pk for name in CATEGORIES]
    pipelines = sorted({r.pipeline.pk for r in ref.routes})
    entries = sorted({r.entry.pk for r in ref.routes})
    for n in range(articles):
        topic = TOPICS[n % len(TOPICS)]
        title = f"{topic.capitalize()} ({n + 1})"
        created = block.now - dt.timedelta(days=rng.uniform(30, 700))
        published = rng.random() < 0.85
        family = None
        for language, share in (("en", 1.0), ("it", 1 / 3), ("ar", 1 / 6)):
            if language != "en" and (family is None or rng.random() >= share):
                continue
            article_id = writer.add(
                Article,
                title=title if language == "en" else f"[{language}] {title}",
                slug=f"{ref.tag}-{language}-{n + 1}",
                body=PARAGRAPH.format(topic=topic) * rng.randint(2, 8),
                language=language,
                status=ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT,
                category_id=rng.choice(categories),
                tags=",".join(rng.sample(["email", "dns", "hubspot", "website", "billing"], 2)),
                translation_of_id=family,
                author_id=block.agent(),
                created_at=created,
                updated_at=created + DAY * rng.uniform(0, 20),
                published_at=created + HOUR if published else None,
                views=rng.randint(0, 2000) if published else 0,
                helpful_yes=rng.randint(0, 40),
                helpful_no=rng.randint(0, 10),
            )
            if language == "en":
                family = article_id
                if published:
                    block.articles.append((article_id, title))
                for category in rng.sample(ref.categories, min(2, len(ref.categories))):
                    writer.add(
                        Article.task_categories.through,
                        article_id=article_id,
                        taskcategory_id=category.pk,
                    )
                writer.add(
                    Article.pipelines.through,
                    article_id=article_id,
                    pipeline_id=rng.choice(pipelines),
                )
                writer.add(
                    Article.request_types.through,
                    article_id=article_id,
                    stage_id=rng.choice(entries),
                )
            block.event(
                "knowledge.article_created",
                subject="article",
                subject_id=article_id,
                at=created,
                company_id=None,
                actor_id=block.agent(),
                data={"title": title, "language": language, "status": "draft"},
            )
            if published:
                block.event(
                    "knowledge.article_published",
                    subject="article",
                    subject_id=article_id,
                    at=created + HOUR,
                    company_id=None,
                    data={"title": title, "language": language},
                )


def build_deflections(block: Block) -> None:
    """Requests the help center answered: clients of the block chose an article instead."""
    rng, ref = block.rng, block.ref
    clients = [c for c in block.companies if c.client_user_id]
    count = round(block.tickets * ref.sizes.deflections_per_ticket)
    if not clients or not block.articles or not ref.categories:
        return
    history = ref.sizes.history_days * DAY.total_seconds()
    for _ in range(count):
        company = rng.choice(clients)
        article_id, title = rng.choice(block.articles)
        category = rng.choice(ref.categories)
        at = block.now - dt.timedelta(seconds=rng.uniform(60, history))
        query = rng.choice(QUERIES)
        deflection_id = block.writer.add(
            Deflection,
            article_id=article_id,
            task_category_id=category.pk,
            company_id=company.id,
            user_id=company.client_user_id,
            query=query,
            created_at=at,
        )
        block.event(
            "knowledge.request_deflected",
            subject="article",
            subject_id=article_id,
            at=at,
            company_id=company.id,
            actor_id=company.client_user_id,
            data={
                "deflection_id": deflection_id,
                "article": title,
                "task_category": category.name,
                "query": query,
            },
        )


# ---------------------------------------------------------------- satisfaction


SCORES = [1, 2, 3, 4, 5]
SCORE_WEIGHTS = [0.05, 0.07, 0.13, 0.35, 0.40]


def build_surveys(block: Block) -> None:
    """A survey for three in ten closed tickets with a contact and half the completed tasks
    (sent when the work ended, open 14 days), four in ten answered."""
    rng = block.rng
    subjects = [("ticket", *row) for row in block.closed_tickets if rng.random() < 0.3]
    subjects += [("task", *row) for row in block.completed_tasks if rng.random() < 0.5]
    for kind, subject_id, company, person, agent, ended in subjects:
        sent = ended + 2 * MINUTE
        if sent >= block.now:
            continue
        expires = sent + 14 * DAY
        email = person.email if kind == "ticket" else f"owner-{block.ref.tag}@{company.domain}"
        answered = None
        if rng.random() < 0.4:
            answered = sent + dt.timedelta(hours=rng.expovariate(1 / 20))
            if answered >= min(expires, block.now):
                answered = None
        score = rng.choices(SCORES, SCORE_WEIGHTS)[0] if answered else None
        via = rng.choices(["email", "portal"], [0.8, 0.2])[0] if answered else ""
        comment = "Quick and clear, thank you." if answered and rng.random() < 0.2 else ""
        survey_id = block.writer.add(
            Survey,
            task_id=subject_id if kind == "task" else None,
            ticket_id=subject_id if kind == "ticket" else None,
            company_id=company.id,
            recipient_id=person if kind == "task" else None,
            recipient_email=email,
            agent_id=agent,
            sent_at=sent,
            expires_at=expires,
            score=score,
            comment=comment,
            answered_at=answered,
            answered_via=via,
            answered_by_id=person if kind == "task" and answered else None,
            email_claimed_at=sent,
            emailed_at=sent,
            email_attempts=1,
        )
        block.event(
            "csat.sent",
            subject=kind,
            subject_id=subject_id,
            at=sent,
            company_id=company.id,
            data={"survey_id": survey_id, "recipient_email": email},
        )
        if answered:
            block.event(
                "csat.answered",
                subject=kind,
                subject_id=subject_id,
                at=answered,
                company_id=company.id,
                actor_id=person if kind == "task" else None,
                data={"survey_id": survey_id, "score": score, "via": via, "comment": comment},
            )


# ---------------------------------------------------------------- partner program


def build_certifications(block: Block, agents: list[int]) -> None:
    rng, today = block.rng, block.now.date()
    for agent in agents:
        for name in ("Inbound", "Solutions Partner")[: rng.randint(1, 2)]:
            issued = today - dt.timedelta(days=rng.randint(30, 700))
            expires = today + dt.timedelta(days=rng.randint(-100, 700))
            block.writer.add(
                Certification,
                employee_id=agent,
                name=name,
                issued_on=issued,
                expires_on=max(issued, expires),
            )


def _relationships(block: Block, account_id: int, opened: dt.date, i: int) -> bool:
    """30% sourced, 20% assisted, 70% managed (one in seven after a lapsed period), as in the
    partner program's benchmark; returns whether the account is managed now."""
    add = block.writer.add
    if i % 10 < 3:
        add(Relationship, account_id=account_id, kind=RelationshipKind.SOURCED, started_on=opened)
    if i % 10 in (3, 4):
        add(Relationship, account_id=account_id, kind=RelationshipKind.ASSISTED, started_on=opened)
    if i % 10 >= 7:
        return False
    if i % 7 == 0:
        add(
            Relationship,
            account_id=account_id,
            kind=RelationshipKind.MANAGED,
            started_on=opened,
            ended_on=opened + dt.timedelta(days=200),
            end_reason=EndReason.LAPSED,
            automatic=True,
        )
    add(
        Relationship,
        account_id=account_id,
        kind=RelationshipKind.MANAGED,
        started_on=opened + dt.timedelta(days=300),
        automatic=True,
    )
    return True


def build_partner_program(block: Block) -> None:
    """A HubSpot account for a quarter of the block's companies, with subscriptions and
    their MRR versions, relationships, two connected agents per managed account and the
    qualifying activities of the last two years."""
    ref, rng, writer, now = block.ref, block.rng, block.writer, block.now
    today = now.date()
    opened = today - dt.timedelta(days=3 * 365)
    accounts: list[int] = []
    for company in block.companies:
        if rng.random() >= ref.sizes.partner_share:
            continue
        i = len(accounts) + block.index * 7
        account_id = writer.add(
            HubSpotAccount,
            company_id=company.id,
            hub_id=f"{ref.tag}-{company.id}"[:32],
            name=f"{company.name} portal",
            growth_market=rng.random() < 0.1,
            opened_on=opened,
            created_at=now - 3 * 365 * DAY,
            updated_at=now - 3 * 365 * DAY,
        )
        accounts.append(account_id)
        for n in range(rng.randint(1, 3)):
            code, factor = rng.choice(CURRENCIES)
            start = opened + dt.timedelta(days=rng.randint(0, 365))
            mrr = (Decimal(rng.randint(50, 5000)) * factor).quantize(Decimal("0.01"))
            versions, day = [], start
            for _ in range(rng.randint(1, 3)):
                versions.append((day, mrr))
                day += dt.timedelta(days=rng.randint(60, 300))
                if day > today:
                    break
                mrr = (mrr * Decimal(rng.choice(["0.9", "1.1", "1.25"]))).quantize(Decimal("0.01"))
            seats = rng.randint(1, 20)
            subscription_id = writer.add(
                Subscription,
                account_id=account_id,
                product=f"{rng.choice(PRODUCTS)} {rng.choice(EDITIONS)} {n}",
                seats=seats,
                seats_used=rng.randint(0, seats),
                mrr=versions[-1][1],
                currency=code,
                start_date=start,
                renewal_date=today + dt.timedelta(days=rng.randint(0, 364)),
                status=SubscriptionStatus.ACTIVE,
                last_activity_at=now - dt.timedelta(hours=rng.randint(1, 24 * 90)),
                created_at=now - 2 * 365 * DAY,
                updated_at=now - 2 * 365 * DAY,
            )
            for effective, amount in versions:
                writer.add(
                    SubscriptionChange,
                    subscription_id=subscription_id,
                    effective_on=effective,
                    mrr=amount,
                    currency=code,
                    recorded_at=now - 365 * DAY,
                )
        if _relationships(block, account_id, opened, i):
            for agent in rng.sample(block.agents, min(2, len(block.agents))):
                writer.add(
                    EmployeeConnection,
                    employee_id=agent,
                    account_id=account_id,
                    in_partner_account=True,
                    client_assigned=True,
                    in_client_account=rng.random() > 0.2,
                    confirmed_at=now - 30 * DAY,
                )
    if not accounts or not ref.activity_types:
        return
    for _ in range(round(block.tickets * ref.sizes.activities_per_ticket)):
        occurred = today - dt.timedelta(days=rng.randrange(730))
        writer.add(
            QualifyingActivity,
            employee_id=block.agent(),
            account_id=rng.choice(accounts),
            activity_type_id=rng.choice(ref.activity_types),
            occurred_on=occurred,
            source="manual",
            created_at=dt.datetime.combine(occurred, dt.time(12), tzinfo=dt.UTC),
        )
