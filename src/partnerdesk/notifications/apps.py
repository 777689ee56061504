from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "partnerdesk.notifications"
    label = "notifications"

    def ready(self):
        from . import (
            handlers,  # noqa: F401  (registers the SLA alerts with core.events)
            unread,  # noqa: F401  (the unread count loaded with the signed-in user)
        )
