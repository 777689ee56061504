from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Tools for developers and benchmarks, above every other app: ``manage.py scale_data``
    builds a realistic agency of any size (``scale``). No models, no pages."""

    name = "partnerdesk.devtools"
    label = "devtools"
    verbose_name = "Developer tools"
