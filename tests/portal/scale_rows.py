"""Client tasks in bulk, for the PostgreSQL scale test of the task pages
(tests/portal/test_scale_postgres.py).

``TaskRows`` writes task ``i`` for company ``i % len(companies)`` as that company's ``k``-th
newest task (``k = i // len(companies)``), about one a day: the first rows of each company are
its current work, the later ones its history, older and older. So growing from 2,000 to
200,000 rows leaves every company's open work as it was and adds years of closed history, as
a task desk that has run for a while holds (at 200 companies and 200,000 tasks, 99 % closed).

A company's newest tasks are its open work, at most 9 and varied by company: up to two in
triage (the second waiting on the client), one pending approval, up to three working (no more
than its plan's slots; past their estimated completion at one company in five), one to four
accepted in queue order (queue positions 1, 2, …). So its first ten rows hold closed ones too.
Older tasks are closed: mostly complete, some declined or withdrawn. Every
``MESSAGE_EVERY``-th task, and every task of a company with a client user, has a thread of
three messages (client, agency, client).
Written with bulk_create from precomputed values: no service call per row.
"""

from __future__ import annotations

import datetime as dt

from django.db.models.base import ModelState

from partnerdesk.portal.models import Message, Status, Task, TaskCategory, WaitingOn
from tests.reports.scale_rows import explicit_created_at

BATCH = 5_000
MESSAGE_EVERY = 10  # tasks with a thread
H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


class TaskRows:
    def __init__(
        self, now, *, companies, slots: dict[int, int], agents, clients: dict[int, object]
    ):
        """``slots``: each company's plan slots (0 without a plan); ``clients``: the client
        user who asks for a company's tasks (by company id), if any."""
        self.now = now
        self.companies = companies
        self.slots = slots
        self.agents = agents
        self.clients = clients
        self.categories = list(TaskCategory.objects.filter(is_consultation=False).order_by("pk"))
        self.blank = {k: v for k, v in Task().__dict__.items() if k != "_state"}
        self.count = 0
        self.messages = 0

    def status(self, c: int, k: int) -> tuple[str, int | None]:
        """Company number ``c``'s ``k``-th newest task: its status and queue position. A
        company's open work is at most 9 tasks, so its first 10 rows hold closed ones too."""
        triage = c % 3  # 0, 1 or 2 in triage
        pending = int(c % 4 != 3)
        working = min(self.slots[self.companies[c].pk], 1 + c % 3)
        accepted = 1 + c % 4
        if k < triage:
            return Status.TRIAGE, None
        k -= triage
        if k < pending:
            return Status.PENDING_APPROVAL, None
        k -= pending
        if k < working:
            return Status.WORKING, None
        k -= working
        if k < accepted:
            return Status.ACCEPTED, k + 1  # the queue, in order
        if k % 20 == 7:
            return Status.DECLINED, None
        if k % 20 == 13:
            return Status.WITHDRAWN, None
        return Status.COMPLETE, None

    def task(self, i: int) -> Task:
        n = len(self.companies)
        c, k = i % n, i // n
        company = self.companies[c]
        status, position = self.status(c, k)
        created = self.now - k * DAY - (c * 37 % 1440) * dt.timedelta(minutes=1) - H
        client = self.clients.get(company.pk)
        v = self.blank | {
            "company_id": company.pk,
            "title": f"Scale task {i}",
            "category_id": self.categories[i % len(self.categories)].pk,
            "status": status,
            "waiting_on": WaitingOn.AGENCY,
            "requested_by_id": client.pk if client and i % 2 else None,
            "assignee_id": self.agents[i % len(self.agents)].pk if i % 5 else None,
            "queue_position": position,
            "created_at": created,
            "updated_at": created,
        }
        if status == Status.TRIAGE:
            v["waiting_on"] = WaitingOn.CLIENT if k == 1 else WaitingOn.AGENCY
            v["assignee_id"] = None
        else:
            v |= {"estimate_minutes": 60 * (1 + i % 8), "accepted_at": created + H}
        if status in (Status.WORKING, Status.PENDING_APPROVAL, Status.COMPLETE):
            v["started_at"] = created + 2 * H
            v["estimated_completion"] = created + 2 * H + v["estimate_minutes"] * H / 60
        if status == Status.WORKING and c % 5 == 0:
            v["estimated_completion"] = self.now - 3 * H  # past its estimate
        elif status == Status.WORKING:
            v["estimated_completion"] = self.now + (1 + c % 9) * DAY
        if status == Status.PENDING_APPROVAL:
            v |= {
                "waiting_on": WaitingOn.CLIENT,
                "delivered_at": created + 6 * H,
                "next_reminder_at": self.now + (1 + c % 5) * DAY,
            }
        if status == Status.COMPLETE:
            v |= {
                "waiting_on": WaitingOn.NOBODY,
                "delivered_at": created + 6 * H,
                "closed_at": created + 8 * H + (i % 48) * H,
            }
        elif status in (Status.DECLINED, Status.WITHDRAWN):
            v |= {
                "waiting_on": WaitingOn.NOBODY,
                "estimate_minutes": None,
                "accepted_at": None,
                "closed_at": created + 3 * H,
                "decline_reason": "Out of scope" if status == Status.DECLINED else "",
            }
        task = Task.__new__(Task)
        task.__dict__.update(v, _state=ModelState())
        return task

    def _thread(self, task: Task) -> list[Message]:
        rows = []
        for n, from_agency in enumerate((False, True, False)):
            message = Message.__new__(Message)
            message.__dict__.update(
                id=None,
                task_id=task.pk,
                author_id=(
                    self.agents[task.pk % len(self.agents)].pk
                    if from_agency
                    else task.requested_by_id
                ),
                body=f"Message {n} about {task.title}",
                via="web",
                email_message_id=None,
                from_agency=from_agency,
                created_at=task.created_at + (n + 1) * H,
                _state=ModelState(),
            )
            rows.append(message)
        return rows

    def grow_to(self, total: int) -> None:
        with explicit_created_at(Task), explicit_created_at(Message):
            while self.count < total:
                n = min(BATCH, total - self.count)
                tasks = [self.task(self.count + k) for k in range(n)]
                Task.objects.bulk_create(tasks, batch_size=BATCH)
                messages = [
                    m
                    for t in tasks
                    if t.company_id in self.clients
                    or int(t.title.rsplit(" ", 1)[1]) % MESSAGE_EVERY == 0
                    for m in self._thread(t)
                ]
                Message.objects.bulk_create(messages, batch_size=BATCH)
                self.messages += len(messages)
                self.count += n
