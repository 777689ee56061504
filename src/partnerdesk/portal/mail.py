"""Task message emails (outbound). Owned by the reply-by-email work; see inbound.py."""


def send_message_emails(message_id: int) -> int:
    raise NotImplementedError("implemented with reply-by-email")
