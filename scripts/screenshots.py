"""Screenshots of the main pages with the demo agency, for docs/screenshots/.

    .venv/bin/python scripts/screenshots.py                  # self-contained (a few minutes)
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000   # a running `make demo`

Self-contained, it migrates a temporary SQLite database, loads the demo agency
(``manage.py demo_data``), serves it on a free local port, signs in as each demo role in
Chromium (Debian's package, or ``$PARTNERDESK_CHROMIUM``) and saves each page at a desktop's
1280×800 and a few at a phone's 390×844, then stops the server and removes the database. With
``--url`` it photographs a demo already running there (its database is the one
``DATABASE_URL`` names, the default of ``make demo`` when unset), in which the demo's records
are looked up.

Only the first screen of each page is saved (not the whole page), so the files stay small and
show what a person sees on opening the page. The list, with what each shows, is
docs/screenshots/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
DESKTOP = (1280, 800)
PHONE = (390, 844)

ADMIN = "admin@demo.partnerdesk.test"
MANAGER = "manager@demo.partnerdesk.test"
AGENT = "agent@demo.partnerdesk.test"
CLIENT = "client@niledental.com"


@dataclass(frozen=True)
class Shot:
    name: str  # the file: docs/screenshots/<name>.png
    email: str  # who is signed in
    path: Callable[[], str]  # the page (looked up in the demo's records when it names one)
    viewport: tuple[int, int] = DESKTOP  # width, height
    language: str = "en"


# ---------------------------------------------------------------- the demo's records


def ticket_page() -> str:
    """The Nile Dental ticket with the most notes: a conversation, an SLA, a timeline."""
    from django.db.models import Count

    from partnerdesk.tickets.models import Ticket

    ticket = (
        Ticket.objects.filter(company__name="Nile Dental Clinics")
        .annotate(n=Count("notes"))
        .order_by("-n", "pk")
        .first()
    )
    return f"/app/tickets/{ticket.pk}/" if ticket else "/app/tickets/"


def company_page() -> str:
    from partnerdesk.crm.models import Company

    return f"/app/companies/{Company.objects.get(name='Nile Dental Clinics').pk}/"


def task_page() -> str:
    """The client's task with the longest message thread."""
    from django.db.models import Count

    from partnerdesk.portal.models import Task

    task = (
        Task.objects.filter(company__name="Nile Dental Clinics")
        .annotate(n=Count("messages"))
        .order_by("-n", "pk")
        .first()
    )
    return f"/portal/tasks/{task.pk}/" if task else "/portal/tasks/"


def fixed(path: str) -> Callable[[], str]:
    return lambda: path


SHOTS = [
    Shot("staff-home", AGENT, fixed("/app/")),
    Shot("ticket-list", AGENT, fixed("/app/tickets/")),
    Shot("ticket-board", AGENT, fixed("/app/tickets/board/")),
    Shot("ticket-page", AGENT, ticket_page),
    Shot("deal-board", MANAGER, fixed("/app/deals/board/")),
    Shot("company-page", MANAGER, company_page),
    Shot("partner-program-standing", MANAGER, fixed("/app/partner/")),
    Shot("partner-dashboard", MANAGER, fixed("/app/partner/dashboard/")),
    Shot("automations", ADMIN, fixed("/app/settings/automations/")),
    Shot("portal-home", CLIENT, fixed("/portal/")),
    Shot("portal-tasks", CLIENT, fixed("/portal/tasks/")),
    Shot("portal-task", CLIENT, task_page),
    Shot("phone-staff-home", AGENT, fixed("/app/"), PHONE),
    Shot("phone-ticket-page", AGENT, ticket_page, PHONE),
    Shot("phone-portal-home-arabic", CLIENT, fixed("/portal/"), PHONE, "ar"),
]


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen | None:
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(command, env=env, cwd=ROOT, **kwargs)  # noqa: S603
    subprocess.run(command, env=env, cwd=ROOT, check=True, **kwargs)  # noqa: S603
    return None


def wait_until_up(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5):  # noqa: S310 (our server)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@contextlib.contextmanager
def demo_server() -> Iterator[str]:
    """A demo agency on a temporary SQLite database, served on a free port."""
    tmp = Path(tempfile.mkdtemp(prefix="partnerdesk-screenshots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "PARTNERDESK_PRIVATE_ROOT": str(tmp / "private"),
        "EMAIL_URL": "dummy:",
        "DEBUG": "0",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "PARTNERDESK_PRIVATE_ROOT")})
    print("Loading the demo agency into a temporary database…", flush=True)
    manage("migrate", "--noinput", env=env, stdout=subprocess.DEVNULL)
    manage("demo_data", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = manage(
        "runserver",
        f"127.0.0.1:{port}",
        "--noreload",
        env={**env, "SITE_URL": url},
        background=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert server is not None
    try:
        wait_until_up(url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- the pictures


def chromium() -> str:
    path = os.environ.get("PARTNERDESK_CHROMIUM") or shutil.which("chromium")
    if not path:
        sys.exit("Chromium not found: apt install chromium, or set PARTNERDESK_CHROMIUM.")
    return path


def photograph(url: str, shots: list[Shot]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from partnerdesk.accounts.models import User
    from partnerdesk.crm.demo import DEMO_PASSWORD

    OUT.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for shot in shots:
            user = User.objects.get(email=shot.email)
            language = user.language
            User.objects.filter(pk=user.pk).update(language=shot.language)
            try:
                context = browser.new_context(
                    base_url=url,
                    viewport={"width": shot.viewport[0], "height": shot.viewport[1]},
                    locale="en-US",
                    device_scale_factor=1,
                )
                page = context.new_page()
                page.goto("/accounts/login/")
                page.locator("input[name=username]").fill(shot.email)
                page.locator("input[name=password]").fill(DEMO_PASSWORD)
                page.locator("main button[type=submit]").click()
                page.wait_for_url(lambda u: "/accounts/login/" not in u)
                page.goto(shot.path(), wait_until="networkidle")
                page.wait_for_timeout(300)  # charts finish their first draw
                path = OUT / f"{shot.name}.png"
                page.screenshot(path=str(path), animations="disabled", caret="hide")
                saved.append(path)
                print(f"  {path.relative_to(ROOT)}  {page.url}", flush=True)
                context.close()
            finally:
                User.objects.filter(pk=user.pk).update(language=language)
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="photograph a demo already running at this address")
    parser.add_argument("--only", nargs="*", help="only these shots (names without .png)")
    options = parser.parse_args()
    shots = [s for s in SHOTS if not options.only or s.name in options.only]

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    # Playwright's sync API runs an event loop in this thread; the ORM calls between its
    # steps never run inside it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    server = contextlib.nullcontext(options.url.rstrip("/")) if options.url else demo_server()
    with server as url:
        import django

        django.setup()
        print(f"Photographing {url}:", flush=True)
        saved = photograph(url, shots)
    print(f"{len(saved)} screenshots in {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
