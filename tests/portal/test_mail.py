"""Task message emails and reply-by-email, against a real SMTP server (aiosmtpd).

A staff message reaches the client with its full content and a signed personal reply address;
the client's reply, fed to `manage.py inbound_email` as an MTA would, lands on the task
without quoted history or signature and is emailed on to the agency; anything forged,
expired, from another sender or empty posts nothing and bounces with the reason."""

from __future__ import annotations

import datetime as dt
import io
import smtplib
import socket
import time
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from partnerdesk.notifications.management.commands.inbound_smtp import controller
from partnerdesk.portal import inbound, mail, services
from partnerdesk.portal.models import Message, Via
from tests.portal.conftest import submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path


def reply_to(received) -> str:
    return str(received.message["Reply-To"])


def a_reply(original, *, sender: str, text: str, to: str | None = None, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to or reply_to(original)
    message["Subject"] = "Re: " + original.subject
    message["Message-ID"] = headers.pop("message_id", "<reply-1@client.example>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    quoted = "\n".join("> " + line for line in original.text.splitlines())
    message.set_content(
        f"{text}\n\n-- \nMario Rossi\nNile Dental\n\nOn Mon, Agency wrote:\n{quoted}\n"
    )
    return bytes(message)


def feed(raw: bytes) -> str:
    out = io.StringIO()
    call_command("inbound_email", stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def conversation(mailbox, client_user, agent):
    task = submit(client_user, "Merge duplicate contacts")
    services.task_accept(by=agent, task=task, estimate_minutes="2h")
    services.message_post(by=agent, task=task, body="Which property decides the survivor?\nThanks")
    # (The client also hears of the acceptance; the message email is the one with a reply address.)
    (received,) = [m for m in mailbox.to(client_user.email) if m.message["Reply-To"]]
    mailbox.messages.clear()
    return task, received


def test_a_staff_message_reaches_the_client_with_its_content_and_a_reply_address(
    conversation, client_user
):
    task, received = conversation
    assert "Which property decides the survivor?" in received.text
    assert "Which property decides the survivor?" in received.html
    address = reply_to(received)
    local, _, domain = address.partition("@")
    assert local.startswith("reply+") and len(local) <= 64 and domain == "reply.localhost"
    token = mail.read_token(local[len("reply+") :])
    assert (token.task_id, token.user_id) == (task.pk, client_user.pk)
    assert f"/portal/tasks/{task.pk}/" in received.text


def test_a_reply_is_posted_once_stripped_and_sent_on_to_the_agency(
    conversation,
    client_user,
    agent,
    mailbox,
):
    task, received = conversation
    raw = a_reply(received, sender=client_user.email, text="The most recently updated one.")
    assert feed(raw) == "posted"
    posted = Message.objects.filter(via=Via.EMAIL).get()
    assert posted.author == client_user and posted.task == task
    assert posted.body == "The most recently updated one."
    (forwarded,) = [m for m in mailbox.to(agent.email) if m.message["Reply-To"]]
    assert "The most recently updated one." in forwarded.text
    # The MTA delivers the same email again: nothing new.
    assert feed(raw) == "duplicate"
    assert Message.objects.filter(via=Via.EMAIL).count() == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("tampered", "forged"),
        ("other_sender", "sender"),
        ("empty", "empty"),
        ("expired", "expired"),
    ],
)
def test_a_bad_reply_posts_nothing_and_bounces_with_the_reason(
    conversation,
    client_user,
    mailbox,
    case,
    reason,
):
    task, received = conversation
    sender, text, to = client_user.email, "Fine by me.", None
    if case == "tampered":
        token = reply_to(received).split("@")[0][len("reply+") :]
        task_part, rest = token.split("-", 1)
        to = f"reply+{int(task_part, 36) + 1:x}-{rest}@reply.localhost"
    elif case == "other_sender":
        sender = "intruder@evil.example"
    elif case == "empty":
        text = ""
    elif case == "expired":
        old = mail.make_token(task.pk, client_user.pk, now=dt.datetime(2024, 2, 1, tzinfo=dt.UTC))
        to = f"reply+{old}@reply.localhost"
    before = Message.objects.count()
    assert feed(a_reply(received, sender=sender, text=text, to=to)) == f"bounced {reason}"
    assert Message.objects.count() == before
    (bounce,) = mailbox.to(sender)
    assert "not posted" in bounce.subject
    assert str(inbound.REASONS[reason])[:30] in bounce.text


def test_no_bounce_to_a_mailer_daemon(conversation, mailbox):
    _task, received = conversation
    raw = a_reply(received, sender="MAILER-DAEMON@client.example", text="Undeliverable")
    assert feed(raw).startswith("ignored")
    assert not mailbox.messages and not Message.objects.filter(via=Via.EMAIL).exists()


def test_an_html_only_reply_is_sanitised(conversation, client_user):
    _task, received = conversation
    message = EmailMessage()
    message["From"] = client_user.email
    message["To"] = reply_to(received)
    message["Subject"] = "Re: x"
    message["Message-ID"] = "<html-1@client.example>"
    message.set_content(
        "<p>Use the <b>newest</b> one.<script>alert(1)</script></p>", subtype="html"
    )
    assert feed(bytes(message)) == "posted"
    body = Message.objects.get(via=Via.EMAIL).body
    assert "newest" in body and "<" not in body and "alert" not in body


def test_not_an_email_is_a_data_error():
    with pytest.raises(SystemExit) as exit_:
        call_command("inbound_email", stdin=io.BytesIO(b""))
    assert exit_.value.code == 65


def test_the_smtp_listener_posts_a_reply(conversation, client_user):
    _task, received = conversation
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listener = controller("127.0.0.1", port)
    listener.start()
    try:
        raw = a_reply(received, sender=client_user.email, text="Sent over SMTP.")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail(client_user.email, [reply_to(received)], raw)
        for _ in range(100):
            if Message.objects.filter(via=Via.EMAIL).exists():
                break
            time.sleep(0.05)
    finally:
        listener.stop()
    assert Message.objects.get(via=Via.EMAIL).body == "Sent over SMTP."


def test_a_failed_send_is_not_marked_sent_and_goes_out_on_the_retry(
    mailbox, settings, client_user, agent
):
    task = submit(client_user, "Retry me")
    services.task_accept(by=agent, task=task, estimate_minutes="1h")
    working = settings.MAILERS
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed, "timeout": 2},
        }
    }
    message = services.message_post(by=agent, task=task, body="Are you there?")
    assert mail.send_message_emails(message.pk) == 0
    settings.MAILERS = working
    assert mail.send_message_emails(message.pk, attempt=1) == 1
    assert mail.send_message_emails(message.pk, attempt=2) == 0  # sent once only
    assert [m for m in mailbox.to(client_user.email) if "Are you there?" in m.text]


# ---------------------------------------------------------------- automatic mail, signatures


def a_message(original, *, sender: str, body: str, **headers) -> bytes:
    """A reply whose body is exactly ``body`` (no signature added), to ``original``'s reply
    address; ``subject`` and other headers may be given (``Auto_Submitted`` -> Auto-Submitted)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = reply_to(original)
    message["Subject"] = headers.pop("subject", "Re: " + original.subject)
    message["Message-ID"] = headers.pop("message_id", "<reply-2@client.example>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


def test_an_out_of_office_reply_from_the_right_sender_posts_nothing_and_sends_nothing(
    conversation, client_user, mailbox, caplog
):
    _task, received = conversation
    raw = a_message(
        received,
        sender=client_user.email,
        body="I am out of the office until Monday and will answer on my return.",
        Auto_Submitted="auto-replied",
        subject="Automatic reply: " + received.subject,
    )
    with caplog.at_level("INFO", logger="partnerdesk.notifications.inbound.routing"):
        assert feed(raw) == "ignored automatic"
    assert not Message.objects.filter(via=Via.EMAIL).exists()
    assert not mailbox.messages  # no forward to the agency, no bounce to the sender
    assert "dropped as automatic mail (Auto-Submitted: auto-replied)" in caplog.text


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        (None, {"Auto_Submitted": "auto-generated"}),
        (None, {"X_Autoreply": "yes"}),
        (None, {"X_Autorespond": "Out of office"}),
        (None, {"Precedence": "bulk"}),
        (None, {"Precedence": "junk"}),
        (None, {"Precedence": "list"}),
        (None, {"Precedence": "auto_reply"}),
        (None, {"subject": "Automatic reply: Re: [Agency] Merge duplicate contacts"}),
        (None, {"subject": "Out of Office: Re: [Agency] Merge duplicate contacts"}),
        (None, {"subject": "Risposta automatica: Re: [Agency] Merge duplicate contacts"}),
        (None, {"subject": "رد تلقائي: Re: [Agency] Merge duplicate contacts"}),
        ("MAILER-DAEMON@client.example", {}),
        ("no-reply@client.example", {}),
        ("noreply@client.example", {}),
    ],
    ids=[
        "auto-generated",
        "x-autoreply",
        "x-autorespond",
        "bulk",
        "junk",
        "list",
        "auto_reply",
        "automatic-reply",
        "out-of-office",
        "risposta-automatica",
        "arabic-auto-reply",
        "mailer-daemon",
        "no-reply",
        "noreply",
    ],
)
def test_automatic_mail_posts_nothing_and_is_not_answered(
    conversation, client_user, mailbox, sender, headers
):
    _task, received = conversation
    raw = a_message(
        received, sender=sender or client_user.email, body="Away until Monday.", **headers
    )
    assert feed(raw) == "ignored automatic"
    assert not Message.objects.filter(via=Via.EMAIL).exists()
    assert not mailbox.messages


OUTLOOK_EN = """\
Yes, keep the most recently updated one.

Kind regards
Mario Rossi | Operations Manager
Nile Dental
Tel +39 02 1234 5678

________________________________
From: Agency <reply@reply.localhost>
Sent: Monday, 1 December 2026 10:00
To: Mario Rossi <client@acme-dental.com>
Subject: [Agency] Merge duplicate contacts

Which property decides the survivor?
"""

OUTLOOK_IT = """\
Yes, keep the most recently updated one.

Cordiali saluti
Mario Rossi | Responsabile operativo
Nile Dental S.r.l.
Tel +39 02 1234 5678

________________________________
Da: Agency <reply@reply.localhost>
Inviato: lunedì 1 dicembre 2026 10:00
A: Mario Rossi <client@acme-dental.com>
Oggetto: [Agency] Merge duplicate contacts

Which property decides the survivor?
"""


@pytest.mark.parametrize(
    ("body", "posted"),
    [
        (OUTLOOK_EN, "Yes, keep the most recently updated one."),
        (OUTLOOK_IT, "Yes, keep the most recently updated one."),
        ("Yes, the newest.\n\nSent from my iPhone\n", "Yes, the newest."),
        ("Sì, il più recente.\n\nInviato da iPhone\n", "Sì, il più recente."),
        ("نعم، الأحدث.\n\nأرسلت من الـ iPhone\n", "نعم، الأحدث."),
        ("نعم، الأحدث.\n\nمرسل من iPhone\n", "نعم، الأحدث."),
        (
            "نعم، الأحدث تحديثاً.\n\n"
            "في الأحد، 1 ديسمبر 2026 في 10:00 ص، كتب Agency <reply@reply.localhost>:\n"
            "> Which property decides the survivor?\n> Thanks\n",
            "نعم، الأحدث تحديثاً.",
        ),
        (
            "With regards to the survivor: the newest one.\n"
            "Kind regards to the team, the last cleanup was great.\n"
            "Please merge the companies too.\n",
            "With regards to the survivor: the newest one.\n"
            "Kind regards to the team, the last cleanup was great.\n"
            "Please merge the companies too.",
        ),
    ],
    ids=[
        "outlook-en",
        "outlook-it",
        "iphone-en",
        "iphone-it",
        "iphone-ar",
        "iphone-ar-2",
        "arabic-attribution",
        "regards-mid-text",
    ],
)
def test_a_reply_is_posted_without_its_sign_off_or_history(
    conversation, client_user, agent, mailbox, body, posted
):
    _task, received = conversation
    assert feed(a_message(received, sender=client_user.email, body=body)) == "posted"
    assert Message.objects.get(via=Via.EMAIL).body == posted
    (forwarded,) = [m for m in mailbox.to(agent.email) if m.message["Reply-To"]]
    assert posted.splitlines()[0] in forwarded.text
