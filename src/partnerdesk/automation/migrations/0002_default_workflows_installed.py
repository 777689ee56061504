"""Record the default workflows that exist (they had their keys already) as installed, so
automation.defaults does not make one again after an admin deletes it. Frozen copy of the keys."""

from django.db import migrations

KEYS = [
    "email-won-new-client",
    "email-waiting-for-upgrade",
    "email-upgraded",
    "email-won-existing-client",
    "email-lost",
    "domain-deletion-won",
    "website-won",
    "website-delivered-slack",
    "bug-confirmed-github",
    "bug-issue-closed",
]


def forwards(apps, schema_editor):
    Workflow = apps.get_model("automation", "Workflow")
    InstalledDefault = apps.get_model("core", "InstalledDefault")
    existing = Workflow.objects.filter(key__in=KEYS).values_list("key", flat=True)
    InstalledDefault.objects.bulk_create(
        [InstalledDefault(key=f"automation.workflow.{key}") for key in existing],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
        ("core", "0003_installeddefault"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
