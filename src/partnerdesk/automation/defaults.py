"""The default workflows 1–8 of PRODUCT.md part 4 (rule 9 is the deal service's won-stage check),
and the further steps of the agency's ticket process (seed 002): the email specialist hears of
every Email Related Requests ticket, hand-opened domain and bug tickets go to the support lead,
and a delivered website is linked to its annual renewal deal with the domain on both deals.

Each is installed once per key (``core.defaults``): an admin may edit, disable or delete one and
``migrate`` leaves it so. They point at default pipelines, stages, teams and products by key
(``Ref``); a workflow whose records are gone (an admin deleted them) is not installed. The
Slack and GitHub ones start disabled until Integrations are configured, so a fresh install has
no failing runs.

A new default gets a new key: ``migrate`` installs it on databases that have the others. A
change to an existing default reaches those databases only through a data migration that
updates the workflow if its key still exists (automation/migrations/0003 for "email-lost").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db import transaction

from partnerdesk.accounts.defaults import EMAIL_PROVISIONING, SUPPORT, WEBSITE, default_team
from partnerdesk.accounts.models import Team
from partnerdesk.core.defaults import install_once, is_installed
from partnerdesk.crm.models import ObjectType, Pipeline, Product, Stage

from .models import Action, Trigger, Workflow


@dataclass(frozen=True)
class Ref:
    """A default record a workflow points at, by key; its id is filled in at install time."""

    kind: str  # pipeline, stage, team or product
    key: str
    object_type: str = ""
    pipeline: str = ""  # a stage's pipeline key


def _pipeline(object_type: str, key: str) -> Ref:
    return Ref("pipeline", key, object_type=object_type)


def _stage(pipeline: Ref, key: str) -> Ref:
    return Ref("stage", key, object_type=pipeline.object_type, pipeline=pipeline.key)


def _team(key: str) -> Ref:
    return Ref("team", key)


def _product(key: str) -> Ref:
    return Ref("product", key)


EMAIL_DEALS = _pipeline(ObjectType.DEAL, "email-subscription")
WEBSITE_DEALS = _pipeline(ObjectType.DEAL, "website-creation")
RENEWAL_DEALS = _pipeline(ObjectType.DEAL, "website-annual-renewal")
CREATION = _pipeline(ObjectType.TICKET, "email-creation")
REQUESTS = _pipeline(ObjectType.TICKET, "email-related-requests")
DOMAINS = _pipeline(ObjectType.TICKET, "domain-related-requests")
BUGS = _pipeline(ObjectType.TICKET, "bug-investigation")
WEBSITES = _pipeline(ObjectType.TICKET, "website-creation")

# key, name, enabled, trigger, trigger config, conditions, actions (type, config)
WORKFLOWS = [
    (
        "email-won-new-client",
        "Email subscription won (new client) → Email Creation ticket",
        True,
        Trigger.DEAL_STAGE_ENTERED,
        {"pipeline_id": EMAIL_DEALS, "stage_kind": "won"},
        {"all": [{"field": "company.won_deals_before", "op": "equals", "value": 0}]},
        [
            (
                "create_ticket",
                {"pipeline_id": CREATION, "stage_id": _stage(CREATION, "new")},
            ),
            ("assign_owner", {"team_id": _team(SUPPORT), "mode": "lead"}),
        ],
    ),
    (
        "email-waiting-for-upgrade",
        "Email Creation: waiting for upgrade → notify email provisioning",
        True,
        Trigger.TICKET_STAGE_ENTERED,
        {"pipeline_id": CREATION, "stage_id": _stage(CREATION, "waiting-for-upgrade")},
        {},
        [
            (
                "notify",
                {
                    "team_id": _team(EMAIL_PROVISIONING),
                    "title": "Upgrade the mailboxes: {{ ticket.name }}",
                    "message": "The emails for {{ ticket.properties.domain_name }} are created and wait for the upgrade.",
                },
            )
        ],
    ),
    (
        "email-upgraded",
        "Email Creation: emails upgraded → notify the support team",
        True,
        Trigger.TICKET_STAGE_ENTERED,
        {"pipeline_id": CREATION, "stage_id": _stage(CREATION, "emails-upgraded")},
        {},
        [
            (
                "notify",
                {
                    "team_id": _team(SUPPORT),
                    "title": "Emails upgraded: {{ ticket.name }}",
                    "message": "Contact the customer and deliver the emails for {{ ticket.properties.domain_name }}.",
                },
            )
        ],
    ),
    (
        "email-won-existing-client",
        "Email subscription won (existing client) → Add Email Licence ticket",
        True,
        Trigger.DEAL_STAGE_ENTERED,
        {"pipeline_id": EMAIL_DEALS, "stage_kind": "won"},
        {"all": [{"field": "company.won_deals_before", "op": "gt", "value": 0}]},
        [
            (
                "create_ticket",
                {
                    "pipeline_id": REQUESTS,
                    "stage_id": _stage(REQUESTS, "add-email-licence"),
                },
            )
        ],
    ),
    (
        # Every lost deal opens the ticket. Cancel Emails requires the domain name to enter: a
        # deal without one opens it anyway ("if_missing": "ask"), the ticket's description says
        # the domain is needed, and the ticket cannot leave Cancel Emails until it is filled in
        # (tickets.services.missing_to_leave). Skipping it would lose the cancellation.
        "email-lost",
        "Email subscription lost → Cancel Emails ticket",
        True,
        Trigger.DEAL_STAGE_ENTERED,
        {"pipeline_id": EMAIL_DEALS, "stage_kind": "lost"},
        {},
        [
            (
                "create_ticket",
                {
                    "pipeline_id": REQUESTS,
                    "stage_id": _stage(REQUESTS, "cancel-emails"),
                    "if_missing": "ask",
                },
            )
        ],
    ),
    (
        "domain-deletion-won",
        "Deal won with Domain Deletion → Domain Deletion ticket",
        True,
        Trigger.DEAL_STAGE_ENTERED,
        {"stage_kind": "won", "product_id": _product("domain-deletion")},
        {},
        [
            (
                "create_ticket",
                {
                    "pipeline_id": DOMAINS,
                    "stage_id": _stage(DOMAINS, "domain-deletion"),
                },
            )
        ],
    ),
    (
        "website-won",
        "Website deal won → Website Creation ticket for the website team",
        True,
        Trigger.DEAL_STAGE_ENTERED,
        {"pipeline_id": WEBSITE_DEALS, "stage_kind": "won"},
        {},
        [
            (
                "create_ticket",
                {
                    "pipeline_id": WEBSITES,
                    "stage_id": _stage(WEBSITES, "new"),
                },
            ),
            ("assign_owner", {"team_id": _team(WEBSITE), "mode": "round_robin"}),
        ],
    ),
    (
        "website-delivered-slack",
        "Website delivered → Slack message with the domain",
        False,
        Trigger.TICKET_STAGE_ENTERED,
        {
            "pipeline_id": WEBSITES,
            "stage_id": _stage(WEBSITES, "website-delivered"),
        },
        {},
        [
            (
                "slack",
                {
                    "text": "Website delivered: {{ ticket.properties.website_domain }} ({{ company.name }})"
                },
            )
        ],
    ),
    (
        "bug-confirmed-github",
        "Bug confirmed → GitHub issue, number stored, waiting for dev reply",
        False,
        Trigger.TICKET_STAGE_ENTERED,
        {
            "pipeline_id": BUGS,
            "stage_id": _stage(BUGS, "bug-confirmed-issue-opened"),
        },
        {},
        [
            (
                "github_issue",
                {
                    "title": "{{ ticket.name }}",
                    "body": "{{ ticket.properties.backoffice_link }}\n\nPartnerdesk ticket #{{ ticket.id }}",
                },
            ),
            (
                "move_stage",
                {"stage_id": _stage(BUGS, "waiting-for-dev-reply")},
            ),
        ],
    ),
    (
        "bug-issue-closed",
        "Tracker issue closed → Resolved By Dev",
        True,
        Trigger.TRACKER_ISSUE_CLOSED,
        {"pipeline_id": BUGS},
        {},
        [("move_stage", {"stage_id": _stage(BUGS, "resolved-by-dev")})],
    ),
    # The further steps of seed 002's ticket process.
    (
        "email-request-opened",
        "Email Related Requests ticket opened → notify email provisioning",
        True,
        Trigger.TICKET_CREATED,
        {"pipeline_id": REQUESTS},
        {},
        [
            (
                "notify",
                {
                    "team_id": _team(EMAIL_PROVISIONING),
                    "title": "New email request: {{ ticket.name }}",
                    "message": "New {{ ticket.stage }} request"
                    "{% if company.name %} for {{ company.name }}{% endif %}. "
                    "Move the ticket to Done when it is handled.",
                },
            )
        ],
    ),
    (
        "domain-connect-to-support-lead",
        "Connect External Domain ticket opened without an owner → the support lead",
        True,
        Trigger.TICKET_CREATED,
        {"pipeline_id": DOMAINS, "stage_id": _stage(DOMAINS, "connect-external-domain")},
        {"all": [{"field": "ticket.owner", "op": "is_not_set"}]},
        [("assign_owner", {"team_id": _team(SUPPORT), "mode": "lead"})],
    ),
    (
        "bug-to-support-lead",
        "Bug Investigation ticket opened without an owner → the support lead",
        True,
        Trigger.TICKET_CREATED,
        {"pipeline_id": BUGS},
        {"all": [{"field": "ticket.owner", "op": "is_not_set"}]},
        [("assign_owner", {"team_id": _team(SUPPORT), "mode": "lead"})],
    ),
    (
        "website-delivered-renewal-deal",
        "Website delivered → linked to the renewal deal, domain on both deals",
        True,
        Trigger.TICKET_STAGE_ENTERED,
        {
            "pipeline_id": WEBSITES,
            "stage_id": _stage(WEBSITES, "website-delivered"),
        },
        {},
        [
            (
                "set_property",
                {
                    "name": "website_domain",
                    "value": "{{ ticket.properties.website_domain }}",
                    "on": "deals",
                    "link_deal_pipeline_id": RENEWAL_DEALS,
                },
            )
        ],
    ),
]


class _Missing(LookupError):
    """A record a default workflow points at is not there."""


def _id(ref: Ref) -> int:
    row: Team | Pipeline | Stage | Product | None
    if ref.kind == "team":
        row = default_team(ref.key)
    elif ref.kind == "pipeline":
        row = Pipeline.objects.filter(object_type=ref.object_type, key=ref.key).first()
    elif ref.kind == "stage":
        row = Stage.objects.filter(
            pipeline__object_type=ref.object_type, pipeline__key=ref.pipeline, key=ref.key
        ).first()
    else:
        row = Product.objects.filter(key=ref.key).first()
    if row is None:
        raise _Missing(ref)
    return row.pk


def _resolve(value):
    """``value`` with every ``Ref`` in it replaced by the record's id (``_Missing`` if gone)."""
    if isinstance(value, Ref):
        return _id(value)
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_resolve(v) for v in value)
    return value


def _create(key, name, enabled, trigger, config, conditions, actions) -> Workflow:
    workflow = Workflow.objects.filter(key=key).first()
    if workflow is not None:  # made before the ledger existed
        return workflow
    workflow = Workflow.objects.create(
        key=key,
        name=name,
        enabled=enabled,
        trigger=trigger,
        trigger_config=config,
        conditions=conditions,
    )
    for order, (type_, action_config) in enumerate(actions):
        Action.objects.create(workflow=workflow, order=order, type=type_, config=action_config)
    return workflow


@transaction.atomic
def install_default_workflows() -> None:
    for key, name, enabled, trigger, config, conditions, actions in WORKFLOWS:
        ledger = f"automation.workflow.{key}"
        if is_installed(ledger):
            continue
        try:
            config, actions = _resolve(config), _resolve(actions)
        except _Missing:
            continue  # what it points at was deleted: installing it would only fail at run time
        install_once(
            ledger, partial(_create, key, name, enabled, trigger, config, conditions, actions)
        )


def install_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        install_default_workflows()
