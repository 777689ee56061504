"""Workflow actions. ``apply`` runs inside the transaction that advances the run; ``call`` (for
actions that talk to other systems) runs before it, outside any transaction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import httpx
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.template import Context, Template, TemplateSyntaxError
from django.urls import reverse
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Team, User
from partnerdesk.core import crypto
from partnerdesk.core.errors import DomainError
from partnerdesk.core.permissions import SYSTEM
from partnerdesk.core.records import in_batch, memoized, single
from partnerdesk.crm import services as crm
from partnerdesk.crm.models import Deal, Pipeline, Stage, StageKind
from partnerdesk.notifications.models import Kind
from partnerdesk.notifications.services import notify
from partnerdesk.portal.models import Task
from partnerdesk.tickets import services as tickets
from partnerdesk.tickets.models import Ticket

from .models import IntegrationSettings, WorkflowRun
from .steplog import StepMessage as Say
from .steplog import step_message

HTTP_TIMEOUT = 10.0


def render(text: str, context: dict) -> str:
    try:
        return Template(text or "").render(Context(context, autoescape=False)).strip()
    except TemplateSyntaxError as exc:
        raise DomainError(
            code="invalid_template", message=_("The text has a template error: %(e)s") % {"e": exc}
        ) from None


def _target(run, subject, *, to_update: bool = False):
    """The record an action works on: a ticket an earlier action created, else the event's
    record. ``to_update``: a ticket is read locked, with its owner, as ``ticket_update`` reads
    it (which is then told not to read it again: ``locked=True``).

    In a worker's batch, the ticket the run's previous step has just created (``CreateTicket``)
    is taken as it is, once: it was inserted by the batch's transaction, so nobody else can see
    it, lock it or change it, and nothing changed it since (the next step that works on a record
    takes it; later steps read it again, since a step may change it through a copy of its
    own)."""
    ticket_id = run.context.get("ticket_id")
    fresh = run.__dict__.pop("_created_ticket", None)
    if ticket_id and fresh is not None and fresh.pk == ticket_id:
        return fresh
    model: type[Model] = Ticket if ticket_id else type(subject)
    rows: QuerySet[Any] = model._default_manager.all()
    if to_update and model is Ticket:
        rows = rows.select_for_update(of=("self",)).select_related("owner")
    return rows.get(pk=ticket_id or subject.pk)


def _deal_or_ticket(run, subject, *, to_update: bool = False) -> Deal | Ticket:
    """The target of a step that changes a deal or a ticket (owner, stage, property)."""
    record = _target(run, subject, to_update=to_update)
    if not isinstance(record, Deal | Ticket):
        raise DomainError(
            code="not_applicable",
            message=_(
                "This step changes a deal or a ticket; the event is about neither. "
                "Create a ticket first, or remove the step."
            ),
        )
    return record


def _url_of(record) -> str:
    if isinstance(record, Ticket):
        return f"/app/tickets/{record.pk}/"
    if isinstance(record, Deal):
        return f"/app/deals/{record.pk}/"
    if isinstance(record, Task):
        return reverse("taskdesk:detail", kwargs={"pk": record.pk})
    return ""


def _get(model, pk, what: str):
    """The pipeline, stage or team an action names (read once per batch of a worker)."""

    def load():
        found = model.objects.filter(pk=pk)
        if model is Team:
            found = found.select_related("lead")
        return single(found) if pk else None

    obj = memoized(("action_config", model, pk), load)
    if obj is None:
        raise DomainError(
            code="misconfigured",
            message=_("The action's %(what)s no longer exists; edit the workflow.")
            % {"what": what},
        )
    return obj


class Handler(ABC):
    external = False  # True: ``call`` talks to another system before ``apply`` commits

    def call(self, *, action, run, subject, context):
        return None

    @abstractmethod
    def apply(self, *, action, run, subject, context, prepared) -> dict | None:
        """Do the database part inside the run's transaction; return context, a summary (plain
        English, for the timeline) and ``messages`` (``describe.step_message``: the run log,
        translated when read)."""


class CreateTicket(Handler):
    """Open a ticket for the event's deal. ``if_missing``: "ask" opens it even when the deal
    lacks what the entry stage requires (the ticket says what is needed and cannot leave that
    stage before it is filled in); by default the run fails naming what is missing."""

    def apply(self, *, action, run, subject, context, prepared):
        config = action.config
        pipeline = _get(Pipeline, config.get("pipeline_id"), _("pipeline"))
        stage = _get(Stage, config.get("stage_id"), _("stage")) if config.get("stage_id") else None
        owner = (
            User.objects.agency_staff().filter(pk=config.get("owner_id")).first()
            if config.get("owner_id")
            else None
        )
        deal = subject if isinstance(subject, Deal) else getattr(subject, "deal", None)
        if deal is None:
            raise DomainError(
                code="no_deal", message=_("A ticket can be created only for an event about a deal.")
            )
        ticket = tickets.ticket_create_from_deal(
            deal=deal,
            by=SYSTEM,
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            source="automation",
            priority=config.get("priority") or "medium",
            if_missing="ask" if config.get("if_missing") == "ask" else "refuse",
        )
        # For the run's next step (``_target``), inside a worker's batch only: there the ticket
        # was inserted by the batch's one transaction, so nobody else can see or change it
        # before that step. Elsewhere each step commits on its own, and the next reads it again.
        if in_batch():
            run._created_ticket = ticket
        return {
            "context": {"ticket_id": ticket.pk},
            "summary": f"ticket #{ticket.pk} {ticket.name}",
            "messages": [step_message(Say.TICKET_CREATED, ticket_id=ticket.pk, name=ticket.name)],
        }


def empty_team(team: Team) -> DomainError:
    """The run's error when a step's team has nobody in it (a fresh install's teams are empty)."""
    return DomainError(
        code="empty_team",
        message=_(
            "Team “%(t)s” has no active members: add someone to the team, or change this step."
        )
        % {"t": team.name},
    )


def round_robin(team: Team) -> User:
    """The next active member after the last one assigned (the team row is locked)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    members = list(team.members.filter(is_active=True).order_by("pk"))
    if not members:
        raise empty_team(team)
    later = [m for m in members if m.pk > (team.last_assigned_id or 0)]
    chosen = later[0] if later else members[0]
    team.last_assigned = chosen
    team.save(update_fields=["last_assigned"])
    return chosen


class AssignOwner(Handler):
    def apply(self, *, action, run, subject, context, prepared):
        config = action.config
        record = _deal_or_ticket(run, subject, to_update=True)
        if config.get("user_id"):
            owner = User.objects.agency_staff().filter(pk=config["user_id"]).first()
            if owner is None:
                raise DomainError(
                    code="misconfigured", message=_("The user to assign is no longer active.")
                )
        else:
            team = _get(Team, config.get("team_id"), _("team"))
            lead = team.lead if team.lead_id and team.lead.is_active else None
            owner = lead if config.get("mode") == "lead" and lead else round_robin(team)
        if isinstance(record, Ticket):
            tickets.ticket_update(ticket=record, by=SYSTEM, owner=owner, locked=True)
        else:
            crm.deal_update(deal=record, by=SYSTEM, owner=owner)
        notify(
            users=[owner],
            kind=Kind.ASSIGNED,
            title=lambda u: _("Assigned to you: %(r)s") % {"r": record},
            url=_url_of(record),
            dedupe_key=f"run:{run.pk}:assign",
        )
        return {
            "summary": f"owner {owner.email}",
            "messages": [step_message(Say.OWNER_ASSIGNED, user_id=owner.pk, email=owner.email)],
        }


class MoveStage(Handler):
    def apply(self, *, action, run, subject, context, prepared):
        stage = _get(Stage, action.config.get("stage_id"), _("stage"))
        record = _deal_or_ticket(run, subject)
        if isinstance(record, Ticket):
            tickets.ticket_move(ticket=record, stage=stage, by=SYSTEM)
        else:
            crm.deal_move(deal=record, stage=stage, by=SYSTEM)
        return {
            "summary": f"moved to {stage.name}",
            "messages": [step_message(Say.MOVED, stage_id=stage.pk, stage=stage.name)],
        }


def _ticket_deals(ticket: Ticket) -> list[Deal]:
    """Every deal the ticket is associated with, the one it was opened from first."""
    deals = Deal.objects.filter(Q(tickets=ticket) | Q(pk=ticket.deal_id or 0)).distinct()
    return sorted(deals, key=lambda d: (d.pk != ticket.deal_id, d.pk))


def _link_latest_open_deal(ticket: Ticket, pipeline_id) -> Deal | None:
    """Associate the ticket with its company's most recent open deal of the pipeline, if any."""
    pipeline = _get(Pipeline, pipeline_id, _("pipeline"))
    if ticket.company_id is None:
        return None
    deal = (
        Deal.objects.filter(
            company_id=ticket.company_id, pipeline=pipeline, stage__kind=StageKind.OPEN
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if deal is not None:
        tickets.ticket_deal_link(ticket=ticket, deal=deal, by=SYSTEM)
    return deal


class SetProperty(Handler):
    """Set a property on the record. Options for a ticket:

    - ``link_deal_pipeline_id``: first associate the ticket with its company's most recent open
      deal of that pipeline (a delivered website's annual renewal deal), when there is one;
    - ``on``: "deals" sets the property on every deal of the ticket instead of the ticket (the
      website domain copied to the website deal and the renewal deal); an empty value is then
      not copied, so it never blanks what a deal has.
    """

    def apply(self, *, action, run, subject, context, prepared):
        config = action.config
        name = config.get("name", "")
        value = render(str(config.get("value", "")), context)
        record = _deal_or_ticket(run, subject, to_update=True)
        if not (config.get("link_deal_pipeline_id") or config.get("on") == "deals"):
            if isinstance(record, Ticket):
                tickets.ticket_update(
                    ticket=record, by=SYSTEM, properties={name: value}, locked=True
                )
            else:
                crm.deal_update(deal=record, by=SYSTEM, properties={name: value})
            return {
                "summary": f"{name} set",
                "messages": [step_message(Say.PROPERTY_SET, name=name)],
            }
        if not isinstance(record, Ticket):
            raise DomainError(
                code="not_applicable",
                message=_("Linking deals and setting a property on them needs a ticket."),
            )
        summary, messages = [], []
        if config.get("link_deal_pipeline_id"):
            linked = _link_latest_open_deal(record, config["link_deal_pipeline_id"])
            summary.append(f"linked deal #{linked.pk}" if linked else "no open deal to link")
            messages.append(
                step_message(Say.DEAL_LINKED, deal_id=linked.pk)
                if linked
                else step_message(Say.NO_DEAL_TO_LINK)
            )
        if config.get("on") == "deals":
            deals = _ticket_deals(record) if value else []
            for deal in deals:
                crm.deal_update(deal=deal, by=SYSTEM, properties={name: value})
            summary.append(f"{name} set on {len(deals)} deal(s)")
            messages.append(step_message(Say.PROPERTY_SET_ON_DEALS, name=name, count=len(deals)))
        else:
            tickets.ticket_update(ticket=record, by=SYSTEM, properties={name: value}, locked=True)
            summary.append(f"{name} set")
            messages.append(step_message(Say.PROPERTY_SET, name=name))
        return {"summary": "; ".join(summary), "messages": messages}


class Notify(Handler):
    def apply(self, *, action, run, subject, context, prepared):
        config = action.config
        users = list(User.objects.agency_staff().filter(pk__in=config.get("user_ids") or []))
        if config.get("team_id"):
            team = _get(Team, config["team_id"], _("team"))
            members = list(team.members.filter(is_active=True))
            if not members:
                raise empty_team(team)
            users += members
        record = _target(run, subject)
        if config.get("include_owner") and getattr(record, "owner", None):
            users.append(record.owner)
        title = render(config.get("title") or str(record), context)
        body = render(config.get("message", ""), context)
        sent = notify(
            users=users,
            kind=Kind.WORKFLOW,
            title=title,
            body=body,
            url=_url_of(record),
            dedupe_key=f"run:{run.pk}:{action.pk}",
        )
        return {
            "summary": f"notified {len(sent)}",
            "messages": [step_message(Say.NOTIFIED, count=len(sent))],
        }


def _secret(action, name: str) -> str:
    token = (action.secrets or {}).get(name)
    return crypto.decrypt(token) if token else ""


class Slack(Handler):
    external = True

    def call(self, *, action, run, subject, context):
        url = _secret(action, "webhook_url") or IntegrationSettings.load().secret(
            "slack_webhook_url"
        )
        if not url:
            raise DomainError(
                code="slack_not_configured",
                message=_("No Slack webhook URL: set one on the action or under Integrations."),
            )
        text = render(action.config.get("text", ""), context) or str(subject)
        response = httpx.post(url, json={"text": text}, timeout=HTTP_TIMEOUT)
        if response.status_code >= 400:
            raise RuntimeError(f"Slack answered {response.status_code}: {response.text[:200]}")
        return text

    def apply(self, *, action, run, subject, context, prepared):
        return {
            "summary": f"posted: {prepared[:120]}",
            "messages": [step_message(Say.SLACK_POSTED, text=prepared[:120])],
        }


class GithubIssue(Handler):
    external = True

    def call(self, *, action, run, subject, context):
        integration = IntegrationSettings.load()
        token, repo = integration.secret("github_token"), integration.github_repository
        if not token or not repo:
            raise DomainError(
                code="github_not_configured",
                message=_("Set the GitHub repository and token under Integrations."),
            )
        title = render(action.config.get("title") or "{{ ticket.name }}", context)
        body = render(action.config.get("body", ""), context)
        key = f"github_issue_{action.pk}"
        if run.context.get(key):  # opened by an attempt that failed later: not twice
            return run.context[key]
        response = httpx.post(
            f"{integration.github_api_url.rstrip('/')}/repos/{repo}/issues",
            json={"title": title, "body": body},
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "User-Agent": "Partnerdesk",
            },
            timeout=HTTP_TIMEOUT,
        )
        if response.status_code >= 400:
            raise RuntimeError(f"GitHub answered {response.status_code}: {response.text[:200]}")
        number = int(response.json()["number"])
        # Saved at once, on its own: if the step's own commit fails after this, the retry
        # finds the issue instead of opening a second one.
        with transaction.atomic():
            locked = WorkflowRun.objects.select_for_update().get(pk=run.pk)
            locked.context[key] = number
            locked.save(update_fields=["context"])
        run.context[key] = number
        return number

    def apply(self, *, action, run, subject, context, prepared):
        record = _target(run, subject)
        if isinstance(record, Ticket):
            tickets.ticket_update(
                ticket=record, by=SYSTEM, properties={"issue_tracker_number": str(prepared)}
            )
        return {
            "context": {"issue_number": prepared},
            "summary": f"issue #{prepared}",
            "messages": [step_message(Say.ISSUE_OPENED, number=prepared)],
        }


HANDLERS = {
    "create_ticket": CreateTicket(),
    "assign_owner": AssignOwner(),
    "move_stage": MoveStage(),
    "set_property": SetProperty(),
    "notify": Notify(),
    "slack": Slack(),
    "github_issue": GithubIssue(),
}
