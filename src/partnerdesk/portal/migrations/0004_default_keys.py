"""Give the default plans and task categories that exist their keys and record them (and the
consultants team setting) as installed, so portal.defaults does not make them again after an
upgrade. Frozen copy of the default names.

The installer used to make the plans only when there were none, and the categories likewise:
so where any exists, every default of its kind counts as installed (a deleted one stays deleted).
"""

from django.db import migrations

PLANS = {"solo": "Solo", "duo": "Duo", "team": "Team"}
CATEGORIES = {
    "consultation-session": "Consultation Session",
    "hubspot-administration": "HubSpot Administration",
    "workflows-automation": "Workflows & Automation",
    "reports-dashboards": "Reports & Dashboards",
    "data-import-cleanup": "Data Import & Cleanup",
    "integrations": "Integrations",
    "email-domains": "Email & Domains",
    "website": "Website",
    "training": "Training",
    "other": "Other",
}


def forwards(apps, schema_editor):
    InstalledDefault = apps.get_model("core", "InstalledDefault")
    installed = []
    for model, prefix, defaults in (
        (apps.get_model("portal", "Plan"), "portal.plan", PLANS),
        (apps.get_model("portal", "TaskCategory"), "portal.category", CATEGORIES),
    ):
        if not model.objects.exists():
            continue
        for key, name in defaults.items():
            if not model.objects.filter(key=key).exists():
                model.objects.filter(name=name, key="").update(key=key)
            installed.append(f"{prefix}.{key}")
    if apps.get_model("portal", "PortalSettings").objects.exists():
        installed.append("portal.settings.consultants")
    InstalledDefault.objects.bulk_create(
        [InstalledDefault(key=key) for key in installed], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_installeddefault"),
        ("portal", "0003_key_fields"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
