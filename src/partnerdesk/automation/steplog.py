"""What a completed step did, as the run log stores it: a message key with its parameters
(``step_message``), translated when a page shows it (``describe.message``). Older log rows hold
only the English summary; :func:`log_messages` maps those back to the same messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class StepMessage(StrEnum):
    """What a completed step did, stored as a key with parameters and translated when read."""

    TICKET_CREATED = "ticket_created"  # ticket_id, name
    OWNER_ASSIGNED = "owner_assigned"  # user_id, email
    MOVED = "moved"  # stage_id, stage
    PROPERTY_SET = "property_set"  # name
    PROPERTY_SET_ON_DEALS = "property_set_on_deals"  # name, count
    DEAL_LINKED = "deal_linked"  # deal_id
    NO_DEAL_TO_LINK = "no_deal_to_link"
    NOTIFIED = "notified"  # count
    SLACK_POSTED = "slack_posted"  # text
    ISSUE_OPENED = "issue_opened"  # number


def step_message(key: StepMessage, **params: Any) -> dict[str, Any]:
    return {"key": str(key), "params": params}


# The English summaries older log rows hold (actions.py wrote them before the keys), each
# mapped to its message.
_OLD_SUMMARIES: tuple[tuple[re.Pattern[str], StepMessage, tuple[str, ...]], ...] = (
    (re.compile(r"ticket #(\d+) (.*)", re.S), StepMessage.TICKET_CREATED, ("ticket_id", "name")),
    (re.compile(r"owner (\S+)"), StepMessage.OWNER_ASSIGNED, ("email",)),
    (re.compile(r"moved to (.+)", re.S), StepMessage.MOVED, ("stage",)),
    (
        re.compile(r"(\S+) set on (\d+) deal\(s\)"),
        StepMessage.PROPERTY_SET_ON_DEALS,
        ("name", "count"),
    ),
    (re.compile(r"(\S+) set"), StepMessage.PROPERTY_SET, ("name",)),
    (re.compile(r"linked deal #(\d+)"), StepMessage.DEAL_LINKED, ("deal_id",)),
    (re.compile(r"no open deal to link"), StepMessage.NO_DEAL_TO_LINK, ()),
    (re.compile(r"notified (\d+)"), StepMessage.NOTIFIED, ("count",)),
    (re.compile(r"posted: (.*)", re.S), StepMessage.SLACK_POSTED, ("text",)),
    (re.compile(r"issue #(\d+)"), StepMessage.ISSUE_OPENED, ("number",)),
)


def _old_summary(text: str) -> dict[str, Any] | None:
    for pattern, key, params in _OLD_SUMMARIES:
        match = pattern.fullmatch(text)
        if match:
            values = [int(v) if v.isdigit() else v for v in match.groups()]
            return step_message(key, **dict(zip(params, values, strict=True)))
    return None


def log_messages(entry: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The messages of a log entry: stored ones, else its English summary mapped back (a set
    property step joins several with "; "); None when the summary is not one we know."""
    if entry.get("messages"):
        return list(entry["messages"])
    summary = str(entry.get("result") or "")
    if not summary:
        return []
    whole = _old_summary(summary)
    if whole is not None:
        return [whole]
    parts = [_old_summary(part) for part in summary.split("; ")]
    return None if None in parts else parts  # type: ignore[return-value]
