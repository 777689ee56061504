"""The ``bdi`` filter isolates user data in the page's text (issue 15, mixed-direction text)."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation


def render(source: str, **context) -> str:
    return Template("{% load i18n bidi %}" + source).render(Context(context))


def test_the_value_is_isolated_and_escaped():
    assert render("{{ name|bdi }}", name="Nile <Dental>") == "<bdi>Nile &lt;Dental&gt;</bdi>"


def test_inside_a_translated_sentence_it_keeps_the_sentence_and_its_translation():
    source = (
        "{% blocktranslate with name=name|bdi %}End services for {{ name }}{% endblocktranslate %}"
    )
    assert render(source, name="A&B") == "End services for <bdi>A&amp;B</bdi>"
    with translation.override("it"):
        translated = translation.gettext("End services for %(name)s") % {
            "name": "<bdi>A&amp;B</bdi>"
        }
        assert render(source, name="A&B") == translated
