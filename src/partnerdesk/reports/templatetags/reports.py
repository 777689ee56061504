from django import template
from django.utils.html import format_html

from ..format import display

register = template.Library()


@register.simple_tag
def report_cell(column, row):
    """One figure of a report's table, as it reads on the page (a link when the row gives
    the column a ``<key>_url``)."""
    value = row.get(column.key)
    text = display(column, value)
    url = row.get(f"{column.key}_url")
    if url:
        return format_html('<a href="{}">{}</a>', url, text)
    if column.bar and value is not None:
        return format_html(
            '<span class="report-bar"><meter min="0" max="1" value="{}"></meter> {}</span>',
            f"{min(max(float(value), 0.0), 1.0):.3f}",
            text,
        )
    return text
