"""The score choices speak the language of the page that shows them (issue 15: they were put
together at import, in English)."""

from __future__ import annotations

from django.utils import translation

from partnerdesk.satisfaction.forms import SCORE_CHOICES
from partnerdesk.satisfaction.models import SCORE_LABELS


def test_score_choices_follow_the_active_language():
    for language in ("en", "it", "ar"):
        with translation.override(language):
            assert [str(label) for _score, label in SCORE_CHOICES] == [
                f"{score} – {SCORE_LABELS[score]}" for score in range(1, 6)
            ]
    with translation.override("ar"):
        assert "Very dissatisfied" not in str(SCORE_CHOICES[0][1])
