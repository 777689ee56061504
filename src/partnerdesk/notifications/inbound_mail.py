"""Inbound email, the generic part: is a message automatic mail, and what did its author write.

Every reply-by-email entry (task replies in the portal, ticket replies next) runs the same
pipeline: drop automatic mail before anything else (it is neither posted nor answered: answering
an out-of-office reply is how mail loops start), then take the text the person wrote with
``reply_text``. Pure functions over ``email.message.EmailMessage`` and text, no database.

Cleaning a reply (``clean_reply``):

1. the quoted history goes, from its attribution line ("On … wrote:", "Il … ha scritto:",
   "في … كتب …:") or its Outlook header block on: mail-parser-reply does it for the languages
   it knows (``PARSER_LANGUAGES``); Arabic, which it does not know, is cut here first;
2. everything after a "-- " signature delimiter, and quoted lines ("> …"), go;
3. a trailing sign-off block goes: "Kind regards / name | title / Tel …", "Cordiali saluti",
   "مع أطيب التحيات", "Sent from my iPhone", "Inviato da iPhone", "أرسلت من iPhone". The
   phrases are mail-parser-reply's for its languages plus ours (``SIGN_OFFS``,
   ``MOBILE_SIGNATURES``) for what it misses. Unlike the library, which cuts from the first
   phrase it finds anywhere to the end, a sign-off is removed only when it starts a short
   block at the very end that looks like a signature (``_signature_like``), so "Thanks, that
   works." followed by more text, or "regards" in a sentence, stays.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from email.message import EmailMessage
from email.utils import parseaddr

import nh3
from django.core.files.uploadedfile import SimpleUploadedFile
from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

log = logging.getLogger(__name__)

# The languages mail-parser-reply is asked to recognise (attribution lines, Outlook headers,
# sign-offs): the UI languages it supports (English, Italian; not Arabic, handled below) and
# the other European languages clients' mail programs commonly write in.
PARSER_LANGUAGES = ("en", "it", "de", "fr", "es", "nl")
# UI languages the library does not know, whose rules live in this module.
OWN_LANGUAGES = ("ar",)


# ---------------------------------------------------------------- automatic mail

NO_REPLY_SENDER = re.compile(
    r"^(?:mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply)(?:[-_.+].*)?$",
    re.IGNORECASE,
)
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTOMATIC_FLAGS = ("X-Autoreply", "X-Autorespond")
# Subjects that out-of-office and auto-responders use, at the start of the subject only (a
# person may well write "Re: Out of office coverage").
AUTOMATIC_SUBJECT = re.compile(
    r"^\W*(?:automatic reply|auto[- ]?reply|auto[- ]?response|out of (?:the )?office"
    r"|risposta automatica|fuori (?:ufficio|sede)"
    r"|رد تلقايي|رد الي|خارج المكتب)",
    re.IGNORECASE,
)


def automatic_reason(message: EmailMessage) -> str | None:
    """Why ``message`` is automatic mail (an auto-reply, a bounce, bulk or list mail, a no-reply
    sender), or None when a person wrote it."""
    sender = parseaddr(str(message.get("From", "")))[1].strip()
    if not sender:
        return "no sender"
    if NO_REPLY_SENDER.match(sender.partition("@")[0]):
        return f"sender {sender}"
    if str(message.get("Return-Path", "")).strip() == "<>":
        return "null return path"
    auto = str(message.get("Auto-Submitted", "")).split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in AUTOMATIC_FLAGS:
        value = message.get(name)
        if value is not None and str(value).strip().lower() not in {"no", "false", "0"}:
            return f"{name}: {value}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.get("List-Id"):
        return "mailing list"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    subject = str(message.get("Subject", ""))
    if AUTOMATIC_SUBJECT.match(_plain(subject)):
        return f"subject {subject!r}"
    return None


def is_automatic(message: EmailMessage) -> bool:
    return automatic_reason(message) is not None


# ---------------------------------------------------------------- the message's parts


def body_text(message: EmailMessage) -> str:
    """The text part, or the HTML part sanitised (nh3) and turned into text."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return part.get_content()
    part = message.get_body(preferencelist=("html",))
    if part is None:
        return ""
    cleaned = nh3.clean(part.get_content(), tags={"p", "br", "div", "blockquote"}, attributes={})
    cleaned = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", cleaned)
    cleaned = re.sub(r"<[^>]+>", "", cleaned)
    return html.unescape(cleaned)


def attachments(message: EmailMessage) -> list[SimpleUploadedFile]:
    """The named attachments, as uploaded files."""
    files = []
    for part in message.iter_attachments():
        name = part.get_filename()
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        files.append(SimpleUploadedFile(name, payload, part.get_content_type()))
    return files


def reply_text(message: EmailMessage) -> str:
    """What the author of the reply wrote: ``clean_reply`` of its text."""
    return clean_reply(body_text(message))


# ---------------------------------------------------------------- cleaning a reply

# Arabic, in the form ``_plain`` gives (no diacritics or bidi marks, hamza forms as bare alef).
# Gmail / Apple Mail: "في الأحد، 1 ديسمبر 2026 في 10:00 ص، كتب فلان <x@y>:", sometimes wrapped
# onto a second line.
ARABIC_ATTRIBUTION = re.compile(r"^(?:>\s*)*في\s.*\d.*كتب.*:$")
# Outlook: "من: … / تم الإرسال: … / إلى: … / الموضوع: …", and its "Original Message" line.
ARABIC_HEADER_LABEL = re.compile(
    r"^(?:>\s*)*(?:من|تم الارسال|ارسل|ارسلت|تاريخ الارسال|التاريخ|الى|نسخة|نسخة الى|الموضوع)\s*:"
)
ARABIC_ORIGINAL_MESSAGE = re.compile(r"^(?:>\s*)*-{3,}\s*الرسالة الاصلية\s*-{3,}$")

# Sign-offs the library does not list (matched at the start of a line, case-insensitively).
SIGN_OFFS = {
    "en": [
        r"(?:best|kind|kindest|warm|warmest|many) (?:regards|wishes|thanks)",
        r"regards",
        r"cheers",
        r"thanks(?: again| a lot| so much| in advance)?",
        r"thank you(?: (?:so|very) much| again| in advance)?",
        r"sincerely(?: yours)?",
        r"yours (?:sincerely|truly|faithfully)",
        r"all the best",
        r"best",
        r"take care",
    ],
    "it": [
        r"(?:cordiali|distinti|cari|tanti|molti) saluti",
        r"saluti(?: cordiali)?",
        r"un (?:caro |cordiale )?saluto",
        r"cordialmente",
        r"grazie(?: mille| ancora| in anticipo)?",
        r"buona giornata",
        r"buon lavoro",
        r"a presto",
        r"ciao",
    ],
    "ar": [
        r"مع (?:اطيب|اجمل|خالص|فايق) (?:التحيات|التحية|الشكر|الاحترام|التقدير)",
        r"مع (?:التحية|التحيات|الشكر|التقدير|الاحترام|تحياتي)(?: والتقدير| والاحترام)?",
        r"(?:اطيب|خالص) التحيات",
        r"و?تحياتي(?: وتقديري)?",
        r"و?شكرا(?: جزيلا| لك| لكم)*",
        r"دمتم(?: بخير)?",
    ],
}
# "Sent from my iPhone" and the like (a whole, short line).
MOBILE_SIGNATURES = {
    "en": [r"sent from\b", r"sent via\b", r"get outlook for\b"],
    "it": [r"inviato da\w*\b", r"inviato dal mio\b", r"(?:scarica|ottieni) outlook per\b"],
    "ar": [
        r"(?:ارسلت?|مرسلة?|تم الارسال|تم ارساله|ارسل) (?:من|عبر|بواسطة)\b",
        r"احصل على outlook\b",
    ],
}

MAX_SIGNATURE_LINES = 8  # after the sign-off: name, title, company, phone, address, web
MAX_SIGNATURE_LINE = 80
MAX_MOBILE_LINE = 60
MAX_MOBILE_WORDS = 7
SEPARATOR_LINE = re.compile(r"^[_\-=]{10,}$")


def _alternation(patterns) -> str:
    return "|".join(f"(?:{p})" for p in patterns if p)


def _library(key: str) -> list[str]:
    found = []
    for language in PARSER_LANGUAGES:
        value = MAIL_LANGUAGES.get(language, {}).get(key) or []
        found += [value] if isinstance(value, str) else list(value)
    return found


def _own(table: dict[str, list[str]]) -> list[str]:
    return [pattern for patterns in table.values() for pattern in patterns]


SIGN_OFF = re.compile(
    rf"^(?:{_alternation(_library('signatures') + _own(SIGN_OFFS))})(?!\w)", re.IGNORECASE
)
MOBILE_SIGNATURE = re.compile(
    rf"^(?:{_alternation(_library('sent_from') + _own(MOBILE_SIGNATURES))})", re.IGNORECASE
)

BIDI_MARKS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
)
ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي"})


def _plain(line: str) -> str:
    """``line`` for matching only: no bidi marks, no Arabic diacritics or tatweel, hamza forms
    as bare letters, whitespace collapsed."""
    line = line.translate(BIDI_MARKS).translate(ARABIC_LETTERS).replace("\u0640", "")
    line = "".join(c for c in line if not ("\u064b" <= c <= "\u065f" or c == "\u0670"))
    return " ".join(unicodedata.normalize("NFC", line).split())


def _cut_arabic_history(lines: list[str]) -> list[str]:
    """The lines before an Arabic attribution line or Outlook header block, if any."""
    plain = [_plain(line) for line in lines]
    for i, line in enumerate(plain):
        following = plain[i + 1] if i + 1 < len(plain) else ""
        if (
            ARABIC_ATTRIBUTION.match(line)
            or (following and ARABIC_ATTRIBUTION.match(f"{line} {following}"))
            or ARABIC_ORIGINAL_MESSAGE.match(line)
            or (re.match(r"^(?:>\s*)*من\s*:", line) and ARABIC_HEADER_LABEL.match(following))
        ):
            return lines[:i]
    return lines


def _latest_reply(text: str) -> str:
    """The text above the quoted history (mail-parser-reply); "" when nothing was written
    above it; the whole text when the parser fails (a reply must not be lost)."""
    try:
        replies = EmailReplyParser(languages=list(PARSER_LANGUAGES)).read(text).replies
    except Exception:
        log.exception("reply parser failed; keeping the whole text")
        return text
    if not replies or replies[0].headers:
        return ""  # the first fragment already is quoted history
    return replies[0].content


def _is_sign_off(line: str) -> bool:
    """A line that is a sign-off, alone or followed by a name ("Thanks, Mario"), not a sentence
    that starts with one ("Thanks, that works.")."""
    found = SIGN_OFF.match(line)
    if not found:
        return False
    rest = line[found.end() :].strip(" \t,.;:!-–—،")
    if not rest:
        return True
    words = rest.split()
    return len(words) <= 3 and all(word[0].isupper() for word in words)


def _is_mobile_signature(line: str) -> bool:
    """A short line such as "Sent from my iPhone", not a sentence ("Inviato da Mario il …")."""
    return (
        len(line) <= MAX_MOBILE_LINE
        and len(line.split()) <= MAX_MOBILE_WORDS
        and not line.endswith((".", "?", "!"))
        and bool(MOBILE_SIGNATURE.match(line))
    )


def _signature_like(block: list[str]) -> bool:
    lines = [line for line in block if line.strip()]
    return len(lines) <= MAX_SIGNATURE_LINES and all(
        len(line) <= MAX_SIGNATURE_LINE
        and not line.rstrip().endswith("?")
        and not re.match(r"(?i)^p\.?\s?s\b", line)
        for line in lines
    )


def _strip_sign_off(lines: list[str]) -> list[str]:
    """Remove the trailing signature block that starts with a sign-off or a mobile signature."""
    while lines and (not lines[-1].strip() or SEPARATOR_LINE.match(lines[-1].strip())):
        lines = lines[:-1]
    # Only the last lines can start it; the earliest that does takes the whole block along
    # ("Kind regards / Mario / Sent from my iPhone").
    start, filled = len(lines), 0
    while start > 0 and filled <= MAX_SIGNATURE_LINES:
        start -= 1
        filled += bool(lines[start].strip())
    for i in range(start, len(lines)):
        plain = _plain(lines[i])
        if not plain or not _signature_like(lines[i + 1 :]):
            continue
        if _is_mobile_signature(plain):
            return lines[:i]
        if _is_sign_off(plain) and any(line.strip() for line in lines[:i]):
            return lines[:i]  # (a message that is only "Thanks!" is kept)
    return lines


def clean_reply(text: str) -> str:
    """The new text of an emailed reply: without quoted history, its attribution line,
    the signature and the trailing sign-off (see the module's docstring)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    text = "\n".join(_cut_arabic_history(lines))
    kept = []
    for line in _latest_reply(text).split("\n"):
        if line.strip() in {"--", "-- "} or line.startswith("-- "):
            break  # a signature starts here
        if line.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(_strip_sign_off(kept)).strip()
