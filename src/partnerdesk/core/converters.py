class IdConverter:
    """A database id in a URL: 1 to 18 digits, so an absurd number is a 404, not an overflow."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


def parse_id(value) -> int | None:
    """A submitted id, or None when it is not one (blank, text, absurdly large)."""
    value = str(value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
