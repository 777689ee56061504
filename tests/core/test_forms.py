"""The empty choice of a select speaks the page's language (issue 15): Django's own label
("- Select an option -" since 6.1) has no Italian or Arabic translation, so core puts ours,
from our catalogue, in its place."""

from __future__ import annotations

from django import forms
from django.db.models import fields
from django.utils import translation
from django.utils.html import escape

from partnerdesk.accounts.models import User
from partnerdesk.core.forms import BLANK_CHOICE_LABEL
from partnerdesk.portal.models import Task


def test_django_uses_our_empty_choice():
    assert fields.BLANK_CHOICE_LABEL is BLANK_CHOICE_LABEL
    assert str(BLANK_CHOICE_LABEL) == "Select an option"


def test_a_select_of_records_or_of_choices_starts_with_it_in_the_pages_language():
    records = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    status = Task._meta.get_field("status")
    assert records.empty_label is BLANK_CHOICE_LABEL
    with translation.override("it"):
        html = records.widget.render("owner", None)
        label = escape(translation.gettext("Select an option"))
        assert label != "Select an option"  # Italian (the catalogue has it)
        assert f'<option value="" selected>{label}</option>' in html
        assert status.get_choices()[0] == ("", translation.gettext("Select an option"))
