"""The CRM's record pages, open to the apps above crm.

The company page shows the company at a glance — its open tickets, its client tasks against the
plan, its HubSpot subscriptions — but crm (layer 2) may not import tickets, portal or the
partner program. So, as with timeline sentences and event handlers (``core.events``), the page
is an extension point: each app registers what it adds from its ``AppConfig.ready`` (its
``glance.py``), and crm renders what is registered without naming any app above it.

Three registries:

- **panels** (``register_panel``): a card on a company or contact page — a title, a count
  computed in SQL, the latest few rows, figures, a link to the filtered list. A builder gets
  the record and the user and returns ``None`` when the user may not see it (agents see no
  HubSpot subscriptions). Each builder runs a fixed number of queries.
- **timeline sources** (``register_timeline_source``): the record types whose events the
  merged timeline shows (``crm.selectors.record_timeline``), with their label, their page,
  their name as SQL and who may see them.
- **secret holders** (``register_secret_holder``): the record types whose secret properties
  can be revealed through ``crm:secret_reveal``, with the look-up that applies the user's
  access to the record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Expression, Model, QuerySet, Window
from django.utils.functional import Promise

Label = str | Promise


# ---------------------------------------------------------------- panels


@dataclass
class Figure:
    """A labelled number on a card ("In progress: 2 of 2 (Duo plan)")."""

    label: Label
    value: Any
    key: str = ""  # a stable name for tests and styling (data-figure)


@dataclass
class Panel:
    """One card. ``template`` renders ``panel.rows`` (a partial of the contributing app)."""

    key: str
    title: Label
    template: str
    count: int | None  # None: a card about one record (a contact's company), nothing to count
    rows: Sequence[Any] = ()
    figures: Sequence[Figure] = ()
    view_all_url: str = ""
    view_all_label: Label = ""
    empty: Label = ""
    links: Sequence[tuple[Label, str]] = ()  # more actions: (label, url)
    extra: dict[str, Any] = field(default_factory=dict)


PanelBuilder = Callable[[Any, Any], Panel | None]

# page ("company", "contact") -> key -> (order, builder)
_PANELS: dict[str, dict[str, tuple[int, PanelBuilder]]] = {}

PAGES = ("company", "contact")
# How many rows a card shows; its count says how many there are.
LATEST = 5


def latest(queryset: QuerySet, n: int = LATEST) -> tuple[list, int]:
    """The first ``n`` rows of ``queryset`` and how many rows it has, in one query: the count is
    a window over the same rows, computed before the limit."""
    rows = list(queryset.annotate(glance_total=Window(Count("pk")))[:n])
    return rows, (rows[0].glance_total if rows else 0)


def register_panel(page: str, key: str, build: PanelBuilder, *, order: int) -> None:
    """Show ``build(record, user)`` on every ``page`` ("company" or "contact"), by ``order``."""
    if page not in PAGES:
        raise ValueError(f"no record page {page!r}: one of {PAGES}")
    _PANELS.setdefault(page, {})[key] = (order, build)


def panels_for(page: str, record, user) -> list[Panel]:
    entries = sorted(_PANELS.get(page, {}).items(), key=lambda item: (item[1][0], item[0]))
    panels = []
    for _key, (_order, build) in entries:
        panel = build(record, user)
        if panel is not None:
            panels.append(panel)
    return panels


# ---------------------------------------------------------------- timeline sources


def everybody(user) -> bool:
    return True


@dataclass(frozen=True)
class TimelineSource:
    """A record type whose events the merged timelines show.

    ``title``: the record's name, a field name or an expression on the record, read in the
    timeline's one query as a subquery on the event's subject. ``of_contact``: the ids of the
    records about a contact (their tickets, the tasks they asked for), or None when a contact's
    timeline has none of them.
    """

    model: type[Model]
    label: Label
    url_name: str
    title: str | Expression
    visible: Callable[[Any], bool] = everybody
    of_contact: Callable[[Any], QuerySet | None] | None = None


_SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(source: TimelineSource) -> None:
    _SOURCES[source.model._meta.label_lower] = source


def timeline_sources(user) -> list[TimelineSource]:
    """The sources whose events ``user`` may read."""
    return [source for source in _SOURCES.values() if source.visible(user)]


# ---------------------------------------------------------------- secret holders

# object type ("company", "ticket", ...) -> look-up(user, pk) that 404s what the user may not see
SecretLookup = Callable[[Any, int], Any]
_SECRET_HOLDERS: dict[str, SecretLookup] = {}


def register_secret_holder(object_type: str, lookup: SecretLookup) -> None:
    _SECRET_HOLDERS[object_type] = lookup


def secret_holder(object_type: str) -> SecretLookup | None:
    return _SECRET_HOLDERS.get(object_type)
