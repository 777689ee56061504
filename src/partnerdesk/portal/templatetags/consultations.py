"""``{% load consultations %}{% task_sessions task as sessions %}``: the consultation sessions
of a task for the task pages' partials (one query; see booking.task_sessions)."""

from django import template

from partnerdesk.portal import booking

register = template.Library()


@register.simple_tag
def task_sessions(task):
    return booking.task_sessions(task)
