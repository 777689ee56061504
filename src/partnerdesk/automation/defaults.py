"""The default workflows 1–8 of PRODUCT.md part 4 (rule 9 is the deal service's won-stage check).

Installed once (by key); an admin may edit or disable them. The Slack and GitHub ones start
disabled until Integrations are configured, so a fresh install has no failing runs.
"""

from __future__ import annotations

from django.db import transaction

from partnerdesk.accounts.models import Team
from partnerdesk.crm.models import Pipeline, Product

from .models import Action, Trigger, Workflow


def _stage(pipeline: Pipeline, name: str) -> int:
    return pipeline.stages.get(name=name).pk


@transaction.atomic
def install_default_workflows() -> None:
    deal = {p.name: p for p in Pipeline.objects.filter(object_type="deal")}
    ticket = {p.name: p for p in Pipeline.objects.filter(object_type="ticket")}
    needed_deal = {"Email Subscription", "Website Creation"}
    needed_ticket = {
        "Email Creation",
        "Email Related Requests",
        "Domain Related Requests",
        "Bug Investigation",
        "Website Creation",
    }
    if not needed_deal <= deal.keys() or not needed_ticket <= ticket.keys():
        return
    support, _ = Team.objects.get_or_create(name="Support Team")
    provisioning, _ = Team.objects.get_or_create(name="Email Provisioning")
    website, _ = Team.objects.get_or_create(name="Website Team")
    deletion = Product.objects.filter(sku="domain-deletion").first()
    email, creation = deal["Email Subscription"], ticket["Email Creation"]
    definitions = [
        (
            "email-won-new-client",
            "Email subscription won (new client) → Email Creation ticket",
            True,
            Trigger.DEAL_STAGE_ENTERED,
            {"pipeline_id": email.pk, "stage_kind": "won"},
            {"all": [{"field": "company.won_deals_before", "op": "equals", "value": 0}]},
            [
                (
                    "create_ticket",
                    {"pipeline_id": creation.pk, "stage_id": _stage(creation, "New")},
                ),
                ("assign_owner", {"team_id": support.pk, "mode": "lead"}),
            ],
        ),
        (
            "email-waiting-for-upgrade",
            "Email Creation: waiting for upgrade → notify email provisioning",
            True,
            Trigger.TICKET_STAGE_ENTERED,
            {"pipeline_id": creation.pk, "stage_id": _stage(creation, "Waiting For Upgrade")},
            {},
            [
                (
                    "notify",
                    {
                        "team_id": provisioning.pk,
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
            {"pipeline_id": creation.pk, "stage_id": _stage(creation, "Emails Upgraded")},
            {},
            [
                (
                    "notify",
                    {
                        "team_id": support.pk,
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
            {"pipeline_id": email.pk, "stage_kind": "won"},
            {"all": [{"field": "company.won_deals_before", "op": "gt", "value": 0}]},
            [
                (
                    "create_ticket",
                    {
                        "pipeline_id": ticket["Email Related Requests"].pk,
                        "stage_id": _stage(ticket["Email Related Requests"], "Add Email Licence"),
                    },
                )
            ],
        ),
        (
            "email-lost",
            "Email subscription lost → Cancel Emails ticket",
            True,
            Trigger.DEAL_STAGE_ENTERED,
            {"pipeline_id": email.pk, "stage_kind": "lost"},
            {"all": [{"field": "deal.properties.domain_name", "op": "is_set"}]},
            [
                (
                    "create_ticket",
                    {
                        "pipeline_id": ticket["Email Related Requests"].pk,
                        "stage_id": _stage(ticket["Email Related Requests"], "Cancel Emails"),
                    },
                )
            ],
        ),
        (
            "domain-deletion-won",
            "Deal won with Domain Deletion → Domain Deletion ticket",
            True,
            Trigger.DEAL_STAGE_ENTERED,
            {"stage_kind": "won", "product_id": deletion.pk if deletion else None},
            {},
            [
                (
                    "create_ticket",
                    {
                        "pipeline_id": ticket["Domain Related Requests"].pk,
                        "stage_id": _stage(ticket["Domain Related Requests"], "Domain Deletion"),
                    },
                )
            ],
        ),
        (
            "website-won",
            "Website deal won → Website Creation ticket for the website team",
            True,
            Trigger.DEAL_STAGE_ENTERED,
            {"pipeline_id": deal["Website Creation"].pk, "stage_kind": "won"},
            {},
            [
                (
                    "create_ticket",
                    {
                        "pipeline_id": ticket["Website Creation"].pk,
                        "stage_id": _stage(ticket["Website Creation"], "New"),
                    },
                ),
                ("assign_owner", {"team_id": website.pk, "mode": "round_robin"}),
            ],
        ),
        (
            "website-delivered-slack",
            "Website delivered → Slack message with the domain",
            False,
            Trigger.TICKET_STAGE_ENTERED,
            {
                "pipeline_id": ticket["Website Creation"].pk,
                "stage_id": _stage(ticket["Website Creation"], "Website Delivered"),
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
                "pipeline_id": ticket["Bug Investigation"].pk,
                "stage_id": _stage(ticket["Bug Investigation"], "Bug Confirmed & Issue Opened"),
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
                    {"stage_id": _stage(ticket["Bug Investigation"], "Waiting For Dev Reply")},
                ),
            ],
        ),
        (
            "bug-issue-closed",
            "Tracker issue closed → Resolved By Dev",
            True,
            Trigger.TRACKER_ISSUE_CLOSED,
            {"pipeline_id": ticket["Bug Investigation"].pk},
            {},
            [("move_stage", {"stage_id": _stage(ticket["Bug Investigation"], "Resolved By Dev")})],
        ),
    ]
    for key, name, enabled, trigger, config, conditions, actions in definitions:
        if Workflow.objects.filter(key=key).exists():
            continue
        workflow = Workflow.objects.create(
            key=key,
            name=name,
            enabled=enabled,
            trigger=trigger,
            trigger_config={k: v for k, v in config.items() if v is not None},
            conditions=conditions,
        )
        for order, (type_, action_config) in enumerate(actions):
            Action.objects.create(workflow=workflow, order=order, type=type_, config=action_config)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        install_default_workflows()
