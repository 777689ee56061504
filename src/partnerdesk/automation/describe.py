"""Workflows, their runs and run logs as sentences with names, in the reader's language.

"When a deal is won in *Email Subscription*", "Create a ticket in *Email Creation* at stage
*New*", "Deal *Nile Dental — Email* won": one function per kind of thing (``trigger``,
``condition``, ``action``, ``event``, ``log_entry``, ``run_error``), used by the workflow list,
the workflow page and the run history alike.

Names are read in bulk: a page's sentences are built twice by :func:`described`, first with a
:class:`Names` that only notes which pipelines, stages, teams, users, products, properties and
records they mention, then, after one query per model, with their names. A name is bold; a
record that was deleted since reads as such.

Run logs are stored as message keys with parameters (``steplog``) and translated when read.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html import unescape
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils import formats, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from partnerdesk.accounts.models import Team, User
from partnerdesk.core.converters import parse_id
from partnerdesk.core.events import describe as describe_event_kind
from partnerdesk.crm.events import CrmEvent
from partnerdesk.crm.models import Company, Contact, Deal, Pipeline, Product, Stage
from partnerdesk.portal.events import PortalEvent
from partnerdesk.portal.models import Status as TaskStatus
from partnerdesk.portal.models import Task
from partnerdesk.tickets.events import TicketEvent
from partnerdesk.tickets.models import Priority, Ticket

from . import conditions, fields, triggers
from .events import AutomationEvent
from .fields import FieldSpec, Input
from .models import Action, ActionType, Trigger, Workflow, WorkflowRun
from .steplog import StepMessage, log_messages

# ---------------------------------------------------------------- names, read in bulk


class Names:
    """The records sentences mention, by id. While ``collecting``, every look-up notes the id
    and answers None; :meth:`load` then reads each model once."""

    def __init__(self, *, offline: bool = False) -> None:
        # offline: nothing is read; sentences use what the stored data says (a timeline).
        self.offline = offline
        self.collecting = not offline
        self._wanted: dict[type[Model], set[int]] = defaultdict(set)
        self._rows: dict[type[Model], dict[int, Any]] = {}
        self._paths: set[str] = set()
        self._specs: dict[str, FieldSpec] = {}
        self._labels: dict[str, str] = {}

    def seed(self, rows: Iterable[Any]) -> None:
        """Records the page has read anyway (its pickers' lists): not read again."""
        for row in rows:
            self._rows.setdefault(type(row), {})[row.pk] = row

    def get(self, model: type[Model], pk) -> Any:
        pk = parse_id(pk)
        if pk is None:
            return None
        if self.collecting:
            self._wanted[model].add(pk)
            return None
        return self._rows.get(model, {}).get(pk)

    def pipeline(self, pk) -> Pipeline | None:
        return self.get(Pipeline, pk)

    def stage(self, pk) -> Stage | None:
        return self.get(Stage, pk)

    def team(self, pk) -> Team | None:
        return self.get(Team, pk)

    def user(self, pk) -> User | None:
        return self.get(User, pk)

    def product(self, pk) -> Product | None:
        return self.get(Product, pk)

    def record(self, content_type_id: int, pk) -> tuple[type[Model] | None, Any]:
        """The model of an event's subject (ContentType's cache) and the record, if it exists."""
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        return model, (self.get(model, pk) if model is not None else None)

    def field(self, path: str) -> FieldSpec:
        """The condition field ``path`` names (a custom property's label once loaded)."""
        if self.collecting:
            self._paths.add(path)
        return self._specs.get(path) or fields.spec_for(path)

    def property_label(self, name: str) -> str:
        """A property's label by its internal name (a set-property step does not say whether
        it is the deal's or the ticket's: the ticket's, then the deal's, then the company's)."""
        for record in ("ticket", "deal", "company"):
            path = f"{record}.properties.{name}"
            if self.collecting:
                self._paths.add(path)
            elif path in self._labels:
                return self._labels[path]
        return name

    def load(self) -> None:
        for model, ids in self._wanted.items():
            known = self._rows.setdefault(model, {})
            missing = ids - known.keys()
            if not missing:
                continue
            rows = model._default_manager.filter(pk__in=missing)
            if model is Stage:
                rows = rows.select_related("pipeline")
            known.update((row.pk, row) for row in rows)
        definitions = fields.property_definitions(self._paths)
        self._specs = {fields.property_path(d): fields.property_spec(d) for d in definitions}
        self._labels = {fields.property_path(d): d.label for d in definitions}
        self.collecting = False


def described[T](build: Callable[[Names], T], *, known: Iterable[Any] = ()) -> T:
    """``build(names)`` with the names it mentions: run once to collect the ids, then once
    more after one query per model (none for the records in ``known``)."""
    names = Names()
    names.seed(known)
    build(names)
    names.load()
    return build(names)


# ---------------------------------------------------------------- sentence parts


def say(template: str | Promise, **parts: Any) -> SafeString:
    """``template`` (translated text, escaped) with ``parts`` (escaped unless already safe)."""
    return mark_safe(  # noqa: S308 - both the template and every part are escaped here
        conditional_escape(str(template)) % {k: conditional_escape(v) for k, v in parts.items()}
    )


def plain(value: Any) -> SafeString:
    """Text that is not a sentence template (a stored value, an unknown key), escaped."""
    return conditional_escape(value)


def name(value: Any) -> SafeString:
    return format_html("<strong>{}</strong>", value)


def quoted(text: Any) -> SafeString:
    return format_html("“{}”", text)


def gone(what: str) -> SafeString:
    return format_html('<em class="muted">{}</em>', what)


def listed(parts: Sequence[Any]) -> SafeString:
    """ "a, b and c" in the reader's language."""
    escaped: list[str] = [conditional_escape(p) for p in parts]
    return mark_safe(get_text_list(escaped, conditional_escape(_("and"))))  # noqa: S308


def pipeline_name(pipeline: Pipeline | None) -> SafeString:
    return name(pipeline.name) if pipeline is not None else gone(_("a deleted pipeline"))


def stage_name(stage: Stage | None) -> SafeString:
    return name(stage.name) if stage is not None else gone(_("a deleted stage"))


def stage_in_pipeline(stage: Stage | None) -> SafeString:
    """ "*New* in *Email Creation*": stage names repeat across pipelines."""
    if stage is None:
        return gone(_("a deleted stage"))
    return say(
        _("%(stage)s in %(pipeline)s"), stage=name(stage.name), pipeline=name(stage.pipeline.name)
    )


def user_name(user: User | None) -> SafeString:
    return name(str(user)) if user is not None else gone(_("a deleted user"))


def team_name(team: Team | None) -> SafeString:
    return name(team.name) if team is not None else gone(_("a deleted team"))


def product_name(product: Product | None) -> SafeString:
    return name(product.name) if product is not None else gone(_("a deleted product"))


# ---------------------------------------------------------------- triggers

TARGET_WORDS = {
    "first_response": gettext_lazy("first response"),
    "resolution": gettext_lazy("resolution"),
}

# Each trigger's sentence by what narrows it: a stage, a stage kind, a pipeline, an SLA target.
_TRIGGERS = {
    (Trigger.DEAL_STAGE_ENTERED, "stage"): gettext_lazy(
        "When a deal enters %(stage)s in %(pipeline)s"
    ),
    (Trigger.DEAL_STAGE_ENTERED, "won pipeline"): gettext_lazy(
        "When a deal is won in %(pipeline)s"
    ),
    (Trigger.DEAL_STAGE_ENTERED, "won"): gettext_lazy("When a deal is won"),
    (Trigger.DEAL_STAGE_ENTERED, "lost pipeline"): gettext_lazy(
        "When a deal is lost in %(pipeline)s"
    ),
    (Trigger.DEAL_STAGE_ENTERED, "lost"): gettext_lazy("When a deal is lost"),
    (Trigger.DEAL_STAGE_ENTERED, "open pipeline"): gettext_lazy(
        "When a deal enters an open stage in %(pipeline)s"
    ),
    (Trigger.DEAL_STAGE_ENTERED, "open"): gettext_lazy("When a deal enters an open stage"),
    (Trigger.DEAL_STAGE_ENTERED, "pipeline"): gettext_lazy(
        "When a deal changes stage in %(pipeline)s"
    ),
    (Trigger.DEAL_STAGE_ENTERED, ""): gettext_lazy("When a deal changes stage"),
    (Trigger.TICKET_CREATED, "stage"): gettext_lazy(
        "When a ticket is created in %(pipeline)s at stage %(stage)s"
    ),
    (Trigger.TICKET_CREATED, "pipeline"): gettext_lazy("When a ticket is created in %(pipeline)s"),
    (Trigger.TICKET_CREATED, ""): gettext_lazy("When a ticket is created"),
    (Trigger.TICKET_STAGE_ENTERED, "stage"): gettext_lazy(
        "When a ticket enters %(stage)s in %(pipeline)s"
    ),
    (Trigger.TICKET_STAGE_ENTERED, "pipeline"): gettext_lazy(
        "When a ticket changes stage in %(pipeline)s"
    ),
    (Trigger.TICKET_STAGE_ENTERED, ""): gettext_lazy("When a ticket changes stage"),
    (Trigger.TRACKER_ISSUE_CLOSED, "pipeline"): gettext_lazy(
        "When the GitHub issue of a ticket in %(pipeline)s is closed"
    ),
    (Trigger.TRACKER_ISSUE_CLOSED, ""): gettext_lazy("When the GitHub issue of a ticket is closed"),
    (Trigger.SLA_DUE_SOON, "target pipeline"): gettext_lazy(
        "When the %(target)s target of a ticket in %(pipeline)s is due soon"
    ),
    (Trigger.SLA_DUE_SOON, "target"): gettext_lazy(
        "When the %(target)s target of a ticket is due soon"
    ),
    (Trigger.SLA_DUE_SOON, "pipeline"): gettext_lazy(
        "When an SLA target of a ticket in %(pipeline)s is due soon"
    ),
    (Trigger.SLA_DUE_SOON, ""): gettext_lazy("When an SLA target of a ticket is due soon"),
    (Trigger.SLA_BREACHED, "target pipeline"): gettext_lazy(
        "When the %(target)s target of a ticket in %(pipeline)s is breached"
    ),
    (Trigger.SLA_BREACHED, "target"): gettext_lazy(
        "When the %(target)s target of a ticket is breached"
    ),
    (Trigger.SLA_BREACHED, "pipeline"): gettext_lazy(
        "When an SLA target of a ticket in %(pipeline)s is breached"
    ),
    (Trigger.SLA_BREACHED, ""): gettext_lazy("When an SLA target of a ticket is breached"),
    (Trigger.TASK_STATE_CHANGED, "status"): gettext_lazy("When a task request moves to %(status)s"),
    (Trigger.TASK_STATE_CHANGED, ""): gettext_lazy("When a task request changes status"),
    (Trigger.RENEWAL_APPROACHING, ""): gettext_lazy("When a renewal deadline approaches"),
}


def _narrowing(kind: Trigger, config: Mapping[str, Any]) -> str:
    """Which of the trigger's sentences applies ("won pipeline", "stage", "" …)."""
    applies = triggers.CONFIG_FIELDS.get(kind, ())
    given = {k for k, v in config.items() if v not in (None, "") and k in applies}
    if "stage_id" in given:
        return "stage"
    words = []
    if config.get("stage_kind") in ("won", "lost", "open") and "stage_kind" in given:
        words.append(config["stage_kind"])
    if "target" in given and config["target"] in TARGET_WORDS:
        words.append("target")
    if "to_status" in given and config["to_status"] in TaskStatus.values:
        words.append("status")
    if "pipeline_id" in given:
        words.append("pipeline")
    return " ".join(words)


def trigger(workflow: Workflow, names: Names) -> SafeString:
    """When the workflow runs, as a sentence: "When a deal is won in *Email Subscription*"."""
    if workflow.trigger not in Trigger.values:
        return plain(workflow.trigger)
    kind = Trigger(workflow.trigger)
    config = workflow.trigger_config or {}
    template = _TRIGGERS.get((kind, _narrowing(kind, config)))
    if template is None:  # a narrowing without a sentence of its own: the trigger's name
        return plain(kind.label)
    stage = names.stage(config.get("stage_id"))
    pipeline = names.pipeline(config.get("pipeline_id"))
    status = config.get("to_status")
    text = say(
        template,
        stage=stage_name(stage),
        pipeline=pipeline_name(pipeline or (stage.pipeline if stage is not None else None)),
        target=name(TARGET_WORDS.get(config.get("target") or "", "")),
        status=name(TaskStatus(status).label if status in TaskStatus.values else ""),
    )
    if kind == Trigger.DEAL_STAGE_ENTERED and config.get("product_id"):
        text = say(
            _("%(when)s, if it has the product %(product)s"),
            when=text,
            product=product_name(names.product(config["product_id"])),
        )
    return text


# ---------------------------------------------------------------- conditions


def _reference(spec: FieldSpec, value: Any, names: Names) -> SafeString:
    """A picked record (stage, pipeline, user, product) by its name; a value that is no id
    (an API client's name) as it was written."""
    if parse_id(value) is None:
        return quoted(value)
    if spec.input == Input.STAGE:
        return stage_in_pipeline(names.stage(value))
    if spec.input == Input.PIPELINE:
        return pipeline_name(names.pipeline(value))
    if spec.input == Input.USER:
        return user_name(names.user(value))
    return product_name(names.product(value))


def _number(value: Any) -> SafeString:
    try:
        return name(formats.number_format(Decimal(str(value))))
    except (InvalidOperation, ValueError):
        return quoted(value)


def _date(value: Any) -> SafeString:
    try:
        return name(formats.date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT"))
    except ValueError:
        return quoted(value)


def value_text(spec: FieldSpec, op: str, value: Any, names: Names) -> SafeString:
    """The value a condition compares with, as the reader knows it."""
    if spec.input in (Input.STAGE, Input.PIPELINE, Input.USER, Input.PRODUCT):
        return _reference(spec, value, names)
    if spec.input == Input.NUMBER:
        return _number(value)
    if spec.input == Input.DATE:
        return _date(value)
    if spec.input in (Input.CHOICE, Input.MULTI_CHOICE):
        return name(spec.choice_label(value))
    if op == "in":
        options = [o.strip() for o in str(value or "").split(",") if o.strip()]
        return listed([quoted(o) for o in options]) if options else quoted("")
    return quoted(value)


def condition(tree: Mapping[str, Any], names: Names) -> SafeString:
    """A condition as a sentence ("Deal amount is at least *100*"); a group lists its own."""
    if "all" in tree or "any" in tree:
        key = "any" if "any" in tree else "all"
        parts = [condition(child, names) for child in tree[key]]
        joined = mark_safe("; ".join(conditional_escape(p) for p in parts))  # noqa: S308
        template = _("any of: %(conditions)s") if key == "any" else _("all of: %(conditions)s")
        return say(template, conditions=joined)
    spec = names.field(str(tree.get("field", "")))
    op = str(tree.get("op", ""))
    operator = fields.operator_label(op, spec.input)
    if op in ("is_set", "is_not_set"):
        return say(_("%(field)s %(operator)s"), field=spec.label, operator=operator)
    return say(
        _("%(field)s %(operator)s %(value)s"),
        field=spec.label,
        operator=operator,
        value=value_text(spec, op, tree.get("value", ""), names),
    )


# ---------------------------------------------------------------- actions


def _create_ticket(config: Mapping[str, Any], names: Names) -> SafeString:
    pipeline = pipeline_name(names.pipeline(config.get("pipeline_id")))
    if config.get("stage_id"):
        text = say(
            _("Create a ticket in %(pipeline)s at stage %(stage)s"),
            pipeline=pipeline,
            stage=stage_name(names.stage(config["stage_id"])),
        )
    else:
        text = say(_("Create a ticket in %(pipeline)s"), pipeline=pipeline)
    if config.get("owner_id"):
        text = say(
            _("%(action)s, owned by %(user)s"),
            action=text,
            user=user_name(names.user(config["owner_id"])),
        )
    if config.get("priority") in Priority.values:
        text = say(
            _("%(action)s, priority %(priority)s"),
            action=text,
            priority=name(Priority(config["priority"]).label),
        )
    if config.get("if_missing") == "ask":
        text = say(_("%(action)s, even when the deal lacks what that stage requires"), action=text)
    return text


def _assign(config: Mapping[str, Any], names: Names) -> SafeString:
    if config.get("user_id"):
        return say(_("Assign to %(user)s"), user=user_name(names.user(config["user_id"])))
    team = team_name(names.team(config.get("team_id")))
    if config.get("mode") == "lead":
        return say(_("Assign to the lead of %(team)s"), team=team)
    return say(_("Assign to the next member of %(team)s (round-robin)"), team=team)


def _set_property(config: Mapping[str, Any], names: Names) -> SafeString:
    prop = name(names.property_label(str(config.get("name", ""))))
    value = quoted(config.get("value", ""))
    on_deals = config.get("on") == "deals"
    if config.get("link_deal_pipeline_id"):
        pipeline = pipeline_name(names.pipeline(config["link_deal_pipeline_id"]))
        template = (
            _(
                "Link the ticket to its company's latest open deal in %(pipeline)s, then set "
                "%(property)s to %(value)s on the ticket's deals"
            )
            if on_deals
            else _(
                "Link the ticket to its company's latest open deal in %(pipeline)s, then set "
                "%(property)s to %(value)s"
            )
        )
        return say(template, pipeline=pipeline, property=prop, value=value)
    if on_deals:
        return say(
            _("Set %(property)s to %(value)s on the ticket's deals"), property=prop, value=value
        )
    return say(_("Set %(property)s to %(value)s"), property=prop, value=value)


# Whose owner "the owner" is, by the record the step works on (``record_of``).
_OWNERS = {
    "deal": gettext_lazy("the deal's owner"),
    "ticket": gettext_lazy("the ticket's owner"),
}


def _notify(config: Mapping[str, Any], names: Names, record: str) -> SafeString:
    who: list[Any] = []
    if config.get("team_id"):
        who.append(say(_("everyone in %(team)s"), team=team_name(names.team(config["team_id"]))))
    who += [user_name(names.user(pk)) for pk in config.get("user_ids") or []]
    if config.get("include_owner"):
        who.append(_OWNERS.get(record) or _("the record's owner"))
    text = say(_("Notify %(people)s"), people=listed(who)) if who else say(_("Notify nobody"))
    if config.get("title"):
        text = say(_("%(action)s: %(title)s"), action=text, title=quoted(config["title"]))
    return text


def action(step: Action, names: Names, record: str = "") -> SafeString:
    """What a step does, as a sentence: "Assign to the lead of *Support Team*". ``record``:
    what the step works on (deal, ticket, …) when known (``record_of``)."""
    config = step.config or {}
    if step.type == ActionType.CREATE_TICKET:
        return _create_ticket(config, names)
    if step.type == ActionType.ASSIGN_OWNER:
        return _assign(config, names)
    if step.type == ActionType.MOVE_STAGE:
        return say(
            _("Move to %(stage)s"), stage=stage_in_pipeline(names.stage(config.get("stage_id")))
        )
    if step.type == ActionType.SET_PROPERTY:
        return _set_property(config, names)
    if step.type == ActionType.NOTIFY:
        return _notify(config, names, record)
    if step.type == ActionType.SLACK:
        if config.get("text"):
            return say(_("Post to Slack: %(text)s"), text=quoted(config["text"]))
        return say(_("Post to Slack"))
    if step.type == ActionType.GITHUB_ISSUE:
        return say(
            _("Create a GitHub issue: %(title)s"),
            title=quoted(config.get("title") or "{{ ticket.name }}"),
        )
    return plain(step.get_type_display())


# ---------------------------------------------------------------- events and the records


# The page of each kind of record an event can be about.
RECORD_PAGES: dict[type, str] = {
    Deal: "crm:deal_detail",
    Ticket: "tickets:detail",
    Task: "taskdesk:detail",
    Company: "crm:company_detail",
    Contact: "crm:contact_detail",
}


def record_label(record: Any) -> str:
    if isinstance(record, Ticket):
        return f"#{record.pk} {record.name}"
    if isinstance(record, Task):
        return record.title
    return str(record)


def record_link(model: type | None, record: Any, pk: Any, fallback: str = "") -> SafeString:
    """The record as a link to its page; one deleted since by what the event knew of it."""
    if record is None:
        label = fallback or f"#{pk}"
        return format_html('{} <em class="muted">{}</em>', label, _("(deleted)"))
    page = RECORD_PAGES.get(model) if model is not None else None
    label = record_label(record)
    if page is None:
        return name(label)
    try:
        url = reverse(page, kwargs={"pk": record.pk})
    except NoReverseMatch:
        return name(label)
    return format_html('<a href="{}"><strong>{}</strong></a>', url, label)


def event(ev: Any, names: Names) -> SafeString:
    """What happened, naming the record with a link: "Deal *Nile Dental — Email* won"."""
    model, record = names.record(ev.subject_type_id, ev.subject_id)
    data = ev.data or {}
    fallback = str(data.get("name") or data.get("title") or "")
    if model is Ticket and fallback:
        fallback = f"#{ev.subject_id} {fallback}"
    link = record_link(model, record, ev.subject_id, fallback)
    kind = ev.kind
    if kind == CrmEvent.DEAL_STAGE_CHANGED:
        stage_kind = data.get("kind")
        if stage_kind == "won":
            return say(_("Deal %(deal)s won"), deal=link)
        if stage_kind == "lost":
            return say(_("Deal %(deal)s lost"), deal=link)
        return say(
            _("Deal %(deal)s entered %(stage)s"), deal=link, stage=name(data.get("to_stage", ""))
        )
    if kind == TicketEvent.CREATED:
        if data.get("pipeline"):
            return say(
                _("Ticket %(ticket)s opened in %(pipeline)s"),
                ticket=link,
                pipeline=name(data["pipeline"]),
            )
        return say(_("Ticket %(ticket)s opened"), ticket=link)
    if kind == TicketEvent.STAGE_CHANGED:
        return say(
            _("Ticket %(ticket)s entered %(stage)s"),
            ticket=link,
            stage=name(data.get("to_stage", "")),
        )
    if kind == AutomationEvent.TRACKER_ISSUE_CLOSED:
        return say(
            _("Issue #%(number)s of ticket %(ticket)s was closed"),
            number=data.get("number", ""),
            ticket=link,
        )
    if kind in (TicketEvent.SLA_DUE_SOON, TicketEvent.SLA_BREACHED):
        target = name(TARGET_WORDS.get(data.get("target") or "", data.get("target", "")))
        template = (
            _("The %(target)s target of ticket %(ticket)s is due soon")
            if kind == TicketEvent.SLA_DUE_SOON
            else _("The %(target)s target of ticket %(ticket)s was breached")
        )
        return say(template, target=target, ticket=link)
    if kind == PortalEvent.TASK_STATE_CHANGED:
        status = data.get("to")
        label = TaskStatus(status).label if status in TaskStatus.values else status
        return say(_("Task request %(task)s moved to %(status)s"), task=link, status=name(label))
    return say(_("%(record)s: %(what)s"), record=link, what=describe_event_kind(ev))


# ---------------------------------------------------------------- run logs


def _count(params: Mapping[str, Any]) -> int:
    return parse_id(params.get("count")) or 0


def message(msg: Mapping[str, Any], names: Names) -> SafeString:
    """One stored step message in the reader's language."""
    params = msg.get("params") or {}
    key = msg.get("key")
    if key == StepMessage.TICKET_CREATED:
        pk = params.get("ticket_id")
        label = f"#{pk} {params.get('name', '')}".strip()
        link = (
            format_html('<a href="{}">{}</a>', reverse("tickets:detail", kwargs={"pk": pk}), label)
            if parse_id(pk)
            else label
        )
        return say(_("Created ticket %(ticket)s"), ticket=link)
    if key == StepMessage.OWNER_ASSIGNED:
        user = names.user(params.get("user_id"))
        return say(
            _("Assigned to %(user)s"), user=name(str(user) if user else params.get("email", ""))
        )
    if key == StepMessage.MOVED:
        return say(_("Moved to %(stage)s"), stage=name(params.get("stage", "")))
    if key == StepMessage.PROPERTY_SET:
        return say(
            _("Set %(property)s"), property=name(names.property_label(str(params.get("name", ""))))
        )
    if key == StepMessage.PROPERTY_SET_ON_DEALS:
        count = _count(params)
        return say(
            ngettext(
                "Set %(property)s on %(count)s deal", "Set %(property)s on %(count)s deals", count
            ),
            property=name(names.property_label(str(params.get("name", "")))),
            count=count,
        )
    if key == StepMessage.DEAL_LINKED:
        pk = params.get("deal_id")
        deal = names.get(Deal, pk)
        if deal is None and names.offline and parse_id(pk):  # not read: by its number
            url = reverse("crm:deal_detail", kwargs={"pk": pk})
            return say(_("Linked deal %(deal)s"), deal=format_html('<a href="{}">#{}</a>', url, pk))
        return say(_("Linked deal %(deal)s"), deal=record_link(Deal, deal, pk))
    if key == StepMessage.NO_DEAL_TO_LINK:
        return say(_("No open deal to link"))
    if key == StepMessage.NOTIFIED:
        count = _count(params)
        return say(
            ngettext("Notified %(count)s person", "Notified %(count)s people", count), count=count
        )
    if key == StepMessage.SLACK_POSTED:
        return say(_("Posted to Slack: %(text)s"), text=quoted(params.get("text", "")))
    if key == StepMessage.ISSUE_OPENED:
        return say(_("Opened GitHub issue #%(number)s"), number=params.get("number", ""))
    return plain(key or "")


def step_summary(summary: str) -> str:
    """A step's stored summary as plain text in the reader's language, reading nothing (the
    record timeline's "Workflow … ran" entry); a summary we cannot read stays as written."""
    messages = log_messages({"result": summary})
    if not messages:
        return summary
    names = Names(offline=True)
    return "; ".join(unescape(strip_tags(message(m, names))) for m in messages)


@dataclass(frozen=True)
class LogLine:
    step: Any
    action: str
    text: SafeString
    at: dt.datetime | None


def log_entry(entry: Mapping[str, Any], names: Names) -> LogLine:
    """A run's log entry: the step's action, what it did (translated), when."""
    kind = entry.get("action", "")
    label = str(ActionType(kind).label) if kind in ActionType.values else str(kind)
    messages = log_messages(entry)
    if messages is None:  # a summary we cannot read: shown as it was written
        text = plain(entry.get("result", ""))
    else:
        text = mark_safe(  # noqa: S308 - each message is escaped by ``say``
            "; ".join(message(m, names) for m in messages)
        )
    at = entry.get("at")
    return LogLine(entry.get("step", ""), label, text, parse_datetime(at) if at else None)


# The engine's own error texts (stored in English), translated when shown.
KNOWN_ERRORS = (gettext_noop("The record this event is about no longer exists."),)
_STEP_ERROR = re.compile(r"Step (\d+) \((.+?)\): (.*)", re.S)


@functools.cache
def _english_action_labels() -> dict[str, str]:
    with translation.override("en"):
        return {str(label): value for value, label in ActionType.choices}


def run_error(error: str) -> str:
    """A run's error in the reader's language: "Step 2 (Post to Slack): …" names the step's
    action in that language, and the engine's own texts are translated (what another system
    answered stays as it was)."""
    if not error:
        return ""
    match = _STEP_ERROR.fullmatch(error)
    if match is None:
        return _(error) if error in KNOWN_ERRORS else error
    number, label, rest = match.groups()
    kind = _english_action_labels().get(label)
    action_label = str(ActionType(kind).label) if kind else label
    return _("Step %(n)s (%(action)s): %(error)s") % {
        "n": number,
        "action": action_label,
        "error": _(rest) if rest in KNOWN_ERRORS else rest,
    }


# ---------------------------------------------------------------- pages


@dataclass
class WorkflowText:
    trigger: SafeString
    match: str  # "all" or "any"
    conditions: list[SafeString] = field(default_factory=list)  # the top group's, in order
    actions: list[tuple[Action, SafeString]] = field(default_factory=list)


def record_of(trigger_name: str) -> str:
    """The kind of record a trigger's events are about: "deal", "ticket", "task" or ""."""
    if trigger_name == Trigger.DEAL_STAGE_ENTERED:
        return "deal"
    if trigger_name == Trigger.TASK_STATE_CHANGED:
        return "task"
    return "ticket" if trigger_name in triggers.CONFIG_FIELDS else ""


def workflow_text(workflow: Workflow, steps: Iterable[Action], names: Names) -> WorkflowText:
    match, children = conditions.top_group(workflow.conditions)
    record = record_of(workflow.trigger)
    actions = []
    for step in steps:
        actions.append((step, action(step, names, record)))
        if step.type == ActionType.CREATE_TICKET:  # the later steps work on that ticket
            record = "ticket"
    return WorkflowText(
        trigger=trigger(workflow, names),
        match=match,
        conditions=[condition(child, names) for child in children],
        actions=actions,
    )


@dataclass(frozen=True)
class RunText:
    run: WorkflowRun
    event: SafeString
    error: str


def run_text(run: WorkflowRun, names: Names) -> RunText:
    return RunText(run, event(run.event, names), run_error(run.error))


def workflows_described(
    workflows: Sequence[Workflow], *, known: Iterable[Any] = ()
) -> list[tuple[Workflow, WorkflowText]]:
    """Each workflow (actions prefetched) with its sentences; names read once for all."""
    return described(
        lambda names: [
            (w, workflow_text(w, sorted(w.actions.all(), key=lambda a: (a.order, a.pk)), names))
            for w in workflows
        ],
        known=known,
    )


def runs_described(runs: Iterable[WorkflowRun]) -> list[RunText]:
    """Runs (their events selected with them) with what happened; records read once per kind."""
    runs = list(runs)
    return described(lambda names: [run_text(run, names) for run in runs])
