"""The five default ticket pipelines of PRODUCT.md part 3, their properties, SLA policies and
the agency's default working calendar.

Each is installed once per stable key (``core.defaults``); a pipeline's stages and SLA policies
are installed with it. Renamed, edited or deleted defaults stay that way after ``migrate``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from partnerdesk.accounts.defaults import SUPPORT, WEBSITE, default_team
from partnerdesk.core.defaults import install_once, is_installed
from partnerdesk.crm.defaults import install_pipeline, install_property, stage_key
from partnerdesk.crm.models import ObjectType, Pipeline, PropertyType
from partnerdesk.sla.models import Calendar, ResolutionFrom, SlaPolicy, Unit

from .notices import install_customer_notices

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

# key: (name, team key, stages, policies); a stage's key is crm.defaults.stage_key(name)
# (the names are installed with the catalogue's translations, see crm.defaults.install_pipeline)
# stage: (name, kind, entry, request name, waiting on customer, required properties)
# policy: (entry stage or None, first response (amount, unit) or None, resolution (amount, unit), resolution from)
PIPELINES = {
    "email-creation": (
        gettext_noop("Email Creation"),
        SUPPORT,
        [
            (
                gettext_noop("New"),
                "open",
                True,
                "Email Creation",
                False,
                ["purchased_mailbox_names", "domain_name", "number_of_licences", "line_items"],
            ),
            (gettext_noop("Email Creation In Progress"), "open", False, "", False, []),
            (gettext_noop("Waiting For Upgrade"), "open", False, "", False, []),
            (gettext_noop("Emails Upgraded"), "open", False, "", False, []),
            (gettext_noop("Emails Delivered"), "closed", False, "", False, []),
        ],
        [(None, None, (48 * H, Unit.CALENDAR), ResolutionFrom.CREATED)],
    ),
    "email-related-requests": (
        gettext_noop("Email Related Requests"),
        SUPPORT,
        [
            (
                gettext_noop("Add Email Licence"),
                "open",
                True,
                "Add Email Licence",
                False,
                EMAIL_REQ,
            ),
            (
                gettext_noop("Email Plan Upgrade"),
                "open",
                True,
                "Email Plan Upgrade",
                False,
                EMAIL_REQ,
            ),
            (
                gettext_noop("Add Extra Storage"),
                "open",
                True,
                "Add Extra Storage",
                False,
                [*EMAIL_REQ, "description"],
            ),
            (gettext_noop("Cancel Emails"), "open", True, "Cancel Emails", False, ["domain_name"]),
            (
                gettext_noop("Reactivate Emails"),
                "open",
                True,
                "Reactivate Emails",
                False,
                EMAIL_REQ,
            ),
            (gettext_noop("Done"), "closed", False, "", False, []),
        ],
        [(None, None, (48 * H, Unit.CALENDAR), ResolutionFrom.CREATED)],
    ),
    "domain-related-requests": (
        gettext_noop("Domain Related Requests"),
        SUPPORT,
        [
            (
                gettext_noop("Connect External Domain"),
                "open",
                True,
                "Connect External Domain",
                False,
                ["domain_name", "registrar_name", "registrar_username", "registrar_password"],
            ),
            (gettext_noop("Connecting The Domain"), "open", False, "", False, []),
            (gettext_noop("DNS Propagating"), "open", False, "", False, []),
            (gettext_noop("Domain Connected"), "closed", False, "", False, []),
            (
                gettext_noop("Domain Deletion"),
                "open",
                True,
                "Domain Deletion",
                False,
                ["domain_name", "domain_purchase_date"],
            ),
            (gettext_noop("Done"), "closed", False, "", False, []),
        ],
        [
            ("Connect External Domain", None, (48 * H, Unit.CALENDAR), ResolutionFrom.CREATED),
            ("Domain Deletion", None, (2 * H, Unit.CALENDAR), ResolutionFrom.CREATED),
        ],
    ),
    "bug-investigation": (
        gettext_noop("Bug Investigation"),
        SUPPORT,
        [
            (
                gettext_noop("New"),
                "open",
                True,
                "Bug Investigation",
                False,
                ["description", "backoffice_link"],
            ),
            (gettext_noop("Investigating"), "open", False, "", False, []),
            (gettext_noop("Bug Confirmed & Issue Opened"), "open", False, "", False, []),
            (
                gettext_noop("Waiting For Dev Reply"),
                "open",
                False,
                "",
                False,
                ["issue_tracker_number"],
            ),
            (gettext_noop("Resolved By Dev"), "closed", False, "", False, []),
            (gettext_noop("Resolved By Support"), "closed", False, "", False, []),
        ],
        [(None, (1, Unit.WORKING_DAYS), (3, Unit.WORKING_DAYS), ResolutionFrom.FIRST_RESPONSE)],
    ),
    "website-creation": (
        gettext_noop("Website Creation"),
        WEBSITE,
        [
            (gettext_noop("New"), "open", True, "Website Creation", False, []),
            (gettext_noop("On Hold (Customer End)"), "open", False, "", True, []),
            (gettext_noop("Working On The Website"), "open", False, "", False, []),
            (gettext_noop("1st Draft Sent"), "open", False, "", False, []),
            (gettext_noop("Waiting For Feedback"), "open", False, "", True, []),
            (gettext_noop("2nd Draft Sent"), "open", False, "", False, []),
            (gettext_noop("Waiting For Feedback (2nd)"), "open", False, "", True, []),
            (gettext_noop("Adding Website Tools"), "open", False, "", False, []),
            (gettext_noop("Website Delivered"), "closed", False, "", False, ["website_domain"]),
        ],
        [(None, None, (14 * 24 * H, Unit.CALENDAR), ResolutionFrom.CREATED)],
    ),
}

AGENCY_WEEK = {str(day): [["09:00", "17:00"]] for day in (6, 0, 1, 2, 3)}  # Sunday–Thursday


def policy_key(pipeline_key: str, entry_stage: str | None) -> str:
    """A default SLA policy's key: its pipeline's, then its entry stage's when it has one."""
    return f"{pipeline_key}-{stage_key(entry_stage)}" if entry_stage else pipeline_key


def _install_calendar() -> None:
    def create() -> None:
        if not Calendar.objects.exists():
            Calendar.objects.create(
                name="Agency hours",
                timezone="Africa/Cairo",
                week=AGENCY_WEEK,
                holiday_country="EG",
                is_default=True,
            )

    install_once("sla.calendar.agency-hours", create)


def _install_properties() -> None:
    for order, (name, label, type_, options) in enumerate(TICKET_PROPERTIES):
        install_property(
            ObjectType.TICKET,
            name,
            label=label,
            type=type_,
            order=order,
            options=[{"value": o, "label": o} for o in options],
        )


def _policies_installer(key: str, name: str, policies):
    """``then`` of ``install_pipeline``: the pipeline's SLA policies, with their keys."""

    def install(pipeline: Pipeline, created: bool) -> None:
        for entry_name, first_response, resolution, resolution_from in policies:
            entry = (
                pipeline.stages.filter(key=stage_key(entry_name)).first() if entry_name else None
            )
            this_key = policy_key(key, entry_name)
            if entry_name and entry is None:
                continue  # an adopted pipeline without this entry stage
            if not created:  # adopted: key the pipeline's own policy for the same entry, if any
                pipeline.sla_policies.filter(key="", entry_stage=entry).update(key=this_key)
                continue
            SlaPolicy.objects.create(
                key=this_key,
                name=f"{name} — {entry_name}" if entry_name else name,
                pipeline=pipeline,
                entry_stage=entry,
                first_response_amount=first_response[0] if first_response else None,
                first_response_unit=first_response[1] if first_response else Unit.CALENDAR,
                resolution_amount=resolution[0],
                resolution_unit=resolution[1],
                resolution_from=resolution_from,
            )

    return install


@transaction.atomic
def install_ticket_defaults() -> None:
    _install_calendar()
    _install_properties()
    for order, (key, (name, team_key, stages, policies)) in enumerate(PIPELINES.items()):
        if is_installed(f"crm.pipeline.ticket.{key}"):
            continue  # (and asks for no team: teams come with the pipelines that need them)
        install_pipeline(
            object_type=ObjectType.TICKET,
            key=key,
            name=name,
            order=order,
            team=default_team(team_key),
            stages=[
                {
                    "name": stage,
                    "kind": kind,
                    "is_entry": entry,
                    "request_name": request,
                    "waiting_on_customer": waiting,
                    "required": required,
                }
                for stage, kind, entry, request, waiting, required in stages
            ],
            then=_policies_installer(key, name, policies),
        )


def install_after_migrate(sender, using="default", **kwargs) -> None:
    if using == "default":
        install_ticket_defaults()
        install_customer_notices()
