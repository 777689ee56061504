"""CSV import of HubSpot accounts and subscriptions, or of qualifying activities: upload →
preview with every bad row named by its line → confirm (all or nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from partnerdesk.core.errors import DomainError

from .. import importing
from ..forms import ImportForm
from .common import manager_required


@manager_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    form.fields["file"].widget.attrs["accept"] = ".csv,.tsv,.txt,text/csv,text/plain"
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = importing.import_preview(
                by=request.user,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            if outcome.is_valid and outcome.token:
                return redirect("partner_program:import_preview", token=outcome.token)
    return render(
        request,
        "partner_program/import_upload.html",
        {"form": form, "outcome": outcome, "columns": importing.COLUMNS},
        status=400 if form.errors or (outcome is not None and not outcome.is_valid) else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def import_preview(request, token):
    """What confirming would do; POST confirms (everything is written, or nothing)."""
    try:
        if request.method == "POST":
            outcome = importing.import_confirm(by=request.user, token=token)
            if outcome.committed:
                counts = outcome.counts
                messages.success(
                    request,
                    _("Imported: %(c)s new, %(u)s updated, %(n)s unchanged.")
                    % {"c": counts["create"], "u": counts["update"], "n": counts["unchanged"]},
                )
                target = (
                    "partner_program:account_list"
                    if outcome.kind == importing.ACCOUNTS
                    else "partner_program:activity_list"
                )
                return redirect(target)
            messages.error(
                request,
                _("Nothing was imported: some rows no longer pass. Fix them and upload again."),
            )
        else:
            outcome = importing.import_check(by=request.user, token=token)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(str(exc.message)) from None
        raise
    return render(
        request,
        "partner_program/import_preview.html",
        {"outcome": outcome, "token": token},
        status=200 if outcome.is_valid else 400,
    )
