"""A ticket can be associated with several deals (``Ticket.deals``); the originating deal stays
in ``Ticket.deal`` and is one of them. The deal's side, ``deal.tickets``, now reads the
association, so every existing ticket gets its originating deal in it here."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000


def forwards(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Through = Ticket.deals.through
    rows = Ticket.objects.filter(deal__isnull=False).order_by("pk").values_list("pk", "deal_id")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            break
        Through.objects.bulk_create(
            [Through(ticket_id=ticket_id, deal_id=deal_id) for ticket_id, deal_id in batch],
            ignore_conflicts=True,
        )
        last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_default_keys"),
        ("tickets", "0004_default_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="deal",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="originated_tickets",
                to="crm.deal",
                verbose_name="deal",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="deals",
            field=models.ManyToManyField(
                blank=True, related_name="tickets", to="crm.deal", verbose_name="associated deals"
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
