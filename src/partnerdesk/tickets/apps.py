from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "partnerdesk.tickets"
    label = "tickets"

    def ready(self):
        from django.db.models.signals import post_migrate

        from partnerdesk.core.events import register_handler
        from partnerdesk.sla.events import SlaEvent

        from . import timeline  # noqa: F401
        from .defaults import install_after_migrate
        from .tasks import recompute_after_sla_change

        register_handler([SlaEvent.TARGETS_CHANGED], recompute_after_sla_change)

        post_migrate.connect(install_after_migrate, sender=self)
