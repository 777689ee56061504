from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "partnerdesk.accounts"
    label = "accounts"

    def ready(self):
        from . import timeline  # noqa: F401  (registers timeline sentences)
