"""The client's tickets in the portal (/portal/tickets/): their company's tickets, each with its
number, subject, the stage as the customer reads it and when they hear from us next; a ticket's
public conversation with its files, and a reply form (text and files) that posts as the client.

Internal notes, properties and other companies' tickets never reach these pages
(``customer_view`` reads only what a customer may see; another company's ticket is the same
404 as a missing one). The portal app links here by URL name only (``portal_tickets:…``).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.core import clock
from partnerdesk.core.access import client_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin
from partnerdesk.core.pagination import CappedPaginator

from . import conversation, customer_view
from .attachments import check_files
from .models import Via

PAGE_SIZE = 20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReplyForm(DomainErrorFormMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=conversation.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # The files are read from request.FILES ("attachments") and checked by the service; the
    # field draws the input and carries their error.
    attachments = forms.Field(
        label=gettext_lazy("Attachments"), required=False, widget=MultipleFileInput
    )


def _files(request) -> list:
    return request.FILES.getlist("attachments")


def _rows(tickets, now) -> list[dict]:
    return [
        {
            "ticket": t,
            "status": t.stage.customer_status,
            "updated": customer_view.last_update(t),
            "promise": customer_view.promise(t, now),
        }
        for t in tickets
    ]


@client_required
@require_GET
def ticket_list(request):
    status = request.GET.get("status", "open")
    if status not in customer_view.STATUSES:
        status = "open"
    qs = customer_view.customer_tickets(request.user, status)
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    template = "tickets/portal/ticket_list.html"
    if request.htmx and request.htmx.target == "results":
        template += "#results"
    return render(
        request,
        template,
        {
            "page": page,
            "rows": _rows(page.object_list, now),
            "status": status,
            "querystring": f"status={status}",
            "statuses": [
                ("open", _("Open")),
                ("closed", _("Resolved")),
                ("all", _("All")),
            ],
        },
    )


def _detail(request, ticket, form, status=200):
    now = clock.now()
    notes = list(customer_view.public_conversation(ticket))
    agency = str(settings.PARTNERDESK["AGENCY_NAME"])
    return render(
        request,
        "tickets/portal/ticket_detail.html",
        {
            "ticket": ticket,
            "status": ticket.stage.customer_status,
            "updated": customer_view.last_update(ticket),
            "promise": customer_view.promise(ticket, now),
            "thread": [{"note": n, "author": customer_view.author_name(n, agency)} for n in notes],
            "form": form,
            "reopen_days": settings.PARTNERDESK_TICKET_REOPEN_DAYS,
        },
        status=status,
    )


@client_required
@require_GET
def ticket_detail(request, pk):
    ticket = customer_view.customer_ticket(request.user, pk)
    return _detail(request, ticket, ReplyForm())


@client_required
@require_POST
def ticket_reply(request, pk):
    ticket = customer_view.customer_ticket(request.user, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            files = check_files(_files(request))
            note = conversation.ticket_customer_message(
                ticket=ticket,
                body=form.cleaned_data["body"],
                user=request.user,
                files=files,
                via=Via.PORTAL,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            if note.ticket_id != ticket.pk:
                messages.success(
                    request,
                    _(
                        "This request was resolved a while ago, so your message opened a new "
                        "one: #%(number)s."
                    )
                    % {"number": note.ticket_id},
                )
            else:
                messages.success(request, _("Message sent."))
            return redirect("portal_tickets:detail", pk=note.ticket_id)
    return _detail(request, ticket, form, status=400)


@client_required
@require_GET
def attachment(request, pk):
    """A file of a public message of one of the company's tickets."""
    item = customer_view.public_attachment(request.user, pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    response = FileResponse(handle, as_attachment=True, filename=item.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
