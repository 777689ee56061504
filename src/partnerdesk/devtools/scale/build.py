"""Build (or grow) the agency block by block.

An agency of ``tickets`` tickets is ``ceil(tickets / BLOCK)`` blocks; block ``i`` draws from its
own ``random.Random(f"{seed}:{i}")``, so a block is the same whatever the total and an agency
of 100,000 tickets grows to 1,000,000 by adding blocks 10 to 99 (what the benchmark does).
Each block is one transaction that also records ``devtools.scale:<tag>:block:<i>:<size>`` in
the defaults ledger (``core.InstalledDefault``): an interrupted run continues where it
stopped, and a database holding anything else is refused unless ``force``.
"""

from __future__ import annotations

import datetime as dt
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from partnerdesk.accounts.models import Role, Team, User
from partnerdesk.core import totals
from partnerdesk.core.models import InstalledDefault
from partnerdesk.crm.models import Company
from partnerdesk.knowledge.models import Article, ArticleStatus
from partnerdesk.portal.models import Task
from partnerdesk.tickets.models import Ticket

from .extras import (
    build_certifications,
    build_deflections,
    build_knowledge,
    build_partner_program,
    build_surveys,
)
from .people import agency_domain, agent_ids, build_companies, build_staff
from .portal import build_portal
from .reference import BLOCK, Reference, Sizes, load
from .state import Block
from .tickets import build_tickets
from .writer import Writer


class ScaleError(Exception):
    """Why the agency cannot be built on this database (the command prints it)."""


@dataclass
class Summary:
    tickets: int
    blocks_built: int
    blocks_kept: int
    seconds: float
    rows: Counter[str]


def block_sizes(tickets: int) -> list[int]:
    full, rest = divmod(tickets, BLOCK)
    return [BLOCK] * full + ([rest] if rest else [])


def marker(ref: Reference, index: int, size: int) -> str:
    return f"devtools.scale:{ref.tag}:block:{index}:{size}"


def built_blocks(ref: Reference) -> dict[int, int]:
    """{block index: its ticket count} of the blocks already built for this seed and now."""
    prefix = f"devtools.scale:{ref.tag}:block:"
    found = {}
    for key in InstalledDefault.objects.filter(key__startswith=prefix).values_list(
        "key", flat=True
    ):
        index, size = key.removeprefix(prefix).split(":")
        found[int(index)] = int(size)
    return found


def other_data() -> str | None:
    """What the database already holds besides the defaults ``migrate`` installs."""
    for model in (Company, Ticket, Task, User):
        count = model.objects.count()
        if count:
            return f"{count:,} {model._meta.verbose_name_plural}"
    return None


def default_now() -> dt.datetime:
    """The start of the current hour (UTC): stable for an hour, and close enough to the real
    clock that the pages read the data as current."""
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def build(
    *,
    tickets: int,
    seed: int,
    now: dt.datetime,
    force: bool = False,
    sizes: Sizes | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
) -> Summary:
    """Build the agency (or the blocks of it still missing); ``progress(tickets done, tickets,
    rows written, tickets there before)`` is called after each block."""
    started = time.monotonic()
    ref = load(now=now, seed=seed, sizes=sizes or Sizes())
    done = built_blocks(ref)
    plan = block_sizes(tickets)
    for index, size in sorted(done.items()):
        if index >= len(plan) or plan[index] != size:
            built = sum(done.values())
            raise ScaleError(
                f"This database holds an agency of {built:,} tickets built with seed {seed} "
                f"and now {now.isoformat()}: it grows in whole blocks of {BLOCK:,} tickets "
                f"only (ask for more tickets, a multiple of {BLOCK:,} before)."
            )
    if not done and (found := other_data()) and not force:
        raise ScaleError(
            f"The database already holds data ({found}). Use an empty, migrated database, "
            "or --force to add the generated agency to it."
        )
    writer = Writer()
    agents = agent_ids(ref)
    admin = (
        User.objects.filter(role=Role.ADMIN, email="admin@" + agency_domain(ref))
        .values_list("pk", flat=True)
        .first()
    )
    articles = list(
        Article.objects.filter(
            slug__startswith=f"{ref.tag}-en-", status=ArticleStatus.PUBLISHED
        ).values_list("pk", "title")
    )
    built = kept = 0
    tickets_done = before = sum(size for index, size in enumerate(plan) if index in done)
    # On PostgreSQL (outside a transaction) a thread writes each block while the next one
    # is made: the database's work (indexes, WAL) and ours overlap.
    background = connection.vendor == "postgresql" and not connection.in_atomic_block
    with Flusher(background=background) as flusher:
        for index, size in enumerate(plan):
            if index in done:
                kept += 1
                continue
            block = Block(
                index=index,
                tickets=size,
                rng=random.Random(f"{seed}:{index}"),  # noqa: S311 (made-up data, not secrets)
                writer=writer,
                ref=ref,
                agents=agents,
                admin_id=admin or 0,
                articles=articles,
            )
            build_block(block)
            lead = block.agents[0] if index == 0 and block.agents else None
            flusher.submit(
                write_block, writer, writer.take(), marker(ref, index, size), lead, background
            )
            admin = admin or block.admin_id
            built += 1
            tickets_done += size
            if progress is not None:
                progress(tickets_done, tickets, sum(writer.written.values()), before)
    if built:
        # On PostgreSQL the blocks are written without triggers (session_replication_role):
        # the running totals, which triggers keep, are recounted once at the end.
        totals.rebuild()
    return Summary(
        tickets=tickets,
        blocks_built=built,
        blocks_kept=kept,
        seconds=time.monotonic() - started,
        rows=writer.written,
    )


def write_block(writer: Writer, batch, key: str, lead: int | None, fast: bool) -> None:
    """One block's rows and its ledger key, in one transaction (``fast``: without the
    foreign-key triggers, when the transaction is ours alone)."""
    with transaction.atomic():
        InstalledDefault.objects.create(key=key)
        if fast:
            writer.skip_foreign_key_checks()
        writer.write(batch)
        writer.reset_sequences()
        if lead is not None:  # the default workflows assign to the support team's lead
            Team.objects.filter(name="Support Team", lead__isnull=True).update(lead_id=lead)


class Flusher:
    """Runs the writes in order, inline or on one background thread (with its own database
    connection); an error there is raised here at the next ``submit`` or at the end."""

    def __init__(self, *, background: bool):
        self.background = background
        self.error: BaseException | None = None
        self.jobs: queue.Queue = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._run, daemon=True) if background else None

    def __enter__(self) -> Flusher:
        if self.thread is not None:
            self.thread.start()
        return self

    def _run(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                if self.error is None:
                    try:
                        job()
                    except BaseException as exc:  # handed to the main thread
                        self.error = exc
        finally:
            connection.close()

    def submit(self, function, *args) -> None:
        if self.error is not None:
            raise self.error
        if self.thread is None:
            function(*args)
        else:
            self.jobs.put(lambda: function(*args))

    def __exit__(self, *exc_info) -> None:
        if self.thread is not None:
            self.jobs.put(None)
            self.thread.join()
        if self.error is not None and exc_info[0] is None:
            raise self.error


def build_block(block: Block) -> None:
    before = len(block.agents)
    build_staff(block)
    build_certifications(block, block.agents[before:])
    build_companies(block)
    build_portal(block)
    if block.index == 0:
        build_knowledge(block)
    build_tickets(block)
    build_deflections(block)
    build_surveys(block)
    build_partner_program(block)


def analyze() -> str:
    """Refresh the planner's statistics (and, on PostgreSQL, the visibility map, as autovacuum
    keeps a live database) after the bulk load; returns what it did."""
    if connection.vendor == "postgresql":
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(command)
        return command
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return "ANALYZE"
