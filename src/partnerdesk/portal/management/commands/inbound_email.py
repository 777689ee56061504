"""Read one emailed reply (RFC 822) from standard input and post it on its task, or bounce it.

For an MTA pipe, e.g. Postfix:  reply  unix  -  n  n  -  -  pipe
  flags=R user=partnerdesk argv=/srv/partnerdesk/.venv/bin/python /srv/partnerdesk/manage.py inbound_email

Exit codes (sysexits): 0 handled (posted, duplicate, bounced or ignored), 65 the input is not
an email, 75 a temporary failure (the database is down, say): the MTA keeps it and retries.
"""

import sys

from django.core.management.base import BaseCommand

EX_DATAERR, EX_TEMPFAIL = 65, 75


class Command(BaseCommand):
    help = "Post an emailed reply read from standard input on its task (or bounce it)."
    stealth_options = ("stdin",)  # tests pass the message as a stream

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            help="the envelope recipient (the MTA's ${recipient}); may be repeated",
        )

    def handle(self, *args, recipient, **options):
        from partnerdesk.portal import inbound

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
