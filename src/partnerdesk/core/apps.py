from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "partnerdesk.core"
    label = "core"

    def ready(self):
        from django.db.models import fields
        from django.db.models.signals import post_migrate

        from .forms import BLANK_CHOICE_LABEL

        # Before the other apps' forms are imported: their selects' empty choice is ours.
        fields.BLANK_CHOICE_LABEL = BLANK_CHOICE_LABEL

        post_migrate.connect(_forget_emptied_totals, sender=self)


def _forget_emptied_totals(sender, using="default", **kwargs) -> None:
    """After a flush (which sends post_migrate) or a migration: no running total is left of
    records that are all gone (``core.totals.forget_emptied``)."""
    if using == "default":
        from . import totals

        totals.forget_emptied()
