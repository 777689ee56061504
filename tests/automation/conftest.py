"""Real local servers for the automation tests, and the settings that point the app at them.

- ``mailbox``: an aiosmtpd SMTP server on 127.0.0.1; the app's default mailer is Django's SMTP
  backend pointed at it, so every notification email really travels over SMTP.
- ``remote``: a threaded HTTP server on 127.0.0.1 that records Slack incoming-webhook posts and
  plays the GitHub REST API (POST /repos/{owner}/{repo}/issues -> 201 {"number": N}); it can
  be told to answer 500 to the next k calls, to exercise retries.
- ``integrations``: IntegrationSettings saved through the service, pointing at ``remote``.
"""

from __future__ import annotations

import email
import json
import re
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from partnerdesk.accounts.models import Role, Team
from partnerdesk.automation import services as automation_services
from tests.automation import DeferringImmediateBackend, reset_task_backends
from tests.conftest import make_user

GITHUB_REPOSITORY = "agency/backoffice"
GITHUB_TOKEN = "ghp_local_test_token"
WEBHOOK_SECRET = "local-webhook-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- SMTP


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return part.get_content()
        raise AssertionError(f"no {content_type} part in {self.message.get_content_type()}")

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")


class Collector:
    def __init__(self):
        self.messages: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


@pytest.fixture(scope="session")
def smtp_server():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings) -> Collector:
    """The SMTP server's inbox (emptied); the app sends through SMTP to it."""
    collector, port = smtp_server
    with collector.lock:
        collector.messages.clear()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    return collector


# ---------------------------------------------------------------- HTTP (Slack + GitHub)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None


@dataclass
class Remote:
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    slack_statuses: list[int] = field(default_factory=list)  # answers to the next Slack posts
    github_failures: int = 0  # answer 500 to the next k issue creations
    next_issue: int = 41
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.slack_statuses.clear()
            self.github_failures = 0
            self.next_issue = 41

    @property
    def slack_url(self) -> str:
        return f"{self.url}/slack/T000/B000/XXXX"

    @property
    def slack_posts(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith("/slack/")]

    @property
    def github_calls(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith("/repos/")]

    def answer(self, request: Request) -> tuple[int, dict | str]:
        with self.lock:
            self.requests.append(request)
            if request.path.startswith("/slack/"):
                status = self.slack_statuses.pop(0) if self.slack_statuses else 200
                return status, "ok" if status == 200 else "server_error"
            if re.fullmatch(r"/repos/[^/]+/[^/]+/issues", request.path):
                if self.github_failures > 0:
                    self.github_failures -= 1
                    return 500, {"message": "Server Error"}
                self.next_issue += 1
                return 201, {
                    "number": self.next_issue,
                    "html_url": f"https://github.com{request.path[6:]}/{self.next_issue}",
                }
            return 404, {"message": "Not Found"}


@pytest.fixture(scope="session")
def http_server():
    state = Remote()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            status, payload = state.answer(
                Request("POST", self.path, dict(self.headers.items()), body)
            )
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "text/plain" if isinstance(payload, str) else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def remote(http_server) -> Remote:
    http_server.reset()
    return http_server


@pytest.fixture
def integrations(admin, remote):
    return automation_services.integrations_save(
        by=admin,
        github_api_url=remote.url,
        github_repository=GITHUB_REPOSITORY,
        github_token=GITHUB_TOKEN,
        github_webhook_secret=WEBHOOK_SECRET,
        slack_webhook_url=remote.slack_url,
    )


# ---------------------------------------------------------------- events and tasks


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the on-commit callbacks (event dispatch, emails) at the end,
    as the commit of a real request would; callbacks added by those callbacks run too."""

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield callbacks

    return run


@pytest.fixture
def deferring_tasks(settings):
    """Tasks run at once, but retries deferred with run_after wait for ``run_deferred()``."""
    settings.TASKS = {"default": {"BACKEND": "tests.automation.DeferringImmediateBackend"}}
    reset_task_backends()
    DeferringImmediateBackend.deferred.clear()
    yield DeferringImmediateBackend.deferred
    DeferringImmediateBackend.deferred.clear()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    reset_task_backends()


# ---------------------------------------------------------------- people


@pytest.fixture
def support_lead(db):
    lead = make_user("lead@agency.test", Role.AGENT)
    team = Team.objects.get(name="Support Team")
    team.members.add(lead)
    team.lead = lead
    team.save(update_fields=["lead"])
    return lead


@pytest.fixture
def provisioning(db):
    """The Email Provisioning team: one member per language."""
    team = Team.objects.get(name="Email Provisioning")
    members = [
        make_user("prov-en@agency.test", Role.AGENT, language="en"),
        make_user("prov-it@agency.test", Role.AGENT, language="it"),
        make_user("prov-ar@agency.test", Role.AGENT, language="ar"),
    ]
    team.members.add(*members)
    return team, members


@pytest.fixture
def website_team(db):
    team = Team.objects.get(name="Website Team")
    members = [
        make_user("web-a@agency.test", Role.AGENT),
        make_user("web-b@agency.test", Role.AGENT),
    ]
    team.members.add(*members)
    return team, members
