"""Demo client tasks: a plan for every client company (some with history), tasks in every
status with messages from both sides, an accepted queue with estimates, work waiting for the
client's approval, a booked consultation, and the consultants team.

Everything goes through the services (as a user would), with times set in the past where the
services take them; the creation times of rows the services stamp with "now" are moved back
afterwards so the timelines read in order. Loaded once: later runs leave the data alone.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from partnerdesk.accounts.defaults import CONSULTANTS as CONSULTANTS_TEAM
from partnerdesk.accounts.defaults import TEAMS, default_team
from partnerdesk.accounts.models import Role, Team, User
from partnerdesk.core import clock
from partnerdesk.core.models import Event
from partnerdesk.crm.models import Company

from . import booking, services
from .defaults import CATEGORIES
from .events import PortalEvent
from .models import Plan, PortalSettings, Status, Subscription, Task, TaskCategory

NILE = "niledental.com"
TRATTORIA = "trattoriadaluca.it"
CONSULTANTS = ["manager@demo.partnerdesk.test", "agent@demo.partnerdesk.test"]


def _backdate(obj, when: dt.datetime, *fields: str) -> None:
    """Move the "now" stamps of a row written by a service back to ``when``."""
    type(obj).objects.filter(pk=obj.pk).update(**dict.fromkeys(fields or ["created_at"], when))


class _Story:
    """Helpers that tell one client's story through the services."""

    def __init__(self, now: dt.datetime, categories: dict[str, TaskCategory], agent: User):
        self.now, self.categories, self.agent = now, categories, agent

    def ago(self, days: float = 0, hours: float = 0) -> dt.datetime:
        return self.now - dt.timedelta(days=days, hours=hours)

    def submit(self, by, title, category, description="", *, company=None, days_ago=0.0):
        task = services.task_submit(
            by=by,
            title=title,
            category=self.categories[category],
            description=description,
            company=company,
        )
        when = self.ago(days_ago)
        _backdate(task, when)
        Event.objects.filter(
            kind__in=[PortalEvent.TASK_STATE_CHANGED, PortalEvent.TASK_SUBMITTED],
            subject_id=task.pk,
        ).update(occurred_at=when)
        return task

    def say(self, by, task, body, *, days_ago=0.0):
        message = services.message_post(by=by, task=task, body=body)
        when = self.ago(days_ago)
        _backdate(message, when)
        Event.objects.filter(kind=PortalEvent.TASK_MESSAGE, data__message_id=message.pk).update(
            occurred_at=when
        )
        return message

    def accept(self, task, estimate, *, by=None, assignee=None, days_ago=0.0):
        task = services.task_accept(
            by=by or self.agent, task=task, estimate_minutes=estimate, assignee=assignee
        )
        _backdate(task, self.ago(days_ago), "accepted_at")
        return task

    def start(self, task, *, days_ago, by=None):
        return services.task_start(by=by or self.agent, task=task, now=self.ago(days_ago))

    def deliver(self, task, note, *, days_ago, by=None):
        return services.task_deliver(
            by=by or self.agent, task=task, note=note, now=self.ago(days_ago)
        )

    def approve(self, by, task, *, days_ago):
        return services.task_approve(by=by, task=task, now=self.ago(days_ago))


def _plans(manager: User, now: dt.datetime) -> dict[str, Company]:
    """Every client company on a plan (Solo, Duo, Team in turn); two changed plan once."""
    plans = {p.key: p for p in Plan.objects.exclude(key="")}  # the default plans, by key
    order = ["solo", "duo", "team"]
    companies = {}
    clients = Company.objects.filter(lifecycle="client").order_by("name")
    for index, company in enumerate(clients):
        key = order[index % 3]
        if company.domain == NILE:
            key = "duo"
        elif company.domain == TRATTORIA:
            key = "solo"
        if index % 7 == 0 and key != "solo":  # history: they started smaller
            services.subscription_set(
                by=manager, company=company, plan=plans["solo"], now=now - dt.timedelta(days=200)
            )
        services.subscription_set(
            by=manager, company=company, plan=plans[key], now=now - dt.timedelta(days=90)
        )
        companies[company.domain] = company
    return companies


def _consultants() -> None:
    settings = PortalSettings.load()
    if settings.consultants is None:
        settings.consultants = (
            default_team(CONSULTANTS_TEAM)
            or Team.objects.get_or_create(name=TEAMS[CONSULTANTS_TEAM])[0]
        )
        settings.save(update_fields=["consultants"])
    settings.consultants.members.add(*User.objects.filter(email__in=CONSULTANTS))


def _nile_dental(story: _Story, company: Company) -> None:
    """Duo: one complete, one waiting for approval, one working (re-estimated), a queue of
    four (reordered by the client), two in triage, one declined, one withdrawn, and a booked
    consultation."""
    sara = User.objects.get(email=f"client@{NILE}")
    ahmed = User.objects.get(email=f"member@{NILE}")
    agent, web = story.agent, User.objects.get(email="web@demo.partnerdesk.test")
    mahinaz = User.objects.get(email="mahinaz@demo.partnerdesk.test")

    scoring = story.submit(
        sara,
        "Set up a lead scoring model",
        "HubSpot Administration",
        "We want to know which patients enquiring online are most likely to book an implant "
        "consultation.",
        days_ago=16,
    )
    story.say(
        agent, scoring, "Which properties do you trust most? Form answers, visits?", days_ago=15.8
    )
    story.say(sara, scoring, "Treatment of interest and the number of site visits.", days_ago=15.5)
    dashboard = story.submit(
        sara,
        "Monthly marketing dashboard",
        "Reports & Dashboards",
        "One page with leads per channel, bookings and cost per booking, for the monthly "
        "partners' meeting.",
        days_ago=15,
    )
    cleanup = story.submit(
        ahmed,
        "Merge duplicate contacts",
        "Data Import & Cleanup",
        "After the last import many patients appear twice (with and without the country code).",
        days_ago=14,
    )
    story.accept(scoring, "6h", days_ago=15)
    story.accept(dashboard, "5h", assignee=mahinaz, days_ago=14.5)
    story.accept(cleanup, "16h", days_ago=13.5)
    queue = [
        story.submit(sara, title, category, description, days_ago=days)
        for title, category, description, days in [
            (
                "Import the 2025 patient list",
                "Data Import & Cleanup",
                "The spreadsheet from the front desk, about 4,000 rows.",
                12,
            ),
            (
                "Appointment reminder workflow",
                "Workflows & Automation",
                "An email two days before each appointment, an SMS the day before.",
                11,
            ),
            (
                "Connect the booking form to HubSpot",
                "Integrations",
                "The booking form on our website should create a contact and a deal.",
                10,
            ),
            (
                "Sales pipeline for the Alexandria branch",
                "HubSpot Administration",
                "Same stages as Cairo, separate owners.",
                9,
            ),
        ]
    ]
    story.say(agent, queue[1], "Do you send SMS today, and through which provider?", days_ago=10.5)
    story.say(ahmed, queue[1], "Yes, through Vodafone's business SMS gateway.", days_ago=10.2)
    for task, estimate in zip(queue, ["3h", "4h 30m", "8h", "2h"], strict=True):
        story.accept(task, estimate, assignee=web if "form" in task.title else None, days_ago=8)

    # The first two start; the lead scoring is delivered and approved, and the next in the
    # queue (the cleanup) starts by itself.
    story.start(scoring, days_ago=13)
    story.start(dashboard, days_ago=12)
    story.deliver(
        scoring,
        "Done: every contact now has a Lead score from 0 to 100, and a list of the top 50.",
        days_ago=11,
    )
    story.say(
        sara, scoring, "Looks great, the reception team already uses the list.", days_ago=10.9
    )
    story.approve(sara, scoring, days_ago=10.8)
    cleanup.refresh_from_db()
    services.task_adjust_estimate(
        by=agent,
        task=cleanup,
        estimated_completion=story.now + dt.timedelta(days=2),
        reason="The old CRM export arrived late; merging resumes once it is checked.",
    )
    story.say(agent, cleanup, "We are waiting for the export from your old CRM.", days_ago=3)
    story.say(ahmed, cleanup, "Sent it to you this morning.", days_ago=1)

    # The dashboard: delivered, sent back once, delivered again, waiting for approval (the
    # reminders have started).
    story.deliver(dashboard, "The dashboard is on your home screen.", days_ago=9)
    services.task_request_changes(
        by=sara, task=dashboard, message="Please add the bookings from Instagram as a channel."
    )
    when = story.ago(6)
    _backdate(dashboard.messages.order_by("-pk").first(), when)
    Event.objects.filter(
        Q(kind=PortalEvent.TASK_CHANGES_REQUESTED)
        | Q(kind=PortalEvent.TASK_STATE_CHANGED, data__from=Status.PENDING_APPROVAL),
        subject_id=dashboard.pk,
    ).update(occurred_at=when)
    story.deliver(dashboard, "Instagram added as its own channel.", days_ago=4, by=mahinaz)

    # The client moves the Alexandria pipeline up to second place.
    services.queue_move(by=sara, task=queue[3], to=2)

    # Triage: one waiting on the client, one on us.
    templates = story.submit(
        ahmed,
        "Email templates for the new clinic",
        "Email & Domains",
        "We open in Heliopolis next month.",
        days_ago=2,
    )
    story.say(
        agent, templates, "Do you have the new clinic's photos and opening hours?", days_ago=1.5
    )
    chat = story.submit(sara, "Chat widget on the website", "Website", days_ago=0.5)
    story.say(sara, chat, "Ideally in Arabic and English.", days_ago=0.4)

    app = story.submit(sara, "Build a mobile app for patients", "Other", days_ago=20)
    services.task_decline(
        by=agent,
        task=app,
        reason="We do not build mobile apps; HubSpot's patient portal pages can cover most of it.",
    )
    old = story.submit(
        ahmed, "Report on last year's campaigns", "Reports & Dashboards", days_ago=18
    )
    services.task_withdraw(by=ahmed, task=old)

    consultation = story.submit(
        sara,
        "Quarterly HubSpot review",
        "Consultation Session",
        "A look at what we use, what we pay for and what to do next quarter.",
        days_ago=1,
    )
    slots = booking.free_slots()
    if slots:
        booking.session_book(by=sara, task=consultation, starts_at=slots[0].starts_at)


def _trattoria(story: _Story, company: Company) -> None:
    """Solo, an Italian client: one complete, one working past its estimate, a queue of two,
    one in triage with messages in Italian."""
    luca = User.objects.get(email=f"client@{TRATTORIA}")
    agent = story.agent
    menu = story.submit(
        luca,
        "Modulo prenotazioni sul sito",
        "Website",
        "Vorremmo ricevere le prenotazioni dei tavoli in HubSpot.",
        days_ago=12,
    )
    newsletter = story.submit(
        luca, "Newsletter mensile", "Workflows & Automation", "Una email al mese.", days_ago=11
    )
    story.accept(menu, "3h", days_ago=11)
    story.accept(newsletter, "4h", days_ago=10)
    story.start(menu, days_ago=10)
    story.deliver(menu, "Il modulo è online e crea un contatto per ogni prenotazione.", days_ago=6)
    story.approve(luca, menu, days_ago=4)  # the newsletter starts: it is now overdue
    for title, category, estimate in [
        ("Importare i contatti dal vecchio gestionale", "Data Import & Cleanup", "2h"),
        ("Report delle prenotazioni per giorno", "Reports & Dashboards", "90m"),
    ]:
        story.accept(story.submit(luca, title, category, days_ago=3), estimate, days_ago=2)
    training = story.submit(luca, "Formazione per il personale", "Training", days_ago=1)
    story.say(agent, training, "Quante persone parteciperanno? Preferite online?", days_ago=0.8)
    story.say(luca, training, "Quattro persone, di persona se possibile.", days_ago=0.6)


def _others(story: _Story, companies: dict[str, Company]) -> None:
    """A few tasks the agency opened for other clients, in different statuses."""
    agent = story.agent
    web = User.objects.get(email="web@demo.partnerdesk.test")
    others = [c for d, c in sorted(companies.items()) if d not in (NILE, TRATTORIA)][:8]
    scenarios = [
        ("Custom properties for room types", "HubSpot Administration", "2h", "working"),
        ("Quote template with VAT", "HubSpot Administration", "1h 30m", "pending"),
        ("Landing page for the spring offer", "Website", "6h", "accepted"),
        ("Chatbot for opening hours", "Workflows & Automation", "3h", "pending"),
        ("Deals report by product line", "Reports & Dashboards", "2h", "working"),
        ("SPF and DKIM for the new domain", "Email & Domains", "1h", "accepted"),
        ("Sync with the accounting software", "Integrations", "10h", "triage"),
        ("HubSpot basics for new hires", "Training", "2h", "accepted"),
    ]
    for company, (title, category, estimate, status) in zip(others, scenarios, strict=False):
        task = story.submit(agent, title, category, company=company, days_ago=6)
        if status == "triage":
            story.say(agent, task, "Which accounting software do you use?", days_ago=5)
            continue
        task = story.accept(
            task, estimate, assignee=web if category == "Website" else None, days_ago=5
        )
        if status == "accepted":
            continue
        task = story.start(task, days_ago=4)
        if status == "pending":
            story.deliver(task, "Done, ready for your review.", days_ago=2)


@transaction.atomic
def load() -> bool:
    """Load the task-queue demo once; returns False when it is there (or the CRM demo is not)."""
    manager = User.objects.filter(email="manager@demo.partnerdesk.test").first()
    agent = User.objects.filter(email="agent@demo.partnerdesk.test", role=Role.AGENT).first()
    if manager is None or agent is None:
        return False
    if Subscription.objects.filter(company__domain=NILE).exists():
        return False
    now = clock.now()
    _consultants()
    companies = _plans(manager, now)
    # The default categories by key, under their default names (the stories below use them).
    by_key = {c.key: c for c in TaskCategory.objects.exclude(key="")}
    categories = {name: by_key[key] for key, name in CATEGORIES if key in by_key}
    story = _Story(now, categories, agent)
    if NILE in companies:
        _nile_dental(story, companies[NILE])
    if TRATTORIA in companies:
        _trattoria(story, companies[TRATTORIA])
    _others(story, companies)
    # What the periodic job would do now: remind clients whose approval is overdue.
    services.send_approval_reminders(now=now)
    return True


def task_count() -> int:
    return Task.objects.count()
