"""The satisfaction rows of the query-budget World (tests/budgets/world.py).

Per unit: an answered survey about a task and one about a ticket (comments "Answer <i> …",
shown on the staff answers page and in the API list), and an open one about a task of the
focus company (the portal home's "How did we do?" list).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from partnerdesk.portal.models import Task
from partnerdesk.satisfaction.models import AnsweredVia, Survey
from partnerdesk.tickets.models import Ticket


def setup(world) -> None:
    """Nothing to focus on: the measured pages are lists."""


def _survey(world, *, answered: bool, comment: str = "", **subject) -> Survey:
    now = timezone.now()
    company_id = next(iter(subject.values())).company_id
    return Survey.objects.create(
        **subject,
        company_id=company_id,
        recipient=world.client_user if company_id == world.company.pk else None,
        recipient_email="client@acme-dental.com",
        agent=world.agent,
        sent_at=now - dt.timedelta(days=1),
        expires_at=now + dt.timedelta(days=13),
        score=2 + len(comment) % 4 if answered else None,
        comment=comment,
        answered_at=now if answered else None,
        answered_via=AnsweredVia.EMAIL if answered else "",
    )


def unit(world, i: int) -> None:
    closed = Task.objects.get(title=f"Closed {i:03}")
    ticket = Ticket.objects.filter(name__startswith=f"Ticket {i:03} of ").order_by("pk").first()
    _survey(world, answered=True, comment=f"Answer {i:03} about a task", task=closed)
    _survey(world, answered=True, comment=f"Answer {i:03} about a ticket", ticket=ticket)
    _survey(world, answered=False, task=Task.objects.get(title=f"Working {i:03}"))
