"""Demo tickets: every default pipeline, some opened from won deals, some paused, breached or done."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from partnerdesk.accounts.models import User
from partnerdesk.crm.models import Company, Pipeline

from . import services
from .models import Ticket


@transaction.atomic
def load() -> bool:
    if Ticket.objects.filter(source="manual").exists():
        return False
    now = timezone.now()
    agent = User.objects.get(email="agent@demo.partnerdesk.test")
    web = User.objects.get(email="web@demo.partnerdesk.test")
    mahinaz = User.objects.get(email="mahinaz@demo.partnerdesk.test")
    # The default pipelines and stages, by key (a stage's key is the slug of its default name).
    pipelines = {
        p.key: p
        for p in Pipeline.objects.filter(object_type="ticket")
        .exclude(key="")
        .prefetch_related("stages")
    }

    def stage(pipeline, key):
        return next(s for s in pipelines[pipeline].stages.all() if s.key == key)

    def move(ticket, pipeline, *keys, at):
        for index, key in enumerate(keys):
            ticket = services.ticket_move(
                ticket=ticket,
                stage=stage(pipeline, key),
                by=ticket.owner or agent,
                now=at + dt.timedelta(hours=index + 1),
            )
        return ticket

    companies = list(Company.objects.order_by("name"))
    # Email Creation tickets were opened by the default workflow when the deals were won.
    email_tickets = Ticket.objects.filter(
        pipeline__key="email-creation", pipeline__object_type="ticket"
    )
    for index, ticket in enumerate(email_tickets.order_by("pk")):
        opened = ticket.created_at
        steps = [
            ["email-creation-in-progress"],
            ["email-creation-in-progress", "waiting-for-upgrade"],
            [
                "email-creation-in-progress",
                "waiting-for-upgrade",
                "emails-upgraded",
                "emails-delivered",
            ],
        ][index % 3]
        move(ticket, "email-creation", *steps, at=max(opened, now - dt.timedelta(hours=5)))

    # Email related requests.
    for index, (entry, extra) in enumerate(
        [
            ("add-email-licence", {}),
            ("email-plan-upgrade", {}),
            (
                "add-extra-storage",
                {"description": "Add 1 extra storage licence for 25 GB and 2 licences for 100 GB."},
            ),
            ("cancel-emails", {}),
            ("reactivate-emails", {}),
        ]
    ):
        company = companies[index + 2]
        props = {
            "domain_name": company.domain,
            "number_of_licences": 2 + index,
            "product": "Business Email 10 GB",
        }
        services.ticket_create(
            by=agent,
            pipeline=pipelines["email-related-requests"],
            stage=stage("email-related-requests", entry),
            owner=mahinaz,
            company=company,
            properties=props,
            now=now - dt.timedelta(hours=3 * index + 1),
            description=extra.get("description", ""),
        )

    # Domains: one connection in progress, one deletion inside the window, one that breached.
    company = companies[8]
    ticket = services.ticket_create(
        by=agent,
        pipeline=pipelines["domain-related-requests"],
        owner=agent,
        company=company,
        stage=stage("domain-related-requests", "connect-external-domain"),
        properties={
            "domain_name": company.domain,
            "registrar_name": "GoDaddy",
            "registrar_username": "bolognabikes",
            "registrar_password": "s3cret-Registrar!",
        },
        now=now - dt.timedelta(hours=60),
    )
    move(
        ticket,
        "domain-related-requests",
        "connecting-the-domain",
        "dns-propagating",
        at=now - dt.timedelta(hours=59),
    )
    services.ticket_create(
        by=agent,
        pipeline=pipelines["domain-related-requests"],
        owner=agent,
        company=companies[9],
        stage=stage("domain-related-requests", "domain-deletion"),
        properties={
            "domain_name": companies[9].domain,
            "domain_purchase_date": (now - dt.timedelta(days=2)).date().isoformat(),
        },
        now=now - dt.timedelta(minutes=30),
    )

    # Bug investigations: on track, one breached with a cause of delay, one breached without.
    for index, (hours_ago, cause) in enumerate(
        [(2, None), (120, "Waiting for the platform team's release."), (150, None)]
    ):
        company = companies[11 + index]
        ticket = services.ticket_create(
            by=agent,
            pipeline=pipelines["bug-investigation"],
            owner=agent,
            company=company,
            description=f"Contact form on {company.domain} does not send emails.",
            properties={
                "backoffice_link": f"https://backoffice.example.com/sites/{company.domain}"
            },
            priority="high" if index else "medium",
            now=now - dt.timedelta(hours=hours_ago),
        )
        if hours_ago > 24:
            ticket = move(
                ticket,
                "bug-investigation",
                "investigating",
                at=now - dt.timedelta(hours=hours_ago - 30),
            )
        if cause:
            services.ticket_note_add(
                ticket=ticket,
                by=agent,
                body=cause,
                is_delay_cause=True,
                now=now - dt.timedelta(hours=3),
            )

    # Websites (opened by the default workflow for won website deals): one waiting on the
    # customer (SLA paused), one delivered.
    website_tickets = list(
        Ticket.objects.filter(
            pipeline__key="website-creation", pipeline__object_type="ticket"
        ).order_by("pk")[:2]
    )
    for index, ticket in enumerate(website_tickets):
        if index:
            ticket = services.ticket_update(
                ticket=ticket, by=web, properties={"website_domain": ticket.company.domain}
            )
        steps = ["working-on-the-website", "1st-draft-sent", "waiting-for-feedback"]
        if index:
            steps += ["adding-website-tools", "website-delivered"]
        move(ticket, "website-creation", *steps, at=now - dt.timedelta(hours=4))

    _history(now, pipelines["email-related-requests"], stage, companies, [agent, mahinaz])
    services.sla_sweep(now=now)
    return True


def _history(now, pipeline, stage, companies, owners) -> None:
    """Eight weeks of email requests, most done within their 48-hour target and a few late,
    so the home's trends and the reports show weeks of work, not one day; two are still open
    today, one due soon (40 h old) and one breached (50 h old)."""
    rng = random.Random(7)  # noqa: S311 (demo data, reproducible)
    entries = ["add-email-licence", "email-plan-upgrade", "cancel-emails", "reactivate-emails"]
    done = stage("email-related-requests", "done")
    moments = [now - dt.timedelta(days=day, hours=rng.randint(8, 17)) for day in range(3, 57)]
    opened: list[tuple[dt.datetime, str | None]] = [
        (m, None) for m in moments if rng.random() < 0.6
    ]
    opened += [(now - dt.timedelta(hours=40), "open"), (now - dt.timedelta(hours=50), "open")]
    for index, (created, state) in enumerate(opened):
        company = companies[index % len(companies)]
        ticket = services.ticket_create(
            by=owners[0],
            pipeline=pipeline,
            stage=stage("email-related-requests", entries[index % len(entries)]),
            owner=owners[index % len(owners)],
            company=company,
            properties={
                "domain_name": company.domain,
                "number_of_licences": 1 + index % 5,
                "product": "Business Email 10 GB",
            },
            now=created,
        )
        if state is None:  # one in eight late
            hours = rng.randint(50, 80) if index % 8 == 0 else rng.randint(2, 40)
            services.ticket_move(
                ticket=ticket,
                stage=done,
                by=ticket.owner,
                now=created + dt.timedelta(hours=hours),
            )
