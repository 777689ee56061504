"""Give the default task categories installed before names had translations their Italian and
Arabic names from the message catalogue (portal.defaults installs new ones with them): only a
category that has no translations yet and still has its default's English name.

A default category's key is the slug of the English name it shipped with, so a category has
its default name when its name still slugs to its key (and the catalogue then knows it).
"""

from django.db import migrations
from django.utils.text import slugify

from partnerdesk.core.translated import catalogue_translations


def forwards(apps, schema_editor):
    TaskCategory = apps.get_model("portal", "TaskCategory")
    filled = []
    for category in TaskCategory.objects.exclude(key="").only(
        "pk", "key", "name", "name_translations"
    ):
        if category.name_translations or slugify(category.name) != category.key:
            continue
        category.name_translations = catalogue_translations(category.name)
        if category.name_translations:
            filled.append(category)
    TaskCategory.objects.bulk_update(filled, ["name_translations"])


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_taskcategory_name_translations")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
