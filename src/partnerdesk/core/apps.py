from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "partnerdesk.core"
    label = "core"

    def ready(self):
        from django.db.models import fields

        from .forms import BLANK_CHOICE_LABEL

        # Before the other apps' forms are imported: their selects' empty choice is ours.
        fields.BLANK_CHOICE_LABEL = BLANK_CHOICE_LABEL
