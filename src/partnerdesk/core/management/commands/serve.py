"""Run the web server, a background worker and the scheduler together (local use and the demo).

One terminal shows the request log: the worker's task lines are summarised (one line per
failed task, a count every minute; see ``core/tasklog.py`` and ``LOGGING``), and the
scheduler's "enqueued" lines are not shown (its errors are).

Links in emails use ``SITE_URL``; when it is not set, it follows the address served here
(``serve 127.0.0.1:8001`` → ``http://127.0.0.1:8001``), for the web process and the worker
that sends most emails alike. ``make demo`` also runs this with ``DEBUG=0``: people see the
product's own 404 and 500 pages in their language, never Django's debug pages.
"""

import os
import re
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

ADDRPORT = re.compile(r"^(?:(?P<host>\[[0-9a-fA-F:.]+\]|[^:\[\]]+):)?(?P<port>\d{1,5})$")


def site_url_for(addrport: str) -> str:
    """The base URL people reach ``runserver addrport`` at (an address that listens on every
    interface is reached as 127.0.0.1)."""
    match = ADDRPORT.match(addrport.strip())
    if not match:
        raise CommandError(f"{addrport!r} is not an address and port such as 127.0.0.1:8000.")
    host = match["host"] or "127.0.0.1"
    if host in {"0.0.0.0", "0", "[::]"}:  # noqa: S104  (a name for "every interface")
        host = "127.0.0.1"
    return f"http://{host}:{match['port']}"


class Command(BaseCommand):
    help = "Start the web server and one background worker; Ctrl+C stops both."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        if not os.environ.get("SITE_URL"):
            # The children read it from the environment; this process has read its settings.
            os.environ["SITE_URL"] = settings.SITE_URL = site_url_for(addrport)
        helpers = [
            subprocess.Popen([sys.executable, sys.argv[0], "db_worker", "--no-reload"]),  # noqa: S603
            subprocess.Popen(  # noqa: S603
                [sys.executable, sys.argv[0], "run_scheduler"], stdout=subprocess.DEVNULL
            ),
        ]
        self.stdout.write(
            f"Background worker and scheduler started (pids {', '.join(str(p.pid) for p in helpers)})."
        )
        self.stdout.write(
            f"Links in emails point to {settings.SITE_URL}; "
            f"Django's debug pages are {'on' if settings.DEBUG else 'off'}."
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
