from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "partnerdesk.tickets"
    label = "tickets"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import handlers, timeline  # noqa: F401  (register reactions and sentences)
        from .defaults import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
