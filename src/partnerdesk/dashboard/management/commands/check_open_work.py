"""``manage.py check_open_work [--fix]``: recompute each person's open work from the tickets and
client tasks and compare it with what the database keeps (``dashboard.open_work``).

Exits with an error listing the differences when they disagree; ``--fix`` then replaces the
kept figures with the recomputed ones.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from partnerdesk.dashboard import open_work


class Command(BaseCommand):
    help = "Compare each person's kept open work with a recount of the tickets and tasks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="replace the kept figures with the recount"
        )

    def handle(self, *args, fix: bool, **options):
        differences = open_work.differences()
        if not differences:
            people = len({person for person, _kind in open_work.kept()})
            self.stdout.write(f"Open work agrees with a recount ({people} people with open work).")
            return
        for (person, kind), (kept, recounted) in sorted(differences.items()):
            self.stdout.write(f"  user {person}, {kind}: kept {kept}, recounted {recounted}")
        if fix:
            open_work.rebuild()
            self.stdout.write(f"Fixed: {len(differences)} figure(s) replaced by the recount.")
            return
        raise CommandError(
            f"{len(differences)} open-work figure(s) disagree with a recount; "
            "run with --fix to replace them."
        )
