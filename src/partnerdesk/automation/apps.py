from django.apps import AppConfig

from partnerdesk.core.queue import register_poller


class AutomationConfig(AppConfig):
    name = "partnerdesk.automation"
    label = "automation"

    def ready(self):
        from django.db.models.signals import post_migrate

        from partnerdesk.core.events import register_dispatcher

        from . import timeline  # noqa: F401
        from .defaults import install_after_migrate
        from .health import warn_after_migrate
        from .outbox import drain
        from .tasks import dispatch

        register_dispatcher(dispatch)
        register_poller(drain)  # the workers take events from the outbox in batches

        post_migrate.connect(install_after_migrate, sender=self)
        # After the installer: a default step whose team is still empty is said at install.
        post_migrate.connect(warn_after_migrate, sender=self)
