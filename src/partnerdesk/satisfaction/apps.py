from django.apps import AppConfig


class SatisfactionConfig(AppConfig):
    """Customer satisfaction (CSAT): one question per completed task or closed ticket, answered
    from a signed email link or in the portal. It sits above tickets and the portal."""

    name = "partnerdesk.satisfaction"
    label = "satisfaction"
    verbose_name = "Satisfaction"

    def ready(self):
        from . import handlers, timeline  # noqa: F401  (register reactions and sentences)
