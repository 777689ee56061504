"""Outgoing webhooks end to end: a change records an event, the outbox makes one delivery per
endpoint, a task POSTs it (signed) to a real local HTTP server, failures retry with backoff,
every attempt is logged with its response, and an admin can replay."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import time

import pytest
from django.db import transaction
from django.utils import timezone

from partnerdesk.automation import engine
from partnerdesk.core import crypto
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import record_event, run_handlers
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm
from partnerdesk.webhooks import handlers, sending, services, signing, tasks
from partnerdesk.webhooks.kinds import EVENT_KINDS
from partnerdesk.webhooks.models import Attempt, Delivery, DeliveryStatus
from tests.automation import run_deferred
from tests.webhooks.conftest import Answer

pytestmark = pytest.mark.django_db

SECRET_VALUE = "hunter2-registrar-password"


def receiver_verifies(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """What docs/webhooks.md tells a receiver to do, with the standard library only."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    t = int(fields["t"])
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(time.time() - t) <= tolerance and hmac.compare_digest(expected, fields["v1"])


def make_deal(admin, company, email_pipeline, name="Webhook deal"):
    return crm.deal_create(by=admin, name=name, pipeline=email_pipeline, company=company)


# ---------------------------------------------------------------- delivered and signed


def test_an_event_is_posted_signed_so_the_receiver_can_verify_it(
    dispatch, committed, receiver, make_endpoint, admin, company, email_pipeline
):
    endpoint, secret = make_endpoint(event_kinds=["deal.created"])
    with committed():
        deal = make_deal(admin, company, email_pipeline)

    [request] = receiver.received()
    assert request.path == "/hooks/partnerdesk"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["partnerdesk-event"] == "deal.created"
    signature = headers["partnerdesk-signature"]
    assert receiver_verifies(secret, signature, request.body)
    assert signing.verify(secret, signature, request.body)
    # Anything else fails: another body, another secret, an old timestamp.
    assert not receiver_verifies(secret, signature, request.body + b" ")
    assert not receiver_verifies("whsec_other", signature, request.body)
    assert not signing.verify(secret, signature, request.body, now=time.time() + 3600)

    payload = json.loads(request.body)
    event = Event.objects.get(kind="deal.created", subject_id=deal.pk)
    assert payload == {
        "id": event.pk,
        "kind": "deal.created",
        "created_at": event.occurred_at.isoformat(),
        "subject": {"type": "deal", "id": deal.pk},
        "company_id": company.pk,
        "data": event.data,
    }
    assert headers["partnerdesk-event-id"] == str(event.pk)

    delivery = Delivery.objects.get(endpoint=endpoint, event=event)
    assert headers["partnerdesk-delivery"] == str(delivery.pk)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None
    [attempt] = delivery.attempt_log.all()
    assert (attempt.number, attempt.status_code, attempt.response_body) == (1, 200, "ok")
    assert attempt.succeeded and attempt.error == ""
    assert attempt.request_headers[signing.HEADER] == signature


def test_the_secret_is_stored_encrypted(make_endpoint):
    endpoint, secret = make_endpoint()
    assert secret.startswith("whsec_") and len(secret) > 40
    endpoint.refresh_from_db()
    assert secret not in endpoint.secret
    assert crypto.decrypt(endpoint.secret) == secret


def test_only_the_kinds_an_endpoint_takes(
    dispatch, committed, receiver, make_endpoint, admin, company, email_pipeline
):
    stage_only, _secret = make_endpoint(name="Stage moves", event_kinds=["deal.stage_changed"])
    everything, _secret = make_endpoint(name="Everything", all_events=True)
    off, _secret = make_endpoint(name="Off", all_events=True, enabled=False)
    with committed():
        make_deal(admin, company, email_pipeline)
    assert not Delivery.objects.filter(endpoint__in=[stage_only, off]).exists()
    assert list(Delivery.objects.filter(endpoint=everything).values_list("kind", flat=True)) == [
        "deal.created"
    ]
    assert len(receiver.received()) == 1


def test_all_events_include_kinds_no_app_offers(dispatch, committed, receiver, make_endpoint, deal):
    """ "All events" takes every kind, even one outside the catalogue (automation's)."""
    assert "workflow.ran" not in EVENT_KINDS
    endpoint, _secret = make_endpoint(all_events=True)
    with committed(), transaction.atomic():
        record_event(kind="workflow.ran", subject=deal, company_id=deal.company_id)
    assert Delivery.objects.get(endpoint=endpoint).kind == "workflow.ran"


def test_an_endpoint_gets_no_event_from_before_it_existed(
    receiver, make_endpoint, admin, company, email_pipeline
):
    with transaction.atomic():
        make_deal(admin, company, email_pipeline)  # recorded, not processed yet
    event = Event.objects.get(kind="deal.created")
    make_endpoint(all_events=True)
    engine.process_event(event.pk)
    assert not Delivery.objects.filter(event=event).exists()
    assert receiver.received() == []


# ---------------------------------------------------------------- exactly once


def test_one_delivery_per_event_and_endpoint_when_the_handler_runs_twice(
    receiver, make_endpoint, admin, company, email_pipeline, django_capture_on_commit_callbacks
):
    first, _secret = make_endpoint(name="First")
    second, _secret = make_endpoint(name="Second")
    with transaction.atomic():
        deal = make_deal(admin, company, email_pipeline)
    event = Event.objects.get(kind="deal.created", subject_id=deal.pk)

    with django_capture_on_commit_callbacks(execute=True):
        run_handlers(event, deal)
        handlers.handle_event(event, deal)  # a retried event, a second worker
    with django_capture_on_commit_callbacks(execute=True):
        engine.process_event(event.pk)  # the worker's path, yet again

    deliveries = Delivery.objects.filter(event=event)
    assert sorted(deliveries.values_list("endpoint_id", flat=True)) == [first.pk, second.pk]
    assert len(receiver.received()) == 2  # one POST per endpoint
    assert services.deliveries_for_event(event) == []  # nothing new to send


def test_a_delivery_already_sent_is_not_sent_again_by_a_stale_task(
    dispatch, committed, receiver, make_endpoint, admin, company, email_pipeline
):
    make_endpoint()
    with committed():
        make_deal(admin, company, email_pipeline)
    delivery = Delivery.objects.get()
    assert tasks.send_delivery.call(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.received()) == 1


# ---------------------------------------------------------------- retries, then failed


def test_failures_retry_with_growing_capped_backoff_then_fail(
    dispatch, committed, deferring_tasks, receiver, make_endpoint, admin, company, email_pipeline
):
    make_endpoint(event_kinds=["deal.created"])
    receiver.fail_next(100)
    with committed():
        make_deal(admin, company, email_pipeline)
    delivery = Delivery.objects.get()

    waits = []
    for attempt in range(1, sending.MAX_ATTEMPTS):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, attempt)
        [deferred] = deferring_tasks
        assert deferred.task.run_after == delivery.next_attempt_at
        waits.append(round((delivery.next_attempt_at - timezone.now()).total_seconds() / 60))
        run_deferred()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == sending.MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500")
    assert deferring_tasks == []  # given up: nothing scheduled
    assert waits == [1, 2, 4, 8, 16, 32, 60]  # minutes: doubling, capped at an hour
    assert len(receiver.received()) == sending.MAX_ATTEMPTS
    numbers = list(delivery.attempt_log.order_by("number").values_list("number", "status_code"))
    assert numbers == [(n, 500) for n in range(1, sending.MAX_ATTEMPTS + 1)]


def test_a_retry_that_succeeds_clears_the_error(
    dispatch, committed, deferring_tasks, receiver, make_endpoint, admin, company, email_pipeline
):
    make_endpoint()
    receiver.fail_next(2, status=503)
    with committed():
        make_deal(admin, company, email_pipeline)
    run_deferred()
    run_deferred()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("succeeded", 3, "")
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [503, 503, 200]
    # Every attempt is signed afresh, over the same body.
    bodies = {r.body for r in receiver.received()}
    assert len(bodies) == 1


# ---------------------------------------------------------------- what is logged


def test_the_response_is_logged_truncated(
    dispatch, committed, receiver, make_endpoint, admin, company, email_pipeline
):
    make_endpoint()
    receiver.answer_next(Answer(422, b"no\x00pe " + b"x" * 20_000))
    with committed():
        make_deal(admin, company, email_pipeline)
    attempt = Attempt.objects.get()
    assert attempt.status_code == 422
    assert attempt.error == "HTTP 422"
    assert not attempt.succeeded
    assert attempt.response_body.startswith("no\ufffdpe xxx")
    assert len(attempt.response_body) == sending.BODY_LIMIT
    assert attempt.duration_ms >= 0


def test_redirects_are_not_followed(
    dispatch, committed, receiver, make_endpoint, admin, company, email_pipeline
):
    make_endpoint()
    receiver.answer_next(Answer(307, b"", {"Location": "/elsewhere"}))
    with committed():
        make_deal(admin, company, email_pipeline)
    [request] = receiver.received()
    assert request.path == "/hooks/partnerdesk"
    attempt = Attempt.objects.get()
    assert attempt.status_code == 307
    assert "redirects are not followed" in attempt.error
    assert "/elsewhere" in attempt.error
    assert Delivery.objects.get().status == DeliveryStatus.RETRYING


def test_a_refused_connection_is_logged(
    dispatch, committed, make_endpoint, admin, company, email_pipeline
):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    make_endpoint(url=f"http://127.0.0.1:{port}/hook")
    with committed():
        make_deal(admin, company, email_pipeline)
    attempt = Attempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("ConnectError")
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_error == attempt.error


def test_a_slow_receiver_times_out(
    dispatch, committed, receiver, make_endpoint, admin, company, email_pipeline, monkeypatch
):
    monkeypatch.setattr(sending, "TIMEOUT_SECONDS", 0.3)
    make_endpoint()
    receiver.answer_next(Answer(200, b"late", delay=1.5))
    with committed():
        make_deal(admin, company, email_pipeline)
    attempt = Attempt.objects.get()
    assert attempt.error.startswith("ReadTimeout")
    assert attempt.duration_ms < 1500


# ---------------------------------------------------------------- replay


@pytest.fixture
def failed_delivery(
    receiver, make_endpoint, admin, company, email_pipeline, django_capture_on_commit_callbacks
) -> Delivery:
    """A delivery whose one attempt got a 500 and that is failed (as after its last retry)."""
    make_endpoint()
    receiver.fail_next(1)
    with transaction.atomic():
        make_deal(admin, company, email_pipeline)
    with django_capture_on_commit_callbacks(execute=True):
        engine.process_event(Event.objects.get(kind="deal.created").pk)
    Delivery.objects.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    return Delivery.objects.get()


def test_an_admin_replays_a_failed_delivery_as_a_new_attempt(
    receiver, failed_delivery, admin, django_capture_on_commit_callbacks
):
    delivery = failed_delivery
    assert delivery.attempt_log.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_replay(by=admin, delivery=delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.round) == ("succeeded", 1, 1)
    assert (delivery.replayed_by, delivery.last_error) == (admin, "")
    first, second = delivery.attempt_log.order_by("number")
    assert (first.number, first.round, first.status_code) == (1, 0, 500)
    assert (second.number, second.round, second.status_code) == (2, 1, 200)
    original, replayed = receiver.received()
    assert original.body == replayed.body  # the same event, the same id: receivers dedupe


def test_replay_is_for_admins_and_not_while_sending(failed_delivery, admin, agent):
    delivery = failed_delivery
    with pytest.raises(DomainError) as refused:
        services.delivery_replay(by=agent, delivery=delivery)
    assert refused.value.status == 403
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING)
    with pytest.raises(DomainError) as busy:
        services.delivery_replay(by=admin, delivery=delivery)
    assert (busy.value.status, busy.value.code) == (409, "already_queued")
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    services.endpoint_update(by=admin, endpoint=delivery.endpoint, enabled=False)
    with pytest.raises(DomainError) as disabled:
        services.delivery_replay(by=admin, delivery=delivery)
    assert disabled.value.code == "endpoint_disabled"


# ---------------------------------------------------------------- the sweep


def test_the_sweep_sends_what_a_lost_task_left(
    receiver, make_endpoint, admin, company, email_pipeline
):
    make_endpoint()
    with transaction.atomic():
        make_deal(admin, company, email_pipeline)
    event = Event.objects.get(kind="deal.created")
    services.deliveries_for_event(event)  # made, but its task never ran
    delivery = Delivery.objects.get()
    assert tasks.sweep() == 0  # too recent: its task may be on the way
    Delivery.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert tasks.sweep() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert len(receiver.received()) == 1


def test_the_sweep_retries_when_the_backend_cannot_defer(
    dispatch, committed, receiver, make_endpoint, admin, company, email_pipeline
):
    make_endpoint()
    receiver.fail_next(1)
    with committed():  # the ImmediateBackend cannot defer: the retry is left to the sweep
        make_deal(admin, company, email_pipeline)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert tasks.sweep() == 0  # not due yet
    Delivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(minutes=2))
    assert tasks.sweep() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)


def test_the_sweep_takes_back_a_delivery_whose_worker_died(
    receiver, make_endpoint, admin, company, email_pipeline
):
    make_endpoint()
    with transaction.atomic():
        make_deal(admin, company, email_pipeline)
    services.deliveries_for_event(Event.objects.get(kind="deal.created"))
    Delivery.objects.update(
        status=DeliveryStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - sending.STUCK_AFTER - dt.timedelta(minutes=1),
    )
    assert tasks.sweep() == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)


# ---------------------------------------------------------------- secrets and endpoints


def test_a_secret_property_value_never_reaches_a_receiver(
    dispatch, committed, receiver, make_endpoint, admin, deal
):
    make_endpoint(event_kinds=["deal.updated"])
    with committed():
        crm.deal_update(deal=deal, by=admin, properties={"registrar_password": SECRET_VALUE})
    [request] = receiver.received()
    assert SECRET_VALUE.encode() not in request.body
    assert SECRET_VALUE not in Delivery.objects.get().body
    changes = json.loads(request.body)["data"]["changes"]
    assert {"field": "registrar_password", "secret": True}.items() <= changes[0].items()


def test_a_disabled_endpoint_does_not_send_what_it_had_queued(
    receiver, make_endpoint, admin, company, email_pipeline
):
    endpoint, _secret = make_endpoint()
    with transaction.atomic():
        make_deal(admin, company, email_pipeline)
    services.deliveries_for_event(Event.objects.get(kind="deal.created"))
    services.endpoint_update(by=admin, endpoint=endpoint, enabled=False)
    assert tasks.send_delivery.call(delivery_id=Delivery.objects.get().pk) == "failed"
    delivery = Delivery.objects.get()
    assert (delivery.attempts, delivery.last_error) == (0, "The endpoint is disabled.")
    assert receiver.received() == []


def test_a_rotated_secret_signs_from_then_on(
    dispatch, committed, receiver, make_endpoint, admin, company, email_pipeline
):
    endpoint, old = make_endpoint(event_kinds=["deal.created"])
    endpoint, new = services.endpoint_rotate_secret(by=admin, endpoint=endpoint)
    assert new != old and endpoint.secret_rotated_at is not None
    with committed():
        make_deal(admin, company, email_pipeline)
    [request] = receiver.received()
    header = request.headers["Partnerdesk-Signature"]
    assert receiver_verifies(new, header, request.body)
    assert not receiver_verifies(old, header, request.body)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"url": "ftp://example.com/hook"}, "url", "invalid_url"),
        ({"url": "https:///no-host"}, "url", "invalid_url"),
        ({"url": "javascript:alert(1)"}, "url", "invalid_url"),
        ({"all_events": False, "event_kinds": []}, "event_kinds", "no_event_kinds"),
        ({"all_events": False, "event_kinds": ["deal.nope"]}, "event_kinds", "unknown_event_kind"),
        ({"name": "  "}, "name", "invalid_name"),
    ],
)
def test_endpoint_input_is_checked(admin, fields, field, code):
    values = {"name": "Hook", "url": "https://example.com/hook", "all_events": True, **fields}
    with pytest.raises(DomainError) as refused:
        services.endpoint_create(by=admin, **values)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_only_admins_manage_endpoints(agent, manager, make_endpoint):
    endpoint, _secret = make_endpoint()
    for user in (agent, manager):
        with pytest.raises(DomainError) as refused:
            services.endpoint_create(by=user, name="x", url="https://e.com", all_events=True)
        assert refused.value.status == 403
        with pytest.raises(DomainError):
            services.endpoint_update(by=user, endpoint=endpoint, name="y")
        with pytest.raises(DomainError):
            services.endpoint_rotate_secret(by=user, endpoint=endpoint)
        with pytest.raises(DomainError):
            services.endpoint_delete(by=user, endpoint=endpoint)


def test_endpoint_changes_are_on_its_timeline_without_url_or_secret(admin, make_endpoint):
    endpoint, secret = make_endpoint(url="https://hooks.example.com/p?token=abc123")
    services.endpoint_update(by=admin, endpoint=endpoint, name="Renamed", all_events=True)
    events = Event.objects.for_subject(endpoint).order_by("id")
    assert [e.kind for e in events] == ["webhook.created", "webhook.updated"]
    assert events[1].data["changed"] == ["name"]
    for event in events:
        assert event.data["host"] == "hooks.example.com"
        assert "abc123" not in json.dumps(event.data) and secret not in json.dumps(event.data)


def test_the_catalogue_offers_every_app_kind():
    for kind in ("deal.stage_changed", "ticket.created", "ticket.sla_breached", "task.approved"):
        assert kind in EVENT_KINDS
    assert "webhook.created" in EVENT_KINDS
    assert len(EVENT_KINDS) == len(set(EVENT_KINDS))
