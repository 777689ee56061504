from django import template
from django.utils.html import format_html

from ..format import display

register = template.Library()


@register.simple_tag
def report_cell(column, row):
    """One figure of a report's table, as it reads on the page (a link when the row gives
    the column a ``<key>_url``)."""
    text = display(column, row.get(column.key))
    url = row.get(f"{column.key}_url")
    return format_html('<a href="{}">{}</a>', url, text) if url else text
