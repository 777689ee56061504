from django import template

from ..format import display

register = template.Library()


@register.simple_tag
def report_cell(column, row):
    """One figure of a report's table, as it reads on the page."""
    return display(column, row.get(column.key))
