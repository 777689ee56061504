"""Background tasks of the CRM: take ids, reload, call one service."""

from __future__ import annotations

from django.tasks import task
from django.utils import translation

from .importing import import_run
from .models import ImportJob


@task
def run_import(job_id: int) -> dict:
    """Run a confirmed HubSpot CSV import. Safe to run twice: only a QUEUED job is claimed."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return {"job": job_id, "status": "missing"}
    # Messages stored on the job (row errors, timeline labels) in the uploader's language.
    with translation.override(job.created_by.language):
        job = import_run(job=job)
    return {
        "job": job.pk,
        "status": job.status,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
    }
