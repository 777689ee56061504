from django.apps import AppConfig


class PartnerProgramConfig(AppConfig):
    name = "partnerdesk.partner_program"
    label = "partner_program"
    verbose_name = "Partner program"

    def ready(self):
        from django.db.models.signals import post_migrate

        # (register reactions, sentences and the company page's card)
        from . import glance, handlers, timeline  # noqa: F401
        from .defaults import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
