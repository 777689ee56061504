from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "partnerdesk.notifications"
    label = "notifications"

    def ready(self):
        from . import handlers  # noqa: F401  (registers the SLA alerts with core.events)
