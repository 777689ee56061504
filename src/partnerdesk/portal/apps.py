from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "partnerdesk.portal"
    label = "portal"

    def ready(self):
        from django.db.models.signals import post_migrate

        # (reply-by-email handler, sentences, the CRM pages' cards, the running totals)
        from . import glance, inbound, timeline, totals  # noqa: F401
        from .defaults import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
