"""A real HTTP receiver on 127.0.0.1, and the task and event plumbing the webhook tests use.

``receiver`` records every request (path, headers, raw body) and answers from a script: each
scripted answer is used once, then 200 "ok"; ``delay`` makes it slow (for timeouts).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from partnerdesk.webhooks import services
from tests.automation import DeferringImmediateBackend, reset_task_backends


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Receiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.script.clear()

    def answer_next(self, *answers: Answer) -> None:
        with self.lock:
            self.script.extend(answers)

    def fail_next(self, n: int, status: int = 500) -> None:
        self.answer_next(*[Answer(status, b"boom")] * n)

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def take(self, request: Received) -> Answer:
        with self.lock:
            self.requests.append(request)
            return self.script.pop(0) if self.script else Answer()


@pytest.fixture(scope="session")
def http_receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = state.take(Received(self.path, dict(self.headers.items()), body))
            if answer.delay:
                time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:  # the client gave up (a timeout test)
                pass

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
def receiver(http_receiver) -> Receiver:
    http_receiver.reset()
    return http_receiver


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the on-commit callbacks (event dispatch, sends) at the end,
    as a real commit would; callbacks added by those callbacks run too."""

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield callbacks

    return run


@pytest.fixture
def deferring_tasks(settings):
    """Tasks run at once, but retries deferred with run_after wait in the returned list."""
    settings.TASKS = {"default": {"BACKEND": "tests.automation.DeferringImmediateBackend"}}
    reset_task_backends()
    DeferringImmediateBackend.deferred.clear()
    yield DeferringImmediateBackend.deferred
    DeferringImmediateBackend.deferred.clear()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    reset_task_backends()


@pytest.fixture
def make_endpoint(admin, receiver):
    """make_endpoint(**fields) -> (endpoint, secret), pointing at the receiver by default."""

    def make(**fields):
        fields.setdefault("name", "Receiver")
        fields.setdefault("url", f"{receiver.url}/hooks/partnerdesk")
        if "event_kinds" not in fields:
            fields.setdefault("all_events", True)
        return services.endpoint_create(by=admin, **fields)

    return make
