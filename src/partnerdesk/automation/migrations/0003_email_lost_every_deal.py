"""The default "email-lost" workflow now opens the Cancel Emails ticket for every lost deal: one
without a domain name opens it asking for the domain, instead of being skipped.

Installs made before this change have the old version. It is updated only if its key still
exists (a deleted default stays deleted) and only where it is still as shipped: the old
"domain name is set" condition is dropped only when it is the whole condition tree, and the
create-ticket step gets ``"if_missing": "ask"`` unless it already says otherwise. New installs
get the new version from automation.defaults. Frozen copies of the shipped values.
"""

from django.db import migrations

KEY = "email-lost"
OLD_CONDITIONS = {"all": [{"field": "deal.properties.domain_name", "op": "is_set"}]}


def forwards(apps, schema_editor):
    Workflow = apps.get_model("automation", "Workflow")
    workflow = Workflow.objects.filter(key=KEY).first()
    if workflow is None:
        return
    if workflow.conditions == OLD_CONDITIONS:
        workflow.conditions = {}
        workflow.save(update_fields=["conditions"])
    for action in workflow.actions.filter(type="create_ticket"):
        if "if_missing" not in (action.config or {}):
            action.config = {**(action.config or {}), "if_missing": "ask"}
            action.save(update_fields=["config"])


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0002_default_workflows_installed"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
