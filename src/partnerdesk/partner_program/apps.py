from django.apps import AppConfig


class PartnerProgramConfig(AppConfig):
    name = "partnerdesk.partner_program"
    label = "partner_program"
    verbose_name = "Partner program"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import handlers, timeline  # noqa: F401  (register reactions and sentences)
        from .defaults import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
