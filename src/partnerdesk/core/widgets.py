"""Form widgets the project shares."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """A single ``<select>`` written as one string instead of a template per option.

    Django renders each option through the template engine (~0.4 ms each): a filter with
    thousands of companies took over a second to draw. This keeps the native control (keyboard
    type-ahead, screen readers, no JavaScript) at the cost of a string join. No optgroups.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs) | {"name": name}
        selected = {"" if value is None else str(value)}
        options = []
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            chosen = " selected" if text in selected else ""
            options.append(f'<option value="{escape(text)}"{chosen}>{escape(label)}</option>')
        return mark_safe(f"<select{flatatt(final)}>{''.join(options)}</select>")  # noqa: S308
