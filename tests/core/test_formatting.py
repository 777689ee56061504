"""The minutes filter writes efforts as people say them, in the user's language."""

import pytest
from django.utils import translation

from partnerdesk.core.templatetags.formatting import minutes


@pytest.mark.parametrize(
    ("value", "text"),
    [(45, "45 min"), (60, "1 h"), (180, "3 h"), (270, "4 h 30 min"), ("90", "1 h 30 min")],
)
def test_minutes(value, text):
    assert minutes(value) == text


def test_minutes_ignores_what_is_not_a_number():
    assert minutes(None) == "" and minutes("soon") == ""


def test_minutes_is_translated():
    with translation.override("it"):
        assert minutes(270) == "4 h 30 min"  # Italian says the same
    with translation.override("ar"):
        assert minutes(180) != "3 h"
