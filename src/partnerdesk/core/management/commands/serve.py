"""Run the web server, a background worker and the scheduler together (local use and the demo)."""

import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server and one background worker; Ctrl+C stops both."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        helpers = [
            subprocess.Popen([sys.executable, sys.argv[0], "db_worker", "--no-reload"]),  # noqa: S603
            subprocess.Popen([sys.executable, sys.argv[0], "run_scheduler"]),  # noqa: S603
        ]
        self.stdout.write(
            f"Background worker and scheduler started (pids {', '.join(str(p.pid) for p in helpers)})."
        )

        def stop(*_args):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            for process in helpers:
                if process.poll() is None:
                    process.terminate()
            for process in helpers:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
