"""Real-looking inbound emails for the ticket-by-email tests, built as RFC 822 bytes the way each
mail program writes them: Gmail (text + HTML, "On … wrote:"), Outlook (HTML only, its
"From: / Sent: / To: / Subject:" block and a "Kind regards" signature), Apple Mail in Italian
("Il giorno … ha scritto:", "Inviato da iPhone"), an Arabic client in windows-1256, and a plain
"-- " signature; plus the helpers that feed them to ``manage.py inbound_email`` or over SMTP."""

from __future__ import annotations

import html
import io
import smtplib
import socket
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from django.core.management import call_command

from partnerdesk.notifications.management.commands.inbound_smtp import controller

QUOTED = "Could you send us a screenshot of the error?"


def _headers(message, *, sender, to, subject, message_id, in_reply_to="", references="", **extra):
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 02 Feb 2026 10:05:00 +0200"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in extra.items():
        message[name.replace("_", "-")] = value
    return message


def gmail(text: str, **headers) -> bytes:
    """Gmail: text and HTML alternatives, "On <date>, <name> <address> wrote:" and "> " quotes."""
    plain = (
        f"{text}\n\nOn Mon, 2 Feb 2026 at 10:00, Agency <support@agency.test> wrote:\n\n"
        f"> {QUOTED}\n>\n"
    )
    rich = (
        f'<div dir="ltr">{html.escape(text)}</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Mon, 2 Feb 2026 at 10:00, Agency '
        "&lt;support@agency.test&gt; wrote:<br></div>"
        f'<blockquote class="gmail_quote">{QUOTED}</blockquote></div>'
    )
    message = EmailMessage()
    message.set_content(plain)
    message.add_alternative(rich, subtype="html", cte="quoted-printable")
    return bytes(_headers(message, **headers))


def outlook_html(text: str, **headers) -> bytes:
    """Outlook: HTML only; a "Kind regards" signature block, then the header block of the
    message replied to."""
    rich = (
        "<html><head><style>p{margin:0}</style></head><body>"
        f'<div style="font-family:Calibri">{html.escape(text)}</div><div><br></div>'
        "<div>Kind regards</div><div>Mario Rossi | Operations Manager</div>"
        "<div>Acme Dental</div><div>Tel +39 02 1234 5678</div>"
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr">'
        "<b>From:</b> Agency &lt;support@agency.test&gt;<br>"
        "<b>Sent:</b> Monday, February 2, 2026 10:00 AM<br>"
        "<b>To:</b> Mario Rossi &lt;mario@acme-dental.com&gt;<br>"
        "<b>Subject:</b> [Agency #1] Invoice page error</div>"
        f"<div>{QUOTED}</div><script>alert(1)</script></body></html>"
    )
    message = EmailMessage()
    message.set_content(rich, subtype="html", cte="quoted-printable")
    return bytes(_headers(message, **headers))


def apple_mail_italian(text: str, **headers) -> bytes:
    """Apple Mail (iPhone) in Italian: "Inviato da iPhone", then "Il giorno … ha scritto:"."""
    plain = (
        f"{text}\n\nInviato da iPhone\n\n"
        "> Il giorno 2 feb 2026, alle ore 10:00, Agency <support@agency.test> ha scritto:\n"
        f">\n> {QUOTED}\n"
    )
    message = EmailMessage()
    message.set_content(plain)
    return bytes(_headers(message, **headers))


def arabic_windows_1256(text: str, **headers) -> bytes:
    """An Arabic mail client writing windows-1256: its attribution line, then the quote."""
    plain = (
        f"{text}\n\nمع أطيب التحيات\nليلى\n\n"
        "في الأحد، 1 فبراير 2026 في 10:00 ص، كتب Agency <support@agency.test>:\n"
        f"> {QUOTED}\n"
    )
    message = MIMEText(plain, "plain", "windows-1256")
    raw = bytes(_headers(message, **headers).as_bytes())
    assert b"windows-1256" in raw
    return raw


def dash_signature(text: str, **headers) -> bytes:
    """A plain-text reply with a "-- " signature and no quote."""
    message = EmailMessage()
    message.set_content(f"{text}\n\n-- \nMario Rossi\nAcme Dental\n+20 2 1234 5678\n")
    return bytes(_headers(message, **headers))


def plain(text: str, *, files: list[tuple[str, bytes, str]] = (), **headers) -> bytes:
    """A plain message with ``text`` as its body (and attachments: name, bytes, mime type)."""
    message = EmailMessage()
    message.set_content(text)
    for name, data, mime in files:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(_headers(message, **headers))


def multipart_mixed(text: str, **headers) -> bytes:
    message = MIMEMultipart()
    message.attach(MIMEText(text, "plain", "utf-8"))
    return bytes(_headers(message, **headers).as_bytes())


CLIENTS: dict[str, Callable[..., bytes]] = {
    "gmail": gmail,
    "outlook-html-only": outlook_html,
    "apple-mail-italian": apple_mail_italian,
    "arabic-windows-1256": arabic_windows_1256,
    "dash-signature": dash_signature,
}


def feed(raw: bytes, *recipients: str) -> str:
    """``manage.py inbound_email`` as an MTA runs it: its output line (SystemExit on 65/75)."""
    out = io.StringIO()
    args = [f"--recipient={r}" for r in recipients]
    call_command("inbound_email", *args, stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue().strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def send_over_smtp(raw: bytes, *, sender: str, recipients: list[str], until: Callable[[], bool]):
    """Deliver ``raw`` to a real ``inbound_smtp`` listener on a free port and wait until
    ``until()`` holds (the listener hands the message to a worker thread)."""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # SMTP lines end in CRLF
    port = free_port()
    listener = controller("127.0.0.1", port)
    listener.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail(sender, recipients, raw)
        for _ in range(200):
            if until():
                return True
            time.sleep(0.05)
        return False
    finally:
        listener.stop()
