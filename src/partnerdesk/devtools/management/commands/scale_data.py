"""``manage.py scale_data --tickets 1000000 [--seed N] [--now ISO]``: build a realistic agency.

Refuses a database that already holds data (other than an agency built by this command with
the same seed and now, which it grows) unless ``--force``, and a production installation
(``PARTNERDESK_ENV=production``) unless ``--allow-production``: it writes a year of made-up
clients, people and history.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from partnerdesk.devtools.scale import BLOCK, ScaleError, analyze, build, default_now


def parse_now(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: {value!r} is not an ISO date or date and time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class ProgressBar:
    """One line on stderr, redrawn in place on a terminal (a line per tenth otherwise)."""

    def __init__(self, stream, total: int, width: int = 30):
        self.stream, self.total, self.width = stream, total, width
        self.started = time.monotonic()
        self.tty = stream.isatty()
        self.printed_tenth = -1

    def __call__(self, done: int, total: int, rows: int, before: int = 0) -> None:
        share = done / total if total else 1.0
        elapsed = time.monotonic() - self.started
        eta = elapsed * (total - done) / (done - before) if done > before else 0.0
        filled = round(self.width * share)
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} "
            f"{done:,}/{total:,} tickets, {rows:,} rows written, {_duration(elapsed)} "
            f"(~{_duration(eta)} left)"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        elif int(share * 10) > self.printed_tenth or done >= total:
            self.printed_tenth = int(share * 10)
            self.stream.write(line + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class Command(BaseCommand):
    help = (
        "Build a realistic agency of --tickets tickets (companies, contacts, deals, tickets with "
        "stage history and SLA due times, portal tasks, knowledge base, surveys, partner "
        "program, timelines), reproducibly for a --seed and --now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, required=True, help="tickets in total")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--now",
            type=parse_now,
            default=None,
            help="the agency's 'now', ISO (default: the start of the current hour, UTC)",
        )
        parser.add_argument(
            "--force", action="store_true", help="add to a database that already holds data"
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="run even with PARTNERDESK_ENV=production",
        )
        parser.add_argument(
            "--no-analyze", action="store_true", help="skip VACUUM ANALYZE / ANALYZE at the end"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, tickets, seed, now, force, allow_production, no_analyze, **options):
        if tickets < 1:
            raise CommandError("--tickets must be at least 1")
        if settings.PRODUCTION and not allow_production:
            raise CommandError(
                "PARTNERDESK_ENV=production: this writes made-up clients and history. "
                "Pass --allow-production if this really is a scratch installation."
            )
        now = parse_now(now) if isinstance(now, str) else (now or default_now())
        quiet = options["quiet"] or options["verbosity"] == 0
        bar = None if quiet else ProgressBar(sys.stderr, tickets)
        say = self.stdout.write if options["verbosity"] >= 1 else (lambda text: None)
        say(
            f"Building {tickets:,} tickets (seed {seed}, now {now.isoformat()}, blocks of "
            f"{BLOCK:,}) on {self._database()}"
        )
        try:
            summary = build(tickets=tickets, seed=seed, now=now, force=force, progress=bar)
        except ScaleError as exc:
            raise CommandError(str(exc)) from exc
        if summary.blocks_kept:
            say(f"{summary.blocks_kept} block(s) were there already, kept.")
        analysed = ""
        if summary.blocks_built and not no_analyze:
            started = time.monotonic()
            analysed = f"; {analyze()} {time.monotonic() - started:.1f} s"
        rows = sum(summary.rows.values())
        say(
            f"Wrote {rows:,} rows in {summary.seconds:.1f} s "
            f"({rows / max(summary.seconds, 0.001):,.0f} rows/s){analysed}"
        )
        for label, count in sorted(summary.rows.items(), key=lambda kv: -kv[1]):
            say(f"  {label:40} {count:>12,}")

    @staticmethod
    def _database() -> str:
        db = settings.DATABASES["default"]
        return f"{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')}"
