from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    name = "partnerdesk.crm"
    label = "crm"

    def ready(self):
        # (register timeline sentences; what crm shows on its record pages)
        from . import glance, timeline  # noqa: F401
        from .defaults import install_defaults_after_migrate

        post_migrate.connect(install_defaults_after_migrate, sender=self)
