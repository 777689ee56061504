"""``manage.py check_totals [--fix]``: recompute every running total the database keeps
(``core.totals``: each person's open work, the deals' values per stage, the tickets per stage)
from the records and compare.

Exits with an error listing the differences when they disagree; ``--fix`` then replaces the
kept figures with the recount.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from partnerdesk.core import totals


class Command(BaseCommand):
    help = "Compare the running totals the database keeps with a recount of the records."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="replace them with the recount")

    def handle(self, *args, fix: bool, **options):
        wrong = 0
        for kept in totals.registered():
            differences = totals.differences(kept)
            if not differences:
                figures = len(totals.kept(kept))
                self.stdout.write(f"{kept.name}: agrees with a recount ({figures} figures).")
                continue
            wrong += len(differences)
            names = ", ".join((*kept.keys, *kept.sums))
            self.stdout.write(f"{kept.name}: ({names}) kept → recounted")
            for key, (have, want) in sorted(differences.items()):
                self.stdout.write(f"  {key}: {have} → {want}")
        if not wrong:
            return
        if fix:
            totals.rebuild()
            self.stdout.write(f"Fixed: {wrong} figure(s) replaced by the recount.")
            return
        raise CommandError(
            f"{wrong} running total(s) disagree with a recount; run with --fix to replace them."
        )
