"""Template tags that let lower apps' pages show the task desk's facts without importing it
(the company page in crm shows the client's plan)."""

from django import template

from partnerdesk.portal.selectors import current_plan

register = template.Library()


@register.simple_tag
def company_plan(company):
    """The plan the company is on now, or None."""
    return current_plan(company.pk)
