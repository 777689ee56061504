"""The client portal: a client user's own company, colleagues and purchases, nothing else."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.accounts import services as account_services
from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.accounts.views import InviteForm
from partnerdesk.core.access import client_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.exports import csv_response

from . import selectors


@client_required
@require_GET
def contact_export(request):
    contacts = selectors.contacts_for(request.user)
    rows = (
        [c.first_name, c.last_name, c.email, c.phone, c.job_title]
        for c in contacts.iterator(chunk_size=500)
    )
    return csv_response(
        "contacts.csv", ["First Name", "Last Name", "Email", "Phone Number", "Job Title"], rows
    )


@client_required
@require_GET
def deal_detail(request, pk):
    deal = selectors.deal_detail(request.user, pk)
    return render(
        request, "portal/deal_detail.html", {"deal": deal, "line_items": deal.line_items.all()}
    )


@client_required
@require_http_methods(["GET", "POST"])
def invite_colleague(request):
    if not request.user.is_client_admin:
        messages.error(request, _("Only your company's client admin can invite colleagues."))
        return redirect("portal:home")
    form = InviteForm(request.POST or None, initial={"language": request.user.language})
    for name in ("role", "company", "client_role"):
        form.fields.pop(name)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.invitation_create(
                by=request.user,
                email=form.cleaned_data["email"],
                role=Role.CLIENT,
                company=request.user.company,
                client_role=ClientRole.MEMBER,
                language=form.cleaned_data["language"],
            )
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("portal:home")
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(request, "portal/invite.html", {"form": form}, status=400 if form.errors else 200)
