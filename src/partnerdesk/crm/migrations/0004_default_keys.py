"""Give the default deal pipelines (and their stages), properties and products that exist their
keys and record them as installed, so crm.defaults does not make them again after an upgrade.

Matched by the names the defaults had when keys were introduced (a frozen copy: later changes
to crm.defaults do not change what this migration did). A stage's key is the slug of its name.
"""

from django.db import migrations
from django.utils.text import slugify

DEAL = ["New", "Qualified", "Proposal Sent", "Closed Won", "Closed Lost"]
RENEWAL = ["Upcoming Renewal", "Renewal Offer Sent", "Renewed", "Not Renewed"]
DEAL_PIPELINES = {
    "email-subscription": ("Email Subscription", DEAL),
    "website-creation": ("Website Creation", DEAL),
    "website-annual-renewal": ("Website Annual Renewal", RENEWAL),
    "domain-services": ("Domain Services", DEAL),
    "hubspot-services": ("HubSpot Services", DEAL),
}
PROPERTIES = {  # built-in and custom; a default property's key is its name
    "company": [
        "domain",
        "country",
        "owner",
        "hub_id",
        "industry",
        "employees",
        "website",
        "billing_email",
    ],
    "contact": ["email", "phone", "company", "preferred_language", "decision_maker"],
    "deal": [
        "amount",
        "close_date",
        "owner",
        "company",
        "contacts",
        "line_items",
        "domain_name",
        "purchased_mailbox_names",
        "number_of_licences",
        "website_domain",
        "domain_purchase_date",
        "email_services",
        "registrar_password",
    ],
    # (the ticket properties are keyed by tickets' migration, with the ticket defaults)
    "ticket": ["description", "owner", "company", "deal", "contact"],
}
PRODUCTS = [  # a default product's key is its SKU
    "email-5gb",
    "email-10gb",
    "email-25gb",
    "email-50gb",
    "email-mixed",
    "storage-5gb",
    "storage-10gb",
    "storage-25gb",
    "storage-50gb",
    "storage-100gb",
    "storage-200gb",
    "domain-deletion",
    "domain-connect",
    "website-starter",
    "website-business",
    "website-renewal",
    "hubspot-marketing-starter",
    "hubspot-marketing-pro",
    "hubspot-sales-pro",
    "hubspot-service-pro",
    "hubspot-onboarding",
    "hubspot-admin-solo",
    "hubspot-admin-duo",
    "hubspot-admin-team",
]


def key_rows(rows, key: str, **match) -> bool:
    """Give the unkeyed row of ``rows`` that ``match`` finds the ``key``; True when a row has it."""
    return rows.filter(key=key).exists() or bool(rows.filter(key="", **match).update(key=key))


def forwards(apps, schema_editor):
    Pipeline = apps.get_model("crm", "Pipeline")
    Stage = apps.get_model("crm", "Stage")
    PropertyDefinition = apps.get_model("crm", "PropertyDefinition")
    Product = apps.get_model("crm", "Product")
    InstalledDefault = apps.get_model("core", "InstalledDefault")
    installed = []
    for key, (name, stages) in DEAL_PIPELINES.items():
        deals = Pipeline.objects.filter(object_type="deal")
        if not key_rows(deals, key, name=name):
            continue
        pipeline = deals.get(key=key)
        for stage in stages:
            key_rows(Stage.objects.filter(pipeline=pipeline), slugify(stage), name=stage)
        installed.append(f"crm.pipeline.deal.{key}")
    for object_type, names in PROPERTIES.items():
        of_type = PropertyDefinition.objects.filter(object_type=object_type)
        installed += [
            f"crm.property.{object_type}.{name}"
            for name in names
            if key_rows(of_type, name, name=name)
        ]
    installed += [
        f"crm.product.{sku}" for sku in PRODUCTS if key_rows(Product.objects.all(), sku, sku=sku)
    ]
    InstalledDefault.objects.bulk_create(
        [InstalledDefault(key=key) for key in installed], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_installeddefault"),
        ("crm", "0003_key_fields"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
