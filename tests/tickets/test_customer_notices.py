"""Status emails to customers (issue 14, part 4): per pipeline, optional emails to the ticket's
contact when the ticket is opened (with its number), waits on them, and is resolved; in the
contact's language; editable, checked templates; exactly once per opening or stage entry;
never without a contact email."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.core.defaults import install_once
from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Pipeline
from partnerdesk.tickets import notice_mail, notices, services
from partnerdesk.tickets.models import (
    CustomerNotice,
    CustomerNoticeSent,
    EmailKind,
    NoticeEvent,
    Source,
    TicketEmail,
)
from tests.conftest import login, make_user
from tests.tickets import H, move, open_ticket, ticket_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dispatch(dispatch, settings):
    """Committed events reach the outbox handlers; links point at the test server."""
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what the block's transaction hands over after commit (the
    outbox handlers, then the email task)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def switch_on(pipeline_name: str, event: str, texts: dict | None = None) -> CustomerNotice:
    notice, _created = CustomerNotice.objects.update_or_create(
        pipeline=ticket_pipeline(pipeline_name),
        event=event,
        defaults={"enabled": True, **({"texts": texts} if texts is not None else {})},
    )
    return notice


def notice_emails():
    """The notices sent (other emails, such as the satisfaction survey, left out)."""
    ids = set(
        TicketEmail.objects.filter(kind=EmailKind.NOTICE).values_list("message_id", flat=True)
    )
    return [m for m in mail.outbox if m.extra_headers.get("Message-ID") in ids]


def website_ticket(agent, company, contact, committed, **fields):
    with committed():
        return open_ticket(
            agent,
            "Website Creation",
            now=timezone.now(),
            company=company,
            contact=contact,
            **fields,
        )


# ---------------------------------------------------------------- each event


def test_opened_tells_the_contact_the_number(agent, company, contact, committed):
    switch_on("Website Creation", NoticeEvent.OPENED)
    ticket = website_ticket(agent, company, contact, committed, name="New website")
    (email,) = notice_emails()
    assert email.to == ["Mario Rossi <mario@acme-dental.com>"]
    assert f"#{ticket.pk}" in email.subject and "New website" in email.subject
    assert f"opened it as #{ticket.pk}" in email.body
    assert f"http://testserver/portal/tickets/{ticket.pk}/" in email.body
    assert email.reply_to[0].startswith("reply+") and email.extra_headers["Message-ID"]
    html = email.alternatives[0][0]
    assert f"#{ticket.pk}" in html and 'lang="en"' in html
    sent = TicketEmail.objects.get(ticket=ticket)
    assert sent.kind == EmailKind.NOTICE and sent.sent_at is not None
    assert sent.message_id == email.extra_headers["Message-ID"]
    claim = CustomerNoticeSent.objects.get(ticket=ticket)
    assert claim.event == NoticeEvent.OPENED and claim.email == sent


def test_waiting_on_the_customer(agent, company, contact, committed):
    ticket = website_ticket(agent, company, contact, committed)
    switch_on("Website Creation", NoticeEvent.WAITING_ON_CUSTOMER)
    with committed():
        move(ticket, "Working On The Website", by=agent, now=timezone.now())
    assert notice_emails() == []  # not a waiting stage
    with committed():
        move(ticket, "Waiting For Feedback", by=agent, now=timezone.now())
    (email,) = notice_emails()
    assert "We need something from you" in email.body and f"#{ticket.pk}" in email.body
    # every entry into a waiting stage is its own notice, threaded after the first
    with committed():
        move(ticket, "2nd Draft Sent", by=agent, now=timezone.now())
    with committed():
        move(ticket, "Waiting For Feedback (2nd)", by=agent, now=timezone.now())
    first, second = notice_emails()
    assert second.extra_headers["In-Reply-To"] == first.extra_headers["Message-ID"]
    # from a waiting stage into another waiting stage: still the same wait, no email
    with committed():
        move(ticket, "Waiting For Feedback", by=agent, now=timezone.now())
    assert len(notice_emails()) == 2


def test_resolved_once_per_resolution(agent, ticket, committed):
    switch_on("Bug Investigation", NoticeEvent.RESOLVED)
    with committed():
        move(ticket, "Resolved By Support", by=agent, now=timezone.now())
    (email,) = notice_emails()
    assert f"We resolved your request #{ticket.pk}" in email.body
    with committed():  # closed to closed: not a new resolution
        move(ticket, "Resolved By Dev", by=agent, now=timezone.now())
    assert len(notice_emails()) == 1
    with committed():  # reopened and resolved again: a new resolution
        move(ticket, "Investigating", by=agent, now=timezone.now())
    with committed():
        move(ticket, "Resolved By Support", by=agent, now=timezone.now())
    assert len(notice_emails()) == 2
    assert CustomerNoticeSent.objects.filter(ticket=ticket, event=NoticeEvent.RESOLVED).count() == 2


def test_the_status_variable_is_the_customer_label(agent, ticket, committed):
    stage = ticket.pipeline.stages.get(name="Resolved By Support")
    stage.customer_label = "Fixed by our support team"
    stage.save()
    switch_on(
        "Bug Investigation",
        NoticeEvent.RESOLVED,
        {
            "en": {
                "subject": "#{{ ticket_number }}: {{ ticket_status }}",
                "body": "{{ ticket_status }}",
            }
        },
    )
    with committed():
        move(ticket, "Resolved By Support", by=agent, now=timezone.now())
    (email,) = notice_emails()
    assert email.subject == f"#{ticket.pk}: Fixed by our support team"


# ---------------------------------------------------------------- when nothing is sent


def test_switched_off_or_not_set_up_sends_nothing(agent, company, contact, committed):
    CustomerNotice.objects.filter(pipeline=ticket_pipeline("Website Creation")).update(
        enabled=False
    )
    website_ticket(agent, company, contact, committed)
    CustomerNotice.objects.filter(pipeline=ticket_pipeline("Website Creation")).delete()
    website_ticket(agent, company, contact, committed)
    assert notice_emails() == [] and not CustomerNoticeSent.objects.exists()


def test_never_without_a_contact_email(admin, agent, company, contact, committed):
    switch_on("Website Creation", NoticeEvent.OPENED)
    website_ticket(agent, company, None, committed)
    no_email = crm_services.contact_create(
        by=admin, first_name="Phone", last_name="Only", company=company
    )
    website_ticket(agent, company, no_email, committed)
    assert notice_emails() == [] and not CustomerNoticeSent.objects.exists()


def test_a_ticket_opened_by_email_gets_the_opened_notice_when_it_is_on(
    agent, company, contact, committed
):
    """It replaces the support mailbox's built-in acknowledgement (test_email_mailboxes)."""
    switch_on("Website Creation", NoticeEvent.OPENED)
    website_ticket(agent, company, contact, committed, source=Source.EMAIL)
    assert len(notice_emails()) == 1


def test_a_stage_already_left_is_not_announced(agent, company, contact, committed):
    ticket = website_ticket(agent, company, contact, committed)
    switch_on("Website Creation", NoticeEvent.WAITING_ON_CUSTOMER)
    move(ticket, "Waiting For Feedback", by=agent, now=timezone.now())  # not dispatched yet
    move(ticket, "2nd Draft Sent", by=agent, now=timezone.now())
    event = Event.objects.filter(kind="ticket.stage_changed", subject_id=ticket.pk).order_by("pk")
    assert notice_mail.send_customer_notice(event.first().pk) == 0
    assert notice_emails() == []


# ---------------------------------------------------------------- the contact's language


def test_in_the_contact_language_with_the_language_text(agent, company, contact, committed):
    make_user(
        contact.email, Role.CLIENT, company=company, client_role=ClientRole.MEMBER, language="it"
    )
    switch_on(
        "Website Creation",
        NoticeEvent.OPENED,
        {
            "en": {"subject": "EN {{ ticket_number }}", "body": "English text"},
            "it": {"subject": "Richiesta {{ ticket_number }}", "body": "Ciao {{ contact_name }}"},
        },
    )
    ticket = website_ticket(agent, company, contact, committed)
    (email,) = notice_emails()
    assert email.subject == f"Richiesta {ticket.pk}" and email.body.strip() == "Ciao Mario"
    assert 'lang="it"' in email.alternatives[0][0]


def test_a_language_without_its_own_text_gets_the_built_in_one(agent, company, contact, committed):
    make_user(
        contact.email, Role.CLIENT, company=company, client_role=ClientRole.MEMBER, language="ar"
    )
    switch_on(
        "Website Creation",
        NoticeEvent.OPENED,
        {"en": {"subject": "EN only", "body": "Custom English text"}},
    )
    website_ticket(agent, company, contact, committed)
    (email,) = notice_emails()
    assert "Custom English text" not in email.body and email.subject != "EN only"
    assert 'lang="ar" dir="rtl"' in email.alternatives[0][0]


# ---------------------------------------------------------------- exactly once


def test_exactly_once_per_event(agent, company, contact, committed):
    switch_on("Website Creation", NoticeEvent.OPENED)
    ticket = website_ticket(agent, company, contact, committed)
    event = Event.objects.get(kind="ticket.created", subject_id=ticket.pk)
    # the outbox redelivers the event, a retried task runs again: no second email
    notice_mail.notify_customer(event, ticket)
    assert notice_mail.send_customer_notice(event.pk) == 0
    assert len(notice_emails()) == 1
    assert CustomerNoticeSent.objects.filter(outbox_event=event).count() == 1


def test_a_failed_send_leaves_no_claim_and_the_retry_sends_it(agent, company, contact, monkeypatch):
    switch_on("Website Creation", NoticeEvent.OPENED)
    ticket = open_ticket(
        agent, "Website Creation", now=timezone.now(), company=company, contact=contact
    )
    event = Event.objects.get(kind="ticket.created", subject_id=ticket.pk)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    with monkeypatch.context() as patched:
        patched.setattr(notice_mail.mail, "send_ticket_email", broken)
        assert notice_mail.send_customer_notice(event.pk) == 0
    assert not CustomerNoticeSent.objects.exists()
    assert notice_mail.send_customer_notice(event.pk, attempt=1) == 1
    assert len(notice_emails()) == 1


# ---------------------------------------------------------------- editing the texts


def _form(enabled=True, **texts):
    data = {"enabled": "on"} if enabled else {}
    for code, _name in notices.languages():
        data[f"subject_{code}"] = ""
        data[f"body_{code}"] = ""
    data.update(texts)
    return data


def edit_url(pipeline, event=NoticeEvent.RESOLVED):
    return reverse("ticket_notices:edit", kwargs={"pipeline_pk": pipeline.pk, "event": event})


@pytest.mark.parametrize(
    ("field", "text", "why"),
    [
        ("body_en", "Hello {% if %}", "template error"),
        ("body_en", "{{ ticket_subject|no_such_filter }}", "template error"),
        ("subject_en", "{% include 'base.html' %}", "cannot be used"),
        ("body_it", "{% load i18n %}{% translate 'x' %}", "cannot be used"),
        ("body_en", "{% debug %}", "cannot be used"),
    ],
)
def test_template_errors_are_form_errors(admin, field, text, why):
    pipeline = ticket_pipeline("Bug Investigation")
    other = "subject_" + field.split("_")[1] if field.startswith("body") else "body_en"
    data = _form(**{field: text, other: "Fine"})
    response = login(admin).post(edit_url(pipeline), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="err-{field}"' in body and why in body
    assert not CustomerNotice.objects.get(pipeline=pipeline, event=NoticeEvent.RESOLVED).enabled


def test_a_subject_without_a_body_is_a_form_error(admin):
    response = login(admin).post(
        edit_url(ticket_pipeline("Bug Investigation")), _form(subject_it="Solo oggetto")
    )
    assert response.status_code == 400
    assert 'id="err-body_it"' in response.content.decode()


def test_saving_and_the_preview(admin):
    pipeline = ticket_pipeline("Bug Investigation")
    client = login(admin)
    page = client.get(edit_url(pipeline))
    assert page.status_code == 200
    assert "We resolved your request" in page.content.decode()  # the built-in text, to edit
    preview = client.post(
        edit_url(pipeline),
        {
            **_form(subject_en="Done: {{ ticket_subject }}", body_en="Bye {{ contact_name }}"),
            "action": "preview",
        },
    )
    assert preview.status_code == 200
    assert "Done: The invoice page shows an error" in preview.content.decode()
    assert "Bye Mario" in preview.content.decode()
    notice = CustomerNotice.objects.get(pipeline=pipeline, event=NoticeEvent.RESOLVED)
    assert not notice.enabled  # a preview saves nothing
    saved = client.post(
        edit_url(pipeline),
        _form(subject_en="Done: {{ ticket_subject }}", body_en="Bye {{ contact_name }}"),
    )
    assert saved.status_code == 302
    notice.refresh_from_db()
    assert notice.enabled and notice.updated_by == admin
    assert notice.texts == {
        "en": {"subject": "Done: {{ ticket_subject }}", "body": "Bye {{ contact_name }}"}
    }


def test_the_built_in_text_is_not_stored(admin):
    pipeline = ticket_pipeline("Bug Investigation")
    builtin = notices.builtin_text(NoticeEvent.RESOLVED, "en")
    notice = notices.customer_notice_save(
        pipeline=pipeline,
        event=NoticeEvent.RESOLVED,
        by=admin,
        enabled=True,
        texts={"en": builtin, "it": {"subject": "", "body": ""}},
    )
    assert notice.texts == {}  # keeps following the built-in text and its translations


def test_only_admins_edit_ticket_pipelines(admin, agent, email_pipeline):
    with pytest.raises(DomainError) as refused:
        notices.customer_notice_save(
            pipeline=ticket_pipeline("Bug Investigation"),
            event=NoticeEvent.OPENED,
            by=agent,
            enabled=True,
            texts={},
        )
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as wrong:
        notices.customer_notice_save(
            pipeline=email_pipeline, event=NoticeEvent.OPENED, by=admin, enabled=True, texts={}
        )
    assert wrong.value.code == "invalid_pipeline"
    assert login(agent).get(reverse("ticket_notices:list")).status_code == 403
    deal_page = login(admin).get(edit_url(email_pipeline))
    assert deal_page.status_code == 404
    assert (
        login(admin).get(edit_url(ticket_pipeline("Bug Investigation"), "bogus")).status_code == 404
    )


def test_the_list_shows_every_ticket_pipeline(admin):
    switch_on("Bug Investigation", NoticeEvent.RESOLVED)
    body = login(admin).get(reverse("ticket_notices:list")).content.decode()
    for pipeline in Pipeline.objects.filter(object_type="ticket"):
        assert pipeline.name in body
    assert body.count(">On<") == 1


# ---------------------------------------------------------------- defaults


def test_default_pipelines_have_their_notices_switched_off_once():
    for pipeline in Pipeline.objects.filter(object_type="ticket").exclude(key=""):
        rows = CustomerNotice.objects.filter(pipeline=pipeline)
        assert sorted(rows.values_list("event", flat=True)) == sorted(NoticeEvent.values)
        assert not any(r.enabled for r in rows)
        resolved = rows.get(event=NoticeEvent.RESOLVED)
        assert resolved.texts["en"] == notices.builtin_text(NoticeEvent.RESOLVED, "en")
    pipeline = ticket_pipeline("Bug Investigation")
    CustomerNotice.objects.filter(pipeline=pipeline, event=NoticeEvent.OPENED).delete()
    notices.install_customer_notices()  # an admin's deletion stays
    assert not CustomerNotice.objects.filter(pipeline=pipeline, event=NoticeEvent.OPENED).exists()
    assert install_once(f"tickets.customernotice.{pipeline.key}.opened", lambda: 1) is None


def test_sending_an_hour_later_still_uses_the_ticket_now(agent, company, contact, committed):
    """A notice renders what the ticket is when it is sent (its name now)."""
    switch_on("Website Creation", NoticeEvent.OPENED)
    ticket = open_ticket(
        agent, "Website Creation", now=timezone.now() - H, company=company, contact=contact
    )
    services.ticket_update(ticket=ticket, by=agent, name="Renamed website")
    event = Event.objects.get(kind="ticket.created", subject_id=ticket.pk)
    assert notice_mail.send_customer_notice(event.pk) == 1
    assert "Renamed website" in notice_emails()[0].subject
