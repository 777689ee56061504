"""Give the default ticket pipelines (their stages and SLA policies) and ticket properties that
exist their keys, and record them and the agency calendar as installed, so tickets.defaults does
not make them again after an upgrade.

Matched by the names the defaults had when keys were introduced (a frozen copy). A stage's key
is the slug of its name; an SLA policy's is its pipeline's, then its entry stage's if it has one.
"""

from django.db import migrations
from django.utils.text import slugify

# key: (name, stages, entry stages with their own SLA policy)
PIPELINES = {
    "email-creation": (
        "Email Creation",
        [
            "New",
            "Email Creation In Progress",
            "Waiting For Upgrade",
            "Emails Upgraded",
            "Emails Delivered",
        ],
        [],
    ),
    "email-related-requests": (
        "Email Related Requests",
        [
            "Add Email Licence",
            "Email Plan Upgrade",
            "Add Extra Storage",
            "Cancel Emails",
            "Reactivate Emails",
            "Done",
        ],
        [],
    ),
    "domain-related-requests": (
        "Domain Related Requests",
        [
            "Connect External Domain",
            "Connecting The Domain",
            "DNS Propagating",
            "Domain Connected",
            "Domain Deletion",
            "Done",
        ],
        ["Connect External Domain", "Domain Deletion"],
    ),
    "bug-investigation": (
        "Bug Investigation",
        [
            "New",
            "Investigating",
            "Bug Confirmed & Issue Opened",
            "Waiting For Dev Reply",
            "Resolved By Dev",
            "Resolved By Support",
        ],
        [],
    ),
    "website-creation": (
        "Website Creation",
        [
            "New",
            "On Hold (Customer End)",
            "Working On The Website",
            "1st Draft Sent",
            "Waiting For Feedback",
            "2nd Draft Sent",
            "Waiting For Feedback (2nd)",
            "Adding Website Tools",
            "Website Delivered",
        ],
        [],
    ),
}
PROPERTIES = [  # a default property's key is its name
    "purchased_mailbox_names",
    "domain_name",
    "number_of_licences",
    "line_items",
    "product",
    "registrar_name",
    "registrar_username",
    "registrar_password",
    "domain_purchase_date",
    "domain_bought_here",
    "backoffice_link",
    "issue_tracker_number",
    "website_domain",
]


def key_rows(rows, key: str, **match) -> bool:
    """Give the unkeyed row of ``rows`` that ``match`` finds the ``key``; True when a row has it."""
    return rows.filter(key=key).exists() or bool(rows.filter(key="", **match).update(key=key))


def forwards(apps, schema_editor):
    Pipeline = apps.get_model("crm", "Pipeline")
    Stage = apps.get_model("crm", "Stage")
    PropertyDefinition = apps.get_model("crm", "PropertyDefinition")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    Calendar = apps.get_model("sla", "Calendar")
    InstalledDefault = apps.get_model("core", "InstalledDefault")
    installed = []
    tickets = Pipeline.objects.filter(object_type="ticket")
    for key, (name, stages, policy_stages) in PIPELINES.items():
        if not key_rows(tickets, key, name=name):
            continue
        pipeline = tickets.get(key=key)
        for stage in stages:
            key_rows(Stage.objects.filter(pipeline=pipeline), slugify(stage), name=stage)
        policies = SlaPolicy.objects.filter(pipeline=pipeline)
        key_rows(policies, key, entry_stage__isnull=True)
        for stage in policy_stages:
            key_rows(policies, f"{key}-{slugify(stage)}", entry_stage__name=stage)
        installed.append(f"crm.pipeline.ticket.{key}")
    of_tickets = PropertyDefinition.objects.filter(object_type="ticket")
    installed += [
        f"crm.property.ticket.{name}" for name in PROPERTIES if key_rows(of_tickets, name, name=name)
    ]
    if Calendar.objects.exists():  # the installer only ever made one when there was none
        installed.append("sla.calendar.agency-hours")
    InstalledDefault.objects.bulk_create(
        [InstalledDefault(key=key) for key in installed], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_installeddefault"),
        ("crm", "0004_default_keys"),
        ("sla", "0003_slapolicy_key"),
        ("tickets", "0003_paused_breach_indexes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
