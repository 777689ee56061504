"""Partnerdesk's date and time formats, one per language (``FORMAT_MODULE_PATH``).

One way everywhere: a page names a format (``DATE_FORMAT``, ``DATETIME_FORMAT``,
``TIME_FORMAT``; the ``SHORT_`` ones are the same, so a date never reads two ways on two pages)
and the reader's language decides how it looks, in the reader's time zone (the account's
setting, ``accounts.middleware``). The clock follows the language's custom: 24-hour in Italian,
12-hour in English and Arabic. Where people scan (lists, boards, the bell), ``{{ value|reltime }}``
(``core/templatetags/formatting.py``) says "3 h ago" / "in 2 days" with the exact instant,
in these formats, on hover.
"""
