"""The satisfaction forms: the answer (score and comment), the comment alone, the answers
page's filters and the settings."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.forms import DomainErrorFormMixin

from .models import SCORE_LABELS, SCORES
from .services import COMMENT_LIMIT

# Lazy: the label is put together in the language of the page that shows it, not at import.
SCORE_CHOICES = [(score, format_lazy("{} – {}", score, SCORE_LABELS[score])) for score in SCORES]


def _comment_field(required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=_("Comment"),
        required=required,
        max_length=COMMENT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: what went well, what could be better."),
    )


class AnswerForm(DomainErrorFormMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = _comment_field()


class CommentForm(DomainErrorFormMixin, forms.Form):
    comment = _comment_field(required=True)


class LinkCommentForm(CommentForm):
    """The thank-you page's comment: the proof of the one-click answer rides along."""

    proof = forms.CharField(widget=forms.HiddenInput, max_length=500)


class AnswerFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Answered")), ("pending", _("Not answered")), ("all", _("All"))],
    )
    score = forms.TypedChoiceField(
        label=_("Score"), required=False, choices=[("", "—"), *SCORE_CHOICES], coerce=int
    )
    kind = forms.ChoiceField(
        label=_("About"),
        required=False,
        choices=[("", "—"), ("task", _("Client tasks")), ("ticket", _("Tickets"))],
    )
    answered_from = forms.DateField(
        label=_("Answered from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    answered_to = forms.DateField(
        label=_("Answered until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SettingsForm(DomainErrorFormMixin, forms.Form):
    enabled_for_tasks = forms.BooleanField(
        label=_("Ask when a client task is complete"), required=False
    )
    enabled_for_tickets = forms.BooleanField(
        label=_("Ask when a ticket with a contact is closed"), required=False
    )
    link_valid_days = forms.IntegerField(
        label=_("Days a survey stays open"),
        min_value=1,
        max_value=365,
        help_text=_("The email's links, the portal and the API take answers until then."),
    )
    low_score_threshold = forms.IntegerField(
        label=_("Notify the team lead of scores at or below"),
        min_value=0,
        max_value=4,
        help_text=_("0: never."),
    )
