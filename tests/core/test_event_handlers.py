"""Built-in event handlers: by kind, and for every kind (ALL_KINDS)."""

from partnerdesk.core import events
from partnerdesk.core.events import ALL_KINDS, register_handler, run_handlers
from partnerdesk.core.models import Event


def test_handlers_run_for_their_kind_then_for_every_kind(monkeypatch):
    monkeypatch.setattr(events, "_HANDLERS", {})
    seen = []
    register_handler(["deal.created"], lambda e, s: seen.append(("deal", e.kind, s)))
    register_handler([ALL_KINDS], lambda e, s: seen.append(("all", e.kind, s)))

    run_handlers(Event(kind="deal.created"), "subject")
    run_handlers(Event(kind="ticket.created"), None)

    assert seen == [
        ("deal", "deal.created", "subject"),
        ("all", "deal.created", "subject"),
        ("all", "ticket.created", None),
    ]


def test_a_handler_registered_twice_runs_once(monkeypatch):
    monkeypatch.setattr(events, "_HANDLERS", {})
    seen = []

    def handler(event, subject):
        seen.append(event.kind)

    register_handler([ALL_KINDS], handler)
    register_handler([ALL_KINDS], handler)
    run_handlers(Event(kind="x.y"), None)
    assert seen == ["x.y"]
