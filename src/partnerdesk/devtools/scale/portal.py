"""The client portal: companies on a plan (with a client admin who signs in), and their task
requests in every status, as the services leave them: at most the plan's limit working or
pending approval, the accepted ones numbered 1..n in the client's queue, estimates and
estimated completions on the agency's working calendar, messages, and every transition's two
timeline events (``task.state_changed`` and the transition's own)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from partnerdesk.accounts.models import ClientRole, Role, User
from partnerdesk.portal.models import Message, Status, Subscription, Task, WaitingOn

from .people import UNUSABLE_PASSWORD
from .reference import DAY, HOUR
from .state import Block, CompanyInfo

TITLES = [
    "Clean up duplicate contacts",
    "Build a lead scoring workflow",
    "Monthly sales dashboard",
    "Import last year's deals",
    "Connect the webshop to HubSpot",
    "Train the new sales team",
    "Fix the lifecycle stage property",
]
ESTIMATES = [30, 60, 90, 120, 180, 240, 480, 960]
TRANSITION: dict[tuple[str | None, str], str] = {  # (from, to) -> the transition's event
    (None, Status.TRIAGE): "task.submitted",
    (Status.TRIAGE, Status.ACCEPTED): "task.accepted",
    (Status.TRIAGE, Status.DECLINED): "task.declined",
    (Status.TRIAGE, Status.WITHDRAWN): "task.withdrawn",
    (Status.ACCEPTED, Status.WORKING): "task.started",
    (Status.WORKING, Status.PENDING_APPROVAL): "task.delivered",
    (Status.PENDING_APPROVAL, Status.COMPLETE): "task.approved",
}


def statuses(n: int, limit: int, rng) -> list[Status]:
    """A company's ``n`` task statuses, oldest first: closed ones, then the plan's slots
    (sometimes one free), the accepted queue and the newest requests in triage."""
    triage = min(n, max(1 if n >= 3 else 0, round(n * 0.08)))
    accepted = min(n - triage, round(n * 0.12))
    used = min(n - triage - accepted, max(0, limit - (1 if rng.random() < 0.2 else 0)))
    working = math.ceil(used / 2)
    closed = n - triage - accepted - used
    declined = round(closed * 0.08)
    withdrawn = round(closed * 0.04)
    old = (
        [Status.COMPLETE] * (closed - declined - withdrawn)
        + [Status.DECLINED] * declined
        + [Status.WITHDRAWN] * withdrawn
    )
    rng.shuffle(old)
    return (
        old
        + [Status.PENDING_APPROVAL] * (used - working)
        + [Status.WORKING] * working
        + [Status.ACCEPTED] * accepted
        + [Status.TRIAGE] * triage
    )


def build_portal(block: Block) -> None:
    """Put a share of the block's companies on a plan and give them their tasks."""
    ref, rng = block.ref, block.rng
    if not ref.plans or not ref.categories:
        return
    plans = list(ref.plans.values())
    clients = [c for c in block.companies if rng.random() < ref.sizes.portal_share]
    if not clients and block.companies:
        clients = [block.companies[0]]
    for company in clients:
        plan = rng.choice(plans)
        company.plan = plan.name
        company.client_user_id = block.writer.add(
            User,
            email=f"owner-{ref.tag}@{company.domain}",
            full_name=f"Owner of {company.name}",
            role=Role.CLIENT,
            company_id=company.id,
            client_role=ClientRole.ADMIN,
            password=UNUSABLE_PASSWORD,
            is_active=True,
            date_joined=block.now - 400 * DAY,
        )
        if rng.random() < 0.25:  # on a smaller plan before
            block.writer.add(
                Subscription,
                company_id=company.id,
                plan_id=plans[0].pk,
                started_at=block.now - 800 * DAY,
                ended_at=block.now - 400 * DAY,
            )
        block.writer.add(
            Subscription, company_id=company.id, plan_id=plan.pk, started_at=block.now - 400 * DAY
        )
    total = round(block.tickets * ref.sizes.tasks_per_ticket)
    if not clients or total < 1:
        return
    weights = [rng.paretovariate(1.5) for _ in clients]
    share = sum(weights)
    for company, weight in zip(clients, weights, strict=True):
        n = max(1, round(total * weight / share))
        build_tasks(block, company, n, ref.plans[company.plan or ""].concurrent_tasks)


def build_tasks(block: Block, company: CompanyInfo, n: int, limit: int) -> None:
    rng, now, cal, writer = block.rng, block.now, block.ref.calendar, block.writer
    history = block.ref.sizes.history_days * DAY.total_seconds()
    created = sorted(now - dt.timedelta(seconds=rng.uniform(3600, history)) for _ in range(n))
    queue = 0
    for status, submitted in zip(statuses(n, limit, rng), created, strict=True):
        category = rng.choice(block.ref.categories)
        title = rng.choice(TITLES)
        assignee = block.agent()
        v: dict[str, Any] = {
            "company_id": company.id,
            "title": title,
            "description": "Please look at the lifecycle stages and the duplicate contacts.",
            "category_id": category.pk,
            "status": status,
            "requested_by_id": company.client_user_id,
            "created_at": submitted,
            "waiting_on": WaitingOn.AGENCY,
        }
        steps: list[tuple[str | None, str, dt.datetime, dict[str, Any]]] = [
            (None, Status.TRIAGE, submitted, {"category": category.name})
        ]
        if status == Status.TRIAGE:
            v["waiting_on"] = WaitingOn.CLIENT if rng.random() < 0.3 else WaitingOn.AGENCY
            v["assignee_id"] = assignee if rng.random() < 0.5 else None
        elif status in (Status.DECLINED, Status.WITHDRAWN):
            v["waiting_on"] = WaitingOn.NOBODY
            v["closed_at"] = min(now, submitted + DAY * rng.uniform(0.1, 3))
            if status == Status.DECLINED:
                v["decline_reason"] = "Out of scope of the plan."
            steps.append(
                (
                    Status.TRIAGE,
                    status,
                    v["closed_at"],
                    {"reason": v["decline_reason"]} if status == Status.DECLINED else {},
                )
            )
        else:
            v["assignee_id"] = assignee
            v["estimate_minutes"] = rng.choice(ESTIMATES)
            v["accepted_at"] = min(now, submitted + HOUR * rng.uniform(0.5, 30))
            position = None
            if status == Status.ACCEPTED:
                queue += 1
                position = v["queue_position"] = queue
            steps.append(
                (
                    Status.TRIAGE,
                    Status.ACCEPTED,
                    v["accepted_at"],
                    {"estimate_minutes": v["estimate_minutes"], "position": position or 1},
                )
            )
        if status in (Status.WORKING, Status.PENDING_APPROVAL, Status.COMPLETE):
            if status == Status.COMPLETE:
                started = min(now, v["accepted_at"] + DAY * rng.uniform(0.1, 10))
            else:
                started = max(v["accepted_at"], now - HOUR * rng.uniform(1, 120))
            v["started_at"] = started
            v["estimated_completion"] = cal.add_working_time(
                started, dt.timedelta(minutes=v["estimate_minutes"])
            ).astimezone(dt.UTC)
            steps.append(
                (
                    Status.ACCEPTED,
                    Status.WORKING,
                    started,
                    {
                        "automatic": rng.random() < 0.5,
                        "estimated_completion": v["estimated_completion"].isoformat(),
                    },
                )
            )
            if status in (Status.PENDING_APPROVAL, Status.COMPLETE):
                delivered = min(now, max(started, v["estimated_completion"]))
                v["delivered_at"] = delivered
                v["waiting_on"] = WaitingOn.CLIENT
                steps.append((Status.WORKING, Status.PENDING_APPROVAL, delivered, {}))
                if status == Status.PENDING_APPROVAL:
                    v["next_reminder_at"] = cal.add_working_days(delivered, 2).astimezone(dt.UTC)
                else:
                    v["waiting_on"] = WaitingOn.NOBODY
                    v["closed_at"] = min(now, delivered + DAY * rng.uniform(0.1, 4))
                    steps.append((Status.PENDING_APPROVAL, Status.COMPLETE, v["closed_at"], {}))
        v["updated_at"] = steps[-1][2]
        task_id = writer.add(Task, **v)
        if status == Status.COMPLETE:
            block.completed_tasks.append(
                (task_id, company, company.client_user_id, assignee, v["closed_at"])
            )
        for before, after, at, data in steps:
            actor = (
                company.client_user_id if before in (None, Status.PENDING_APPROVAL) else assignee
            )
            for kind, extra in (
                ("task.state_changed", {"from": before, "to": after}),
                (TRANSITION[(before, after)], data),
            ):
                block.event(
                    kind,
                    subject="task",
                    subject_id=task_id,
                    at=at,
                    company_id=company.id,
                    actor_id=actor,
                    data={"title": title, "status": after, **extra},
                )
        end = v.get("closed_at") or now
        for k in range(rng.choice([0, 1, 1, 2, 2, 3])):
            at = submitted + (end - submitted) * rng.random()
            from_agency = bool(k % 2)
            author = assignee if from_agency else company.client_user_id
            message_id = writer.add(
                Message,
                task_id=task_id,
                author_id=author,
                body=f"Message {k + 1} about {title}.\n\nThanks!",
                from_agency=from_agency,
                created_at=at,
            )
            block.event(
                "task.message",
                subject="task",
                subject_id=task_id,
                at=at,
                company_id=company.id,
                actor_id=author,
                data={"title": title, "status": status, "message_id": message_id, "via": "web"},
            )
