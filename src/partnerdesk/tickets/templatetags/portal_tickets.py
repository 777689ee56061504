"""The client's open tickets on the portal's home, without the portal importing this app (the
two sit in the same layer): ``{% load portal_tickets %}``, then ``{% your_tickets %}`` (one
query)."""

from django import template

from partnerdesk.core import clock

from .. import customer_view

register = template.Library()
SHOWN = 5


@register.inclusion_tag("tickets/portal/_home_tickets.html", takes_context=True)
def your_tickets(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_client:
        return {"rows": None}
    now = clock.now()
    tickets = list(customer_view.customer_tickets(user, "open")[:SHOWN])
    return {
        "rows": [
            {
                "ticket": t,
                "status": t.stage.customer_status,
                "promise": customer_view.promise(t, now),
            }
            for t in tickets
        ]
    }
