"""What crm itself puts on its record pages (see ``record_pages``): a company's open deals and
contacts, a contact's company and open deals; the timeline sources of companies, contacts and
deals; the record types of crm whose secrets can be revealed. Imported by ``CrmConfig.ready``,
as the apps above crm import theirs."""

from __future__ import annotations

from django.db.models import CharField, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import record_pages, selectors
from .models import Company, Contact, Deal
from .record_pages import Panel, TimelineSource


def _list_url(name: str, **params) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


def _open_deals(deals, *, view_all_url: str = "") -> Panel:
    rows, count = record_pages.latest(deals)
    return Panel(
        key="deals",
        title=_("Open deals"),
        template="crm/glance/_deals.html",
        count=count,
        rows=rows,
        view_all_url=view_all_url,
        view_all_label=_("View all open deals"),
        empty=_("No open deals."),
        extra={"totals": selectors.amounts_by_currency(deals) if count else []},
    )


def company_deals(company: Company, user) -> Panel:
    return _open_deals(
        selectors.open_deals(user, company=company),
        view_all_url=_list_url("crm:deal_list", company=company.pk, kind="open"),
    )


def company_contacts(company: Company, user) -> Panel:
    rows, count = record_pages.latest(selectors.company_contacts(user, company))
    return Panel(
        key="contacts",
        title=_("Contacts"),
        template="crm/glance/_contacts.html",
        count=count,
        rows=rows,
        view_all_url=_list_url("crm:contact_list", company=company.pk),
        view_all_label=_("View all contacts"),
        empty=_("No contacts yet."),
    )


def contact_company(contact: Contact, user) -> Panel:
    company = contact.company  # selected with the contact
    return Panel(
        key="company",
        title=_("Company"),
        template="crm/glance/_company.html",
        count=None,
        rows=[company] if company else [],
        view_all_url=reverse("crm:company_detail", args=[company.pk]) if company else "",
        view_all_label=_("Open the company"),
        empty=_("Not linked to a company."),
    )


def contact_deals(contact: Contact, user) -> Panel:
    # The deal list has no contact filter: the card lists the newest and counts them all.
    return _open_deals(selectors.open_deals(user, contact=contact))


record_pages.register_panel("company", "deals", company_deals, order=30)
record_pages.register_panel("company", "contacts", company_contacts, order=50)
record_pages.register_panel("contact", "company", contact_company, order=0)
record_pages.register_panel("contact", "deals", contact_deals, order=30)

record_pages.register_timeline_source(
    TimelineSource(
        model=Company, label=gettext_lazy("Company"), url_name="crm:company_detail", title="name"
    )
)
record_pages.register_timeline_source(
    TimelineSource(
        model=Contact,
        label=gettext_lazy("Contact"),
        url_name="crm:contact_detail",
        # Contact.name: the names, else the email address
        title=Coalesce(
            NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value("")),
            "email",
            output_field=CharField(),
        ),
    )
)
record_pages.register_timeline_source(
    TimelineSource(
        model=Deal,
        label=gettext_lazy("Deal"),
        url_name="crm:deal_detail",
        title="name",
        of_contact=lambda contact: Deal.objects.filter(contacts=contact).values("pk"),
    )
)

record_pages.register_secret_holder(
    "company", lambda user, pk: get_object_for_user_or_404(Company, user, pk=pk)
)
record_pages.register_secret_holder(
    "contact", lambda user, pk: get_object_for_user_or_404(Contact, user, pk=pk)
)
record_pages.register_secret_holder(
    "deal", lambda user, pk: get_object_for_user_or_404(Deal, user, pk=pk)
)
