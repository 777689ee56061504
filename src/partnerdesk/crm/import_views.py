"""Staff pages for the HubSpot CSV import: upload, preview and confirm, progress.

Thin views: parse, authorise, call one service from ``crm.importing``, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.core.access import staff_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import importing, tasks
from .forms import ImportUploadForm
from .models import ImportStatus

RECENT_JOBS = 20


def _job(request, pk):
    return get_object_for_user_or_404(importing.import_jobs_for(request.user), request.user, pk=pk)


def _context(job) -> dict:
    mapping = job.mapping or {}
    error_count = mapping.get("error_count", len(job.errors))
    return {
        "job": job,
        "columns": importing.mapping_rows(job),
        "preview": mapping.get("preview", {}),
        "plan": mapping.get("plan", {}),
        "errors": job.errors,
        "error_count": error_count,
        "bad_rows": mapping.get("bad_rows", 0),
        "errors_truncated": error_count > len(job.errors),
        "polling": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        "saving": job.status == ImportStatus.RUNNING and job.processed_rows >= job.total_rows,
        "read_as_cp1252": mapping.get("encoding") == "cp1252",
    }


@staff_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    form.fields["file"].widget.attrs["accept"] = ".csv,.tsv,.txt,text/csv,text/plain"
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.import_create(
                by=request.user,
                uploaded_file=form.cleaned_data["file"],
                object_type=form.cleaned_data["object_type"],
            )
            return redirect("crm:import_detail", pk=job.pk)
        except DomainError as exc:
            for error in exc.all_errors():
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
    jobs = importing.import_jobs_for(request.user)[:RECENT_JOBS]
    return render(
        request,
        "crm/import_upload.html",
        {"form": form, "jobs": jobs},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def import_detail(request, pk):
    """The mapping preview and row errors; POST confirms the import."""
    job = _job(request, pk)
    if request.method == "POST":
        try:
            was_ready = job.status == ImportStatus.READY
            job = importing.import_confirm(
                job=job, by=request.user, enqueue=tasks.run_import.enqueue
            )
            if was_ready:
                messages.success(request, _("The import has started."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect("crm:import_detail", pk=job.pk)
    return render(request, "crm/import_detail.html", _context(job))


@staff_required
@require_GET
def import_progress(request, pk):
    """The status fragment, polled by htmx every second while the import is queued or running."""
    job = _job(request, pk)
    return render(request, "crm/import_detail.html#progress", _context(job))
