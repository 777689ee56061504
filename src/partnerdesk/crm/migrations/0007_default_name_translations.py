"""Give the default pipelines, stages and products installed before names had translations
their Italian and Arabic names from the message catalogue (crm.defaults installs new ones
with them): only a row that has no translations yet and still has its default's English name.

A default pipeline's or stage's key is the slug of the English name it shipped with (a stage's
by definition, ``crm.defaults.stage_key``; the pipelines' were chosen so), so such a row has
its default name when its name still slugs to its key (and the catalogue then knows it). This
covers the ticket pipelines too: they are crm rows. Products are keyed by SKU: their English
names are a frozen copy.
"""

from django.db import migrations
from django.utils.text import slugify

from partnerdesk.core.translated import catalogue_translations

PRODUCT_NAMES = {
    "email-5gb": "Business Email 5 GB",
    "email-10gb": "Business Email 10 GB",
    "email-25gb": "Business Email 25 GB",
    "email-50gb": "Business Email 50 GB",
    "email-mixed": "Mixed Plan",
    "storage-5gb": "Extra Storage +5 GB",
    "storage-10gb": "Extra Storage +10 GB",
    "storage-25gb": "Extra Storage +25 GB",
    "storage-50gb": "Extra Storage +50 GB",
    "storage-100gb": "Extra Storage +100 GB",
    "storage-200gb": "Extra Storage +200 GB",
    "domain-deletion": "Domain Deletion",
    "domain-connect": "External Domain Connection",
    "website-starter": "Website Starter (5 pages)",
    "website-business": "Website Business (15 pages)",
    "website-renewal": "Website Annual Renewal",
    "hubspot-marketing-starter": "Marketing Hub Starter",
    "hubspot-marketing-pro": "Marketing Hub Professional",
    "hubspot-sales-pro": "Sales Hub Professional",
    "hubspot-service-pro": "Service Hub Professional",
    "hubspot-onboarding": "HubSpot Onboarding",
    "hubspot-admin-solo": "HubSpot Admin Subscription — Solo",
    "hubspot-admin-duo": "HubSpot Admin Subscription — Duo",
    "hubspot-admin-team": "HubSpot Admin Subscription — Team",
}


def fill_default_translations(model, default_name) -> int:
    """Fill the translations of ``model``'s keyed rows that have none and whose name is
    ``default_name(row)``; the number of rows filled."""
    filled = []
    for row in model.objects.exclude(key="").only("pk", "key", "name", "name_translations"):
        if row.name_translations or row.name != default_name(row):
            continue
        row.name_translations = catalogue_translations(row.name)
        if row.name_translations:
            filled.append(row)
    model.objects.bulk_update(filled, ["name_translations"])
    return len(filled)


def by_slug(row):
    return row.name if slugify(row.name) == row.key else None


def forwards(apps, schema_editor):
    fill_default_translations(apps.get_model("crm", "Pipeline"), by_slug)
    fill_default_translations(apps.get_model("crm", "Stage"), by_slug)
    fill_default_translations(
        apps.get_model("crm", "Product"), lambda row: PRODUCT_NAMES.get(row.key)
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_name_translations")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
