"""What the partner program puts on the CRM's company page (``crm.record_pages``; crm cannot
import it): the company's HubSpot subscriptions with their MRR, and its HubSpot accounts'
events on the merged timeline — both for managers and admins only, like the program's pages."""

from __future__ import annotations

from django.db.models import F, Sum
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.crm import record_pages
from partnerdesk.crm.record_pages import Panel, TimelineSource

from . import selectors
from .models import HubSpotAccount, SubscriptionStatus


def company_subscriptions(company, user) -> Panel | None:
    """The subscriptions in force (not ended) of the company's HubSpot accounts, the next to
    renew first, and their MRR per currency: two queries. None for agents."""
    if not selectors.sees_everything(user):
        return None
    subscriptions = (
        selectors.subscriptions_for(user)
        .filter(account__company=company)
        .exclude(status=SubscriptionStatus.ENDED)
    )
    rows, count = record_pages.latest(
        subscriptions.order_by(F("renewal_date").asc(nulls_last=True), "product", "pk")
    )
    totals = (
        list(
            subscriptions.order_by()
            .values("currency")
            .annotate(total=Sum("mrr"))
            .order_by("-total", "currency")
            .values_list("currency", "total")
        )
        if count
        else []
    )
    return Panel(
        key="subscriptions",
        title=_("HubSpot subscriptions"),
        template="partner_program/_glance_subscriptions.html",
        count=count,
        rows=rows,
        view_all_url=(
            f"{reverse('partner_program:account_list')}?{urlencode({'company': company.pk})}"
        ),
        view_all_label=_("View the HubSpot accounts"),
        empty=_("No HubSpot subscription in force."),
        links=[
            (
                _("Add a HubSpot account"),
                f"{reverse('partner_program:account_create')}?{urlencode({'company': company.pk})}",
            )
        ],
        extra={"totals": totals},
    )


record_pages.register_panel("company", "subscriptions", company_subscriptions, order=40)
record_pages.register_timeline_source(
    TimelineSource(
        model=HubSpotAccount,
        label=gettext_lazy("HubSpot account"),
        url_name="partner_program:account_detail",
        title="name",
        visible=selectors.sees_everything,
    )
)
