from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """The knowledge base: articles in categories, linked to the request types they help with,
    searched by staff and clients; the portal suggests them before a request is submitted and
    counts the requests they deflect. It sits above tickets and the portal."""

    name = "partnerdesk.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self):
        from . import timeline  # noqa: F401  (registers the timeline sentences)
