"""Give the default teams that exist their keys and record them as installed, so the defaults
installer (accounts.defaults) does not make them again. Frozen copy of the default names."""

from django.db import migrations

TEAMS = {
    "support": "Support Team",
    "email-provisioning": "Email Provisioning",
    "website": "Website Team",
    "consultants": "Consultants",
}


def forwards(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    InstalledDefault = apps.get_model("core", "InstalledDefault")
    installed = []
    for key, name in TEAMS.items():
        if Team.objects.filter(key=key).exists():
            installed.append(key)
        elif Team.objects.filter(name=name, key="").update(key=key):
            installed.append(key)
    InstalledDefault.objects.bulk_create(
        [InstalledDefault(key=f"accounts.team.{key}") for key in installed], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_team_key"),
        ("core", "0003_installeddefault"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
