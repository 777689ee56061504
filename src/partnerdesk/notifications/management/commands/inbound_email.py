"""Read one email (RFC 822) from standard input and hand it to the inbound pipeline
(``notifications.inbound``): a reply posted on its task or ticket, mail to a support mailbox
opening a ticket, or a bounce.

For an MTA pipe, e.g. Postfix:  partnerdesk  unix  -  n  n  -  -  pipe
  flags=R user=partnerdesk argv=/srv/partnerdesk/.venv/bin/python /srv/partnerdesk/manage.py
  inbound_email --recipient ${recipient}

Exit codes (sysexits): 0 handled (posted, opened, held, duplicate, bounced or ignored), 65 the
input is not an email, 75 a temporary failure (the database is down, say): the MTA keeps it
and retries.
"""

import sys

from django.core.management.base import BaseCommand

from partnerdesk.notifications import inbound

EX_DATAERR, EX_TEMPFAIL = 65, 75


class Command(BaseCommand):
    help = "Hand an email read from standard input to the inbound pipeline (tasks and tickets)."
    stealth_options = ("stdin",)  # tests pass the message as a stream

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            help="the envelope recipient (the MTA's ${recipient}); may be repeated",
        )

    def handle(self, *args, recipient, **options):
        stream = options.get("stdin") or getattr(sys.stdin, "buffer", sys.stdin)
        raw = stream.read() or b""
        if isinstance(raw, str):
            raw = raw.encode()
        try:
            result = inbound.receive(raw, envelope_to=recipient)
        except ValueError as exc:
            self.stderr.write(f"not an email: {exc}")
            sys.exit(EX_DATAERR)
        except Exception as exc:  # the database or the mail server: let the MTA retry
            self.stderr.write(f"temporary failure: {exc}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{result.status} {result.reason}".strip())
