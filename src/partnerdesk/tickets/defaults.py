"""The five default ticket pipelines of PRODUCT.md part 3, their properties, SLA policies and
the agency's default working calendar. Idempotent; existing rows are left as edited."""

from __future__ import annotations

from django.db import transaction

from partnerdesk.accounts.models import Team
from partnerdesk.crm.models import ObjectType, Pipeline, PropertyDefinition, PropertyType, Stage
from partnerdesk.sla.models import Calendar, ResolutionFrom, SlaPolicy, Unit

TICKET_PROPERTIES = [
    # name, label, type, options
    ("purchased_mailbox_names", "Purchased mailbox names", PropertyType.TEXT, []),
    ("domain_name", "Domain name", PropertyType.TEXT, []),
    ("number_of_licences", "Number of licences", PropertyType.NUMBER, []),
    ("line_items", "Line item(s)", PropertyType.TEXT, []),
    ("product", "Product", PropertyType.TEXT, []),
    ("registrar_name", "Domain registrar name", PropertyType.TEXT, []),
    ("registrar_username", "Registrar username", PropertyType.TEXT, []),
    ("registrar_password", "Registrar password", PropertyType.SECRET, []),
    ("domain_purchase_date", "Domain purchase date", PropertyType.DATE, []),
    ("domain_bought_here", "Domain bought through us", PropertyType.ENUM, ["yes", "no"]),
    ("backoffice_link", "Back-office link", PropertyType.URL, []),
    ("issue_tracker_number", "Issue-tracker number", PropertyType.TEXT, []),
    ("website_domain", "Website domain", PropertyType.TEXT, []),
]

EMAIL_REQ = ["domain_name", "number_of_licences", "product"]
H = 60  # minutes

# pipeline: (team, stages, policies)
# stage: (name, kind, entry, request name, waiting on customer, required properties)
# policy: (entry stage or None, first response (amount, unit) or None, resolution (amount, unit), resolution from)
PIPELINES = {
    "Email Creation": (
        "Support Team",
        [
            (
                "New",
                "open",
                True,
                "Email Creation",
                False,
                ["purchased_mailbox_names", "domain_name", "number_of_licences", "line_items"],
            ),
            ("Email Creation In Progress", "open", False, "", False, []),
            ("Waiting For Upgrade", "open", False, "", False, []),
            ("Emails Upgraded", "open", False, "", False, []),
            ("Emails Delivered", "closed", False, "", False, []),
        ],
        [(None, None, (48 * H, Unit.CALENDAR), ResolutionFrom.CREATED)],
    ),
    "Email Related Requests": (
        "Support Team",
        [
            ("Add Email Licence", "open", True, "Add Email Licence", False, EMAIL_REQ),
            ("Email Plan Upgrade", "open", True, "Email Plan Upgrade", False, EMAIL_REQ),
            (
                "Add Extra Storage",
                "open",
                True,
                "Add Extra Storage",
                False,
                [*EMAIL_REQ, "description"],
            ),
            ("Cancel Emails", "open", True, "Cancel Emails", False, ["domain_name"]),
            ("Reactivate Emails", "open", True, "Reactivate Emails", False, EMAIL_REQ),
            ("Done", "closed", False, "", False, []),
        ],
        [(None, None, (48 * H, Unit.CALENDAR), ResolutionFrom.CREATED)],
    ),
    "Domain Related Requests": (
        "Support Team",
        [
            (
                "Connect External Domain",
                "open",
                True,
                "Connect External Domain",
                False,
                ["domain_name", "registrar_name", "registrar_username", "registrar_password"],
            ),
            ("Connecting The Domain", "open", False, "", False, []),
            ("DNS Propagating", "open", False, "", False, []),
            ("Domain Connected", "closed", False, "", False, []),
            (
                "Domain Deletion",
                "open",
                True,
                "Domain Deletion",
                False,
                ["domain_name", "domain_purchase_date"],
            ),
            ("Done", "closed", False, "", False, []),
        ],
        [
            ("Connect External Domain", None, (48 * H, Unit.CALENDAR), ResolutionFrom.CREATED),
            ("Domain Deletion", None, (2 * H, Unit.CALENDAR), ResolutionFrom.CREATED),
        ],
    ),
    "Bug Investigation": (
        "Support Team",
        [
            ("New", "open", True, "Bug Investigation", False, ["description", "backoffice_link"]),
            ("Investigating", "open", False, "", False, []),
            ("Bug Confirmed & Issue Opened", "open", False, "", False, []),
            ("Waiting For Dev Reply", "open", False, "", False, ["issue_tracker_number"]),
            ("Resolved By Dev", "closed", False, "", False, []),
            ("Resolved By Support", "closed", False, "", False, []),
        ],
        [(None, (1, Unit.WORKING_DAYS), (3, Unit.WORKING_DAYS), ResolutionFrom.FIRST_RESPONSE)],
    ),
    "Website Creation": (
        "Website Team",
        [
            ("New", "open", True, "Website Creation", False, []),
            ("On Hold (Customer End)", "open", False, "", True, []),
            ("Working On The Website", "open", False, "", False, []),
            ("1st Draft Sent", "open", False, "", False, []),
            ("Waiting For Feedback", "open", False, "", True, []),
            ("2nd Draft Sent", "open", False, "", False, []),
            ("Waiting For Feedback (2nd)", "open", False, "", True, []),
            ("Adding Website Tools", "open", False, "", False, []),
            ("Website Delivered", "closed", False, "", False, ["website_domain"]),
        ],
        [(None, None, (14 * 24 * H, Unit.CALENDAR), ResolutionFrom.CREATED)],
    ),
}

AGENCY_WEEK = {str(day): [["09:00", "17:00"]] for day in (6, 0, 1, 2, 3)}  # Sunday–Thursday


def _install_properties() -> dict[str, PropertyDefinition]:
    for order, (name, label, type_, options) in enumerate(TICKET_PROPERTIES):
        PropertyDefinition.objects.get_or_create(
            object_type=ObjectType.TICKET,
            name=name,
            defaults={
                "label": label,
                "type": type_,
                "order": order,
                "options": [{"value": o, "label": o} for o in options],
            },
        )
    return {d.name: d for d in PropertyDefinition.objects.filter(object_type=ObjectType.TICKET)}


@transaction.atomic
def install_ticket_defaults() -> None:
    if not Calendar.objects.exists():
        Calendar.objects.create(
            name="Agency hours",
            timezone="Africa/Cairo",
            week=AGENCY_WEEK,
            holiday_country="EG",
            is_default=True,
        )
    definitions = _install_properties()
    for order, (name, (team_name, stages, policies)) in enumerate(PIPELINES.items()):
        team, _ = Team.objects.get_or_create(name=team_name)
        pipeline, created = Pipeline.objects.get_or_create(
            object_type=ObjectType.TICKET, name=name, defaults={"order": order, "team": team}
        )
        if not created:
            continue
        by_name = {}
        for index, (stage_name, kind, entry, request, waiting, required) in enumerate(stages):
            stage = Stage.objects.create(
                pipeline=pipeline,
                name=stage_name,
                kind=kind,
                order=index,
                is_entry=entry,
                request_name=request,
                waiting_on_customer=waiting,
            )
            stage.required_properties.set([definitions[n] for n in required])
            by_name[stage_name] = stage
        for entry_name, first_response, resolution, resolution_from in policies:
            SlaPolicy.objects.create(
                name=f"{name} — {entry_name}" if entry_name else name,
                pipeline=pipeline,
                entry_stage=by_name[entry_name] if entry_name else None,
                first_response_amount=first_response[0] if first_response else None,
                first_response_unit=first_response[1] if first_response else Unit.CALENDAR,
                resolution_amount=resolution[0],
                resolution_unit=resolution[1],
                resolution_from=resolution_from,
            )


def install_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        install_ticket_defaults()
