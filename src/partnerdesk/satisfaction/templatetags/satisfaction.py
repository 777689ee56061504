"""The satisfaction question inside the portal's own pages, without the portal importing this
app (it sits below it): ``{% load satisfaction %}``, then

- ``{% csat_prompt task %}`` on a task's page: the survey of a completed task, as a form to
  answer it or the answer given (one query, and none for a task that is not complete);
- ``{% csat_pending %}`` on the portal's home: the company's open surveys (one query).
"""

from django import template

from partnerdesk.core import clock

from .. import selectors
from ..forms import AnswerForm

register = template.Library()
COMPLETE = "complete"
PENDING_SHOWN = 5


@register.inclusion_tag("satisfaction/_prompt.html", takes_context=True)
def csat_prompt(context, task):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_client or task.status != COMPLETE:
        return {"survey": None}
    survey = selectors.survey_of_task(user, task)
    now = clock.now()
    return {
        "survey": survey,
        "open": survey is not None and not survey.is_answered and now < survey.expires_at,
        "form": AnswerForm(auto_id="csat_%s"),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("satisfaction/_pending.html", takes_context=True)
def csat_pending(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return {"surveys": []}
    return {"surveys": list(selectors.pending_for(user, clock.now())[:PENDING_SHOWN])}
