"""``{% record_options %}``: a filter's select of records drawn as one string."""

from __future__ import annotations

from django.template import Context, Template


def draw(records, selected, label="") -> str:
    tag = '{% load choices %}{% record_options records selected "' + label + '" %}'
    return Template(tag).render(Context({"records": records, "selected": selected}))


class Person:
    def __init__(self, pk: int, name: str, short: str = ""):
        self.pk, self.name, self.display_name = pk, name, short or name

    def __str__(self) -> str:
        return self.name


def test_each_record_is_an_option_and_the_chosen_one_is_selected():
    people = [Person(1, "Ann <admin>"), Person(12, "Bo & Co")]
    assert draw(people, "12") == (
        '<option value="1">Ann &lt;admin&gt;</option>'
        '<option value="12" selected>Bo &amp; Co</option>'
    )
    assert "selected" not in draw(people, "")
    assert "selected" not in draw(people, None)
    assert "selected" not in draw(people, "2")  # not a prefix match


def test_the_label_can_be_another_attribute():
    assert draw([Person(3, "Laura Becker", "laura")], 3, "display_name") == (
        '<option value="3" selected>laura</option>'
    )
