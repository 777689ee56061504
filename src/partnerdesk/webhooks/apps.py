from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "partnerdesk.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        # Importing them registers the outbox handler (every event kind) and the timeline
        # sentences of the webhook events.
        from . import handlers, timeline  # noqa: F401
