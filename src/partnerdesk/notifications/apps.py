from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "partnerdesk.notifications"
    label = "notifications"

    def ready(self):
        from partnerdesk.core.events import register_handler

        from .handlers import SLA_ALERT_KINDS, handle_event

        register_handler(SLA_ALERT_KINDS, handle_event)
