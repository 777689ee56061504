"""Staff pages of tickets by email: a conversation's files, the unknown-sender queue, and the
support mailboxes (admins, under Settings)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core.access import admin_required, staff_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import submit
from partnerdesk.core.pagination import CappedPaginator
from partnerdesk.core.tenancy import get_object_for_user_or_404
from partnerdesk.notifications.inbound.routing import parse

from . import conversation
from .forms import MailboxForm
from .mailboxes import mailbox_save
from .models import HeldEmail, HeldStatus, SupportMailbox, TicketAttachment


@staff_required
@require_GET
def attachment(request, pk):
    """A file of a ticket's conversation (staff; the portal serves clients their own)."""
    item = get_object_for_user_or_404(TicketAttachment.objects.all(), request.user, pk=pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    response = FileResponse(handle, as_attachment=True, filename=item.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


# ---------------------------------------------------------------- the unknown-sender queue


@staff_required
@require_GET
def held_list(request):
    emails = HeldEmail.objects.filter(status=HeldStatus.HELD).select_related("mailbox")
    page = CappedPaginator(emails.order_by("-received_at", "-id"), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "tickets/held_list.html", {"page": page, "objects": page.object_list})


def _held(pk) -> HeldEmail:
    return get_object_or_404(HeldEmail, pk=pk)


@staff_required
@require_POST
def held_accept(request, pk):
    held = _held(pk)
    try:
        with held.raw.open("rb") as handle:
            message = parse(handle.read())
        ticket = conversation.held_email_accept(held=held, by=request.user, message=message)
    except (DomainError, OSError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", None) or _("The email could not be read."))
        return redirect("tickets:held_list")
    messages.success(request, _("Ticket opened from the email."))
    return redirect("tickets:detail", pk=ticket.pk)


@staff_required
@require_POST
def held_discard(request, pk):
    held = _held(pk)
    try:
        conversation.held_email_discard(held=held, by=request.user)
        messages.success(request, _("Email discarded."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("tickets:held_list")


# ---------------------------------------------------------------- support mailboxes (admins)


@admin_required
@require_GET
def mailbox_list(request):
    mailboxes = SupportMailbox.objects.select_related("pipeline", "entry_stage").order_by("address")
    return render(request, "tickets/mailbox_list.html", {"mailboxes": mailboxes})


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_form(request, pk=None):
    mailbox = get_object_or_404(SupportMailbox, pk=pk) if pk else None
    initial = (
        {
            "address": mailbox.address,
            "entry_stage": mailbox.entry_stage_id,
            "unknown_senders": mailbox.unknown_senders,
            "active": mailbox.active,
        }
        if mailbox
        else {"active": True}
    )
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST":
        outcome = submit(form, lambda data: mailbox_save(by=request.user, mailbox=mailbox, **data))
        if outcome.ok:
            messages.success(request, _("Mailbox saved."))
            return redirect("tickets:mailbox_list")
    return render(
        request,
        "tickets/mailbox_form.html",
        {"form": form, "mailbox": mailbox},
        status=400 if form.errors else 200,
    )
