"""What one block of the generated agency knows while it writes: its random generator, the
writer, the reference data, and the people and companies made so far."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from itertools import accumulate

from partnerdesk.core.models import Event

from .reference import Reference
from .writer import Writer


@dataclass
class ContactInfo:
    id: int
    name: str
    email: str


@dataclass
class CompanyInfo:
    id: int
    name: str
    domain: str
    owner_id: int | None
    contacts: list[ContactInfo] = field(default_factory=list)
    won_deals: list[int] = field(default_factory=list)
    client_user_id: int | None = None  # the client admin of a company on a portal plan
    plan: str | None = None


@dataclass
class Block:
    """Block ``index`` of the agency: ``tickets`` tickets and everything in proportion."""

    index: int
    tickets: int
    rng: random.Random
    writer: Writer
    ref: Reference
    agents: list[int]  # every agent so far (earlier blocks' too): owners and authors
    admin_id: int
    companies: list[CompanyInfo] = field(default_factory=list)
    company_weights: list[float] = field(default_factory=list)  # cumulative, for choices
    # (ticket id, company, contact, owner id, closed at) of closed tickets with a contact, and
    # (task id, company, requester id, assignee id, closed at) of completed tasks: the surveys'
    closed_tickets: list[tuple] = field(default_factory=list)
    completed_tasks: list[tuple] = field(default_factory=list)
    articles: list[tuple[int, str]] = field(default_factory=list)  # published: (id, title)

    @property
    def now(self) -> dt.datetime:
        return self.ref.now

    def weigh_companies(self) -> None:
        """Some clients ask much more than others (a long tail, as in real life)."""
        weights = [self.rng.paretovariate(1.3) for _ in self.companies]
        self.company_weights = list(accumulate(weights))

    def company(self) -> CompanyInfo:
        return self.rng.choices(self.companies, cum_weights=self.company_weights)[0]

    def agent(self) -> int:
        return self.agents[int(self.rng.random() * len(self.agents))]

    def event(
        self,
        kind: str,
        *,
        subject: str,
        subject_id: int,
        at: dt.datetime,
        company_id: int | None,
        actor_id: int | None = None,
        data: dict | None = None,
    ) -> None:
        """A timeline entry, already processed (the workers have nothing to catch up on)."""
        self.writer.add(
            Event,
            kind=kind,
            occurred_at=at,
            actor_id=actor_id,
            subject_type_id=self.ref.content_types[subject],
            subject_id=subject_id,
            company_id=company_id,
            data=data or {},
            processed_at=at,
        )
