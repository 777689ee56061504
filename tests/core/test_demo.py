"""``make demo`` as people meet it (issue 15, item 13): the product's own 404 and 500 pages in
their language (never Django's debug pages), the worker's task lines summarised instead of
filling the request log, ``make demo PORT=…`` with emailed links to that port."""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from partnerdesk.accounts.models import Role
from partnerdesk.core.management.commands import serve
from partnerdesk.core.tasklog import TaskLogSummary
from tests.conftest import login, make_user

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- error pages, DEBUG off


@pytest.fixture
def demo_settings(settings):
    """What ``make demo`` runs with: DEBUG off."""
    settings.DEBUG = False
    return settings


@pytest.mark.django_db
def test_a_missing_page_is_our_404_in_the_users_language(demo_settings):
    italian = make_user("luca@trattoria.test", Role.AGENT, language="it")
    response = login(italian).get("/app/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="it"' in html
    assert "Questa pagina non esiste oppure non hai accesso." in html
    assert "Vai alla pagina iniziale" in html
    assert "Using the URLconf" not in html and "technical_404" not in html
    assert 'class="bell"' in html  # the product's page, with its header


@pytest.mark.django_db
def test_a_missing_page_speaks_the_browsers_language_before_sign_in(demo_settings, client):
    response = client.get("/no-such-page/", headers={"Accept-Language": "ar"})
    html = response.content.decode()
    assert response.status_code == 404
    assert 'lang="ar" dir="rtl"' in html
    assert "هذه الصفحة غير موجودة" in html


@pytest.mark.django_db
def test_a_record_that_is_not_yours_is_the_same_404(demo_settings, client_user, other_company):
    response = login(client_user).get(f"/app/companies/{other_company.pk}/")
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


@pytest.mark.django_db
def test_a_failure_is_our_500_in_the_users_language(demo_settings, client):
    demo_settings.ROOT_URLCONF = "tests.core.error_urls"
    italian = make_user("sofia@trattoria.test", Role.AGENT, language="it")
    page = login(italian)
    page.raise_request_exception = False
    response = page.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="it"' in html and "Traceback" not in html
    assert "a bug" not in html  # nothing of the error reaches the page
    assert "partnerdesk/app.css" in html


@pytest.mark.django_db
def test_an_api_failure_is_a_json_problem(demo_settings, client):
    demo_settings.ROOT_URLCONF = "tests.core.error_urls"
    client.raise_request_exception = False
    response = client.get("/boom/", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


@pytest.mark.django_db
def test_static_files_are_served_with_debug_off(demo_settings, client):
    response = client.get("/static/partnerdesk/app.css")
    assert response.status_code == 200


# ---------------------------------------------------------------- make demo PORT=…


def make_dry_run(*args: str, env: dict | None = None) -> str:
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    return subprocess.run(
        ["make", "-n", "demo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout


def serve_line(output: str) -> str:
    return next(line for line in output.splitlines() if "manage.py serve" in line)


def test_make_demo_serves_with_debug_off_on_port_8000_by_default():
    line = serve_line(make_dry_run())
    assert line.startswith("DEBUG=0 ")
    assert 'SITE_URL="${SITE_URL:-http://127.0.0.1:8000}"' in line
    assert line.endswith("manage.py serve 127.0.0.1:8000")


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_make_demo_takes_a_port_and_links_emails_to_it(how):
    output = make_dry_run("PORT=8001") if how == "argument" else make_dry_run(env={"PORT": "8001"})
    line = serve_line(output)
    assert 'SITE_URL="${SITE_URL:-http://127.0.0.1:8001}"' in line
    assert line.endswith("manage.py serve 127.0.0.1:8001")
    assert "http://127.0.0.1:8001/" in output  # the address it prints
    # demo_data (which may send emails) runs with the same environment.
    assert 'SITE_URL="${SITE_URL:-http://127.0.0.1:8001}"' in next(
        line for line in output.splitlines() if "demo_data" in line
    )


def test_a_site_url_the_shell_sets_wins():
    """SITE_URL set by the user is kept (the shell expands ${SITE_URL:-…} to it)."""
    line = serve_line(make_dry_run("PORT=8001"))
    command = line.replace(".venv/bin/python manage.py serve 127.0.0.1:8001", "echo $SITE_URL")
    shown = subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        env={"SITE_URL": "https://desk.example.com", "PATH": os.environ["PATH"]},
        check=True,
    ).stdout.strip()
    assert shown == "https://desk.example.com"


@pytest.mark.parametrize(
    ("addrport", "url"),
    [
        ("127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("8002", "http://127.0.0.1:8002"),
        ("localhost:9000", "http://localhost:9000"),
        ("0.0.0.0:8000", "http://127.0.0.1:8000"),
        ("[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_serve_knows_the_url_of_its_address(addrport, url):
    assert serve.site_url_for(addrport) == url


def test_serve_refuses_a_bad_address():
    with pytest.raises(serve.CommandError, match="not an address"):
        serve.site_url_for("127.0.0.1:http")


class FakeProcess:
    pid = 4242

    def __init__(self, args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def poll(self):
        return 0

    def wait(self, timeout=None):
        return 0


def run_serve(monkeypatch, addrport: str) -> tuple[list[FakeProcess], dict]:
    started: list[FakeProcess] = []
    seen: dict = {}

    def popen(args, **kwargs):
        started.append(FakeProcess(args, **kwargs))
        return started[-1]

    def runserver(name, addr, **kwargs):
        from django.conf import settings

        seen.update(name=name, addr=addr, site_url=settings.SITE_URL, env=os.environ["SITE_URL"])

    monkeypatch.setattr(serve.subprocess, "Popen", popen)
    monkeypatch.setattr(serve, "call_command", runserver)
    monkeypatch.setattr(serve.signal, "signal", lambda *a: None)
    serve.Command(stdout=io.StringIO()).handle(addrport=addrport)
    return started, seen


def test_serve_points_email_links_at_its_port(monkeypatch, settings):
    # Both are restored afterwards: the variable is recorded before it goes, the setting is
    # overridden (serve changes it for its process).
    monkeypatch.setenv("SITE_URL", "recorded")
    monkeypatch.delenv("SITE_URL")
    settings.SITE_URL = "http://127.0.0.1:8000"
    started, seen = run_serve(monkeypatch, "127.0.0.1:8001")
    # The web process and the worker (which sends most emails) agree.
    assert seen == {
        "name": "runserver",
        "addr": "127.0.0.1:8001",
        "site_url": "http://127.0.0.1:8001",
        "env": "http://127.0.0.1:8001",
    }
    worker, scheduler = started
    assert worker.args[2:] == ["db_worker", "--no-reload"]
    assert worker.args[0] == sys.executable
    # The scheduler's "enqueued: …" lines stay out of the request log; its errors do not.
    assert scheduler.kwargs == {"stdout": subprocess.DEVNULL}


def test_serve_keeps_a_site_url_that_is_set(monkeypatch, settings):
    monkeypatch.setenv("SITE_URL", "https://desk.example.com")
    settings.SITE_URL = "https://desk.example.com"
    _started, seen = run_serve(monkeypatch, "127.0.0.1:8001")
    assert seen["site_url"] == seen["env"] == "https://desk.example.com"


# ---------------------------------------------------------------- the worker's task lines


def task_record(state: str, level=logging.INFO, exc=None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord(
        "django.tasks",
        level,
        __file__,
        1,
        "Task id=%s path=%s state=%s",
        ("a1b2", "partnerdesk.notifications.tasks.send_notification_email", state),
        exc_info,
    )


def test_successful_tasks_are_one_summary_line():
    out = io.StringIO()
    handler = TaskLogSummary(every=3600, stream=out)
    for _ in range(3):
        handler.handle(task_record("RUNNING"))
        handler.handle(task_record("SUCCESSFUL"))
    assert out.getvalue() == ""  # nothing per task
    handler.summarise()
    assert out.getvalue() == "3 background tasks finished in the last 3600 s\n"
    handler.summarise()  # idle: nothing more
    assert out.getvalue().count("\n") == 1
    handler.close()


def test_a_failed_task_is_one_line_at_once():
    out = io.StringIO()
    handler = TaskLogSummary(every=3600, stream=out)
    error = ValueError("SMTP refused: 550 no such user\nmore detail")
    handler.handle(task_record("FAILED", logging.ERROR, error))
    assert out.getvalue() == (
        "Background task failed: partnerdesk.notifications.tasks.send_notification_email "
        "(id a1b2): ValueError: SMTP refused: 550 no such user\n"
    )
    handler.close()


def test_the_summary_comes_by_itself_after_the_interval():
    out = io.StringIO()
    handler = TaskLogSummary(every=0.05, stream=out)
    handler.handle(task_record("SUCCESSFUL"))
    assert handler.timer is not None
    handler.timer.join(2)
    assert out.getvalue() == "1 background task finished in the last 0.05 s\n"
    handler.close()


def test_every_zero_writes_each_task():
    out = io.StringIO()
    handler = TaskLogSummary(every=0, stream=out)
    handler.handle(task_record("SUCCESSFUL"))
    assert "state=SUCCESSFUL" in out.getvalue()


def test_the_settings_send_task_lines_to_the_summary():
    from django.conf import settings

    config = settings.LOGGING
    assert config["loggers"]["django.tasks"]["handlers"] == ["tasks"]
    assert config["loggers"]["django.tasks"]["propagate"] is False
    assert config["handlers"]["tasks"]["()"] == "partnerdesk.core.tasklog.TaskLogSummary"
    handlers = logging.getLogger("django.tasks").handlers
    assert any(isinstance(h, TaskLogSummary) for h in handlers)
