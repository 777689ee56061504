"""Form widgets the project shares."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """A single ``<select>`` written as one string instead of a template per option.

    Django renders each option through the template engine (~0.4 ms each): a filter with
    thousands of companies took over a second to draw. This keeps the native control (keyboard
    type-ahead, screen readers, no JavaScript) at the cost of a string join. No optgroups.
    """

    def _drawn_choices(self):
        """The choices; a model choice field's read with one plain query (Django iterates them
        with a server-side cursor on PostgreSQL: three statements for a few dozen rows)."""
        choices = self.choices
        if not isinstance(choices, ModelChoiceIterator):
            return choices
        empty = choices.field.empty_label
        head = [("", empty)] if empty is not None else []
        return head + [choices.choice(row) for row in choices.queryset.all()]

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs) | {"name": name}
        options = render_options(
            (("" if v is None else str(v), label) for v, label in self._drawn_choices()),
            selected=["" if value is None else str(value)],
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308


PICKER_SIZE = 20  # options a picker offers at a time: the first by name, or a search's best


def picker_options(queryset, *, selected=(), limit: int = PICKER_SIZE) -> list[tuple[str, str]]:
    """(value, label) of the chosen records first, then up to ``limit`` others of ``queryset``
    (already searched and ordered by the caller): two bounded queries, whatever the table's
    size. Shared by the widget's first drawing and its search endpoint."""
    chosen = [str(v) for v in selected if str(v).isdigit()]
    options = [(str(r.pk), str(r)) for r in queryset.model._default_manager.filter(pk__in=chosen)]
    rest = queryset.exclude(pk__in=chosen)[:limit] if limit else []
    return options + [(str(r.pk), str(r)) for r in rest]


def render_options(options, *, selected=(), empty_label: str | None = None) -> str:
    """``<option>``s of (value, label) pairs, escaped, as one safe string."""
    chosen = {str(v) for v in selected}
    html = [] if empty_label is None else [f'<option value="">{escape(empty_label)}</option>']
    for value, label in options:
        mark = " selected" if value in chosen else ""
        html.append(f'<option value="{escape(value)}"{mark}>{escape(label)}</option>')
    return mark_safe("".join(html))  # noqa: S308 (escaped above)


class RecordPicker(forms.SelectMultiple):
    """A record chosen among thousands: a search box over a short ``<select>``.

    A full select of every company (20,000 at a million tickets) took seconds to draw and
    megabytes to send. This draws the chosen record(s) and the first ``PICKER_SIZE`` by name;
    typing in the search box asks ``url`` (htmx, ``q``) for the best matches, keeping the
    chosen ones. The field (``ModelChoiceField`` or ``ModelMultipleChoiceField``) validates
    against its whole queryset as before. ``depends_on`` names another field whose value goes
    with the search (a contact picker narrowed to the chosen company).
    """

    def __init__(self, url: str, *, multiple: bool = False, depends_on: str = "", attrs=None):
        super().__init__(attrs)
        self.url, self.multiple, self.depends_on = url, multiple, depends_on

    def format_value(self, value):
        if value is None or value == "":
            return []
        return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]

    def value_from_datadict(self, data, files, name):
        if self.multiple:
            return super().value_from_datadict(data, files, name)
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def render(self, name, value, attrs=None, renderer=None):
        from django.urls import reverse
        from django.utils.translation import gettext as _

        final = self.build_attrs(self.attrs, attrs) | {"name": name}
        if self.multiple:
            final["multiple"] = True
        select_id = final.get("id") or f"id_{name}"
        final["id"] = select_id
        selected = self.format_value(value)
        queryset = self.choices.queryset
        options = render_options(
            picker_options(queryset, selected=selected),
            selected=selected,
            empty_label=None if self.multiple else "—",
        )
        include = f"#{select_id}" + (f", [name='{self.depends_on}']" if self.depends_on else "")
        search = {
            "type": "search",
            "name": "q",
            "class": "picker-q",
            "autocomplete": "off",
            "placeholder": _("Type to search…"),
            "aria-label": _("Search"),
            "aria-controls": select_id,
            "hx-get": f"{reverse(self.url)}?field={name}"
            + ("&multiple=1" if self.multiple else ""),
            "hx-trigger": "input changed delay:250ms, search",
            "hx-target": f"#{select_id}",
            "hx-swap": "innerHTML",
            "hx-include": include,
            "form": "",  # the search text is not part of the form's data
        }
        return mark_safe(  # noqa: S308 (escaped above)
            f'<span class="picker"><input{flatatt(search)}>'
            f"<select{flatatt(final)}>{options}</select></span>"
        )


def use_picker(field: forms.ModelChoiceField, url: str, *, depends_on: str = "") -> None:
    """Give a model choice field (single or multiple) a ``RecordPicker`` over its queryset."""
    multiple = isinstance(field, forms.ModelMultipleChoiceField)
    widget = RecordPicker(url, multiple=multiple, depends_on=depends_on)
    widget.is_required = field.required
    widget.attrs.update(field.widget.attrs)
    widget.choices = cast(Any, field.choices)  # the field's ModelChoiceIterator, as Django does
    field.widget = widget
