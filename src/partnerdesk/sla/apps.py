from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "partnerdesk.sla"
    label = "sla"

    def ready(self):
        from . import timeline  # noqa: F401  (registers timeline sentences)
