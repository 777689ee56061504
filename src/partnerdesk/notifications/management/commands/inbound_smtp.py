"""A small SMTP listener for inbound email (instead of an MTA pipe): each message received
is handled like `manage.py inbound_email`, by the one inbound pipeline (task and ticket
replies, support mailboxes). Answers 250 when handled, 451 on a temporary failure (the sender
retries), 554 when the data is not an email."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand

from partnerdesk.notifications import inbound

log = logging.getLogger(__name__)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        try:
            result = await sync_to_async(inbound.receive, thread_sensitive=False)(
                envelope.original_content or envelope.content,
                envelope_to=list(envelope.rcpt_tos),
            )
        except ValueError:
            return "554 Not an email"
        except Exception:
            log.exception("inbound email failed")
            return "451 Temporary failure, try again later"
        log.info("inbound email: %s %s", result.status, result.reason)
        return "250 OK"


def controller(host: str, port: int):
    from aiosmtpd.controller import Controller

    return Controller(Handler(), hostname=host, port=port)


class Command(BaseCommand):
    help = "Listen for inbound email over SMTP (task and ticket replies, support mailboxes)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args, host, port, **options):
        smtp = controller(host, port)
        smtp.start()
        self.stdout.write(f"Listening for email on {host}:{port} (Ctrl+C stops)")
        try:
            asyncio.run(asyncio.Event().wait())
        except KeyboardInterrupt:
            pass
        finally:
            smtp.stop()
