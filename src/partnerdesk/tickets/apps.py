from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "partnerdesk.tickets"
    label = "tickets"

    def ready(self):
        from django.db.models.signals import post_migrate

        # (register reactions, sentences, the inbound-email handlers, the CRM pages' cards, the
        # running totals)
        from . import glance, handlers, inbound, timeline, totals  # noqa: F401
        from .defaults import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
