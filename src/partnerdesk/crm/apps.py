from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrmConfig(AppConfig):
    name = "partnerdesk.crm"
    label = "crm"

    def ready(self):
        from . import timeline  # noqa: F401  (registers timeline sentences)
        from .defaults import install_defaults_after_migrate

        post_migrate.connect(install_defaults_after_migrate, sender=self)
