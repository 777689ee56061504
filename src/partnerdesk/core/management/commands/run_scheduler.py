"""Enqueue periodic jobs (SLA sweep, reminders, ...) once per period. Safe to run several."""

import time

from django.core.management.base import BaseCommand

from partnerdesk.core import periodic


class Command(BaseCommand):
    help = "Enqueue periodic background jobs; run one or more next to the workers."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="check once and exit")

    def handle(self, *args, interval, once, **options):
        ticks = 0
        while True:
            names = periodic.enqueue_due_jobs()
            if names:
                self.stdout.write(f"enqueued: {', '.join(names)}")
            ticks += 1
            if ticks % 360 == 0:
                periodic.prune()
            if once:
                return
            time.sleep(interval)
