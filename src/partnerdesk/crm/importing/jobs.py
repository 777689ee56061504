"""The import's services: upload and check a file, confirm it, run it.

See the package's docstring for the flow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import Actor, require_staff
from partnerdesk.core.records import field_labels, set_fields

from .. import properties as props
from .. import services
from ..events import CrmEvent
from ..models import Company, Contact, Deal, ImportJob, ImportStatus, ObjectType
from .context import MODELS, RELATED
from .files import read_upload
from .validation import BATCH_SIZE, MAX_STORED_ERRORS, Prepared, RowPlan, prepare

logger = logging.getLogger(__name__)


def import_create(*, by: Actor, uploaded_file: UploadedFile, object_type: str = "") -> ImportJob:
    """Validate an uploaded HubSpot CSV and record it as an ImportJob (READY or INVALID).

    Writes no CRM record. Raises DomainError (field "file" or "object_type") when the file
    cannot be read at all.
    """
    require_staff(by, _("Only agency staff can import records."))
    data = read_upload(uploaded_file)
    prepared = prepare(data, object_type=object_type)
    filename = PurePath(uploaded_file.name or "import.csv").name[:255]
    job = ImportJob(
        created_by=by,
        object_type=prepared.object_type,
        filename=filename,
        status=ImportStatus.READY if prepared.is_valid else ImportStatus.INVALID,
        mapping=prepared.mapping(),
        unmapped_columns=[c.header for c in prepared.columns if c.kind == "ignored"],
        errors=prepared.errors,
        total_rows=prepared.total_rows,
    )
    if job.status == ImportStatus.READY:
        # Only kept while it may still be imported: the file can hold secret values.
        job.file.save(filename, ContentFile(data), save=False)
    job.save()
    return job


@transaction.atomic
def import_confirm(*, job: ImportJob, by: Actor, enqueue: Callable[[int], object]) -> ImportJob:
    """READY -> QUEUED, then ``enqueue(job_id)`` after commit (the caller passes the task's
    ``enqueue``: ``tasks.run_import`` runs :func:`import_run`). Confirming twice is harmless."""
    require_staff(by, _("Only agency staff can import records."))
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DONE):
        return job
    if job.status == ImportStatus.FAILED:
        raise conflict("import_not_ready", _("This import failed; upload the file again."))
    if job.status != ImportStatus.READY:
        raise conflict("import_not_ready", _("This file has errors; fix them and upload it again."))
    job.status = ImportStatus.QUEUED
    job.processed_rows = 0
    job.save(update_fields=["status", "processed_rows"])
    job_id = job.pk
    transaction.on_commit(lambda: enqueue(job_id))
    return job


def _set_progress(job_id: int, processed: int) -> None:
    ImportJob.objects.filter(pk=job_id).update(processed_rows=processed)


def _delete_file(job: ImportJob) -> None:
    if job.file:
        name = job.file.name
        storage = job.file.storage
        job.file = ""
        transaction.on_commit(lambda: storage.delete(name))


class _RowFailed(Exception):
    def __init__(self, line: int, exc: DomainError):
        super().__init__(str(exc))
        self.line, self.exc = line, exc


def import_run(*, job: ImportJob) -> ImportJob:
    """Run a confirmed import: re-validate, then write every row in one transaction.

    Idempotent: only a QUEUED job is claimed, so a retried or duplicated task does nothing.
    """
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("created_by")
            .get(pk=job.pk)
        )
        if job.status != ImportStatus.QUEUED:
            return job
        job.status = ImportStatus.RUNNING
        job.processed_rows = 0
        job.save(update_fields=["status", "processed_rows"])

    by = job.created_by
    if not (by.is_active and by.is_agency_staff):
        return _finish_failed(
            job, _("%(user)s can no longer import records; upload the file again.") % {"user": by}
        )
    try:
        try:
            with job.file.open("rb") as handle:
                data = handle.read()
        except (OSError, ValueError):
            return _finish_failed(
                job, _("The uploaded file is no longer available; upload it again.")
            )
        try:
            prepared = prepare(
                data, object_type=job.object_type, progress=lambda n: _set_progress(job.pk, n)
            )
        except DomainError as exc:
            return _finish_invalid(
                job, [{"line": None, "column": None, "message": str(exc.message), "code": exc.code}]
            )
        if not prepared.is_valid:
            return _finish_invalid(job, prepared.errors, prepared)
        try:
            return _write(job, prepared)
        except _RowFailed as failed:
            return _finish_invalid(
                job,
                [
                    {"line": failed.line, "column": None, "message": e.message, "code": e.code}
                    for e in failed.exc.all_errors()
                ],
            )
    except Exception:
        logger.exception("Import %s failed", job.pk)
        _finish_failed(
            job,
            _(
                "The import stopped because of an unexpected error; nothing was "
                "imported. Try again, or ask an administrator to check the logs."
            ),
        )
        raise


@transaction.atomic
def _finish_invalid(
    job: ImportJob, errors: list[dict], prepared: Prepared | None = None
) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    job.status = ImportStatus.INVALID
    job.errors = errors[:MAX_STORED_ERRORS]
    if prepared is not None:
        job.mapping = prepared.mapping()
        job.total_rows = prepared.total_rows
    else:
        job.mapping = {
            **job.mapping,
            "error_count": len(errors),
            "bad_rows": len({e["line"] for e in errors}),
        }
    job.finished_at = timezone.now()
    _delete_file(job)
    job.save()
    return job


@transaction.atomic
def _finish_failed(job: ImportJob, message: str) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    job.status = ImportStatus.FAILED
    job.errors = [{"line": None, "column": None, "message": str(message), "code": "import_failed"}]
    job.finished_at = timezone.now()
    _delete_file(job)  # a failed job is not run again; the file may hold secrets
    job.save()
    return job


@transaction.atomic
def _write(job: ImportJob, prepared: Prepared) -> ImportJob:
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != ImportStatus.RUNNING:  # finished by another worker meanwhile
        return locked
    by = job.created_by
    model = MODELS[prepared.object_type]
    definitions = {d.name: d for d in props.definitions(prepared.object_type)}
    labels = field_labels(model)
    # Lock the records to update, a batch per query, and diff against their current values:
    # what changed since the preview is compared afresh, never overwritten with stale "old".
    current = {}
    existing_pks = [p.existing.pk for p in prepared.plans if p.existing is not None]
    for start in range(0, len(existing_pks), BATCH_SIZE):
        chunk = existing_pks[start : start + BATCH_SIZE]
        rows = model.objects.select_for_update(of=("self",)).select_related(*RELATED[model])
        current.update((r.pk, r) for r in rows.filter(pk__in=chunk))
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    event_data = {"file": job.filename, "import_id": job.pk}
    for plan in prepared.plans:
        try:
            if plan.existing is None:
                record = _create(prepared.object_type, plan, by)
                record_event(
                    kind=CrmEvent.RECORD_IMPORTED,
                    subject=record,
                    actor=by,
                    company_id=record.company_id,
                    data=event_data,
                )
                counts["created"] += 1
                continue
            record = current.get(plan.existing.pk)
            if record is None:
                raise DomainError(
                    code="record_deleted",
                    message=_("This record was deleted while the import was starting."),
                )
            changes = set_fields(record, plan.fields, labels)
            changes += props.apply_properties(
                record, plan.properties, definitions_by_name=definitions
            )
            if changes:
                record.save()
                record_event(
                    kind=CrmEvent.RECORD_IMPORT_UPDATED,
                    subject=record,
                    actor=by,
                    company_id=record.company_id,
                    data={**event_data, "changes": changes},
                )
            moved = False
            if plan.stage is not None and record.stage_id != plan.stage.pk:
                services.deal_move(deal=record, stage=plan.stage, by=by)
                moved = True
            counts["updated" if changes or moved else "unchanged"] += 1
        except DomainError as exc:
            raise _RowFailed(plan.line, exc) from exc
        except IntegrityError as exc:  # e.g. another import saved this Record ID meanwhile
            duplicate = conflict(
                "duplicate_record_id",
                _(
                    "Another record with this Record ID was saved while the import ran; upload "
                    "the file again to update it."
                ),
            )
            raise _RowFailed(plan.line, duplicate) from exc
    locked.status = ImportStatus.DONE
    locked.processed_rows = prepared.total_rows
    locked.total_rows = prepared.total_rows
    locked.created_count = counts["created"]
    locked.updated_count = counts["updated"]
    locked.unchanged_count = counts["unchanged"]
    locked.errors = []
    locked.finished_at = timezone.now()
    _delete_file(locked)
    locked.save()
    return locked


def _create(object_type: str, plan: RowPlan, by: Actor) -> Company | Contact | Deal:
    fields = {**plan.fields, "hubspot_record_id": plan.record_id}
    if object_type == ObjectType.COMPANY:
        return services.company_create(by=by, properties=plan.properties, **fields)
    if object_type == ObjectType.CONTACT:
        return services.contact_create(by=by, properties=plan.properties, **fields)
    name = fields.pop("name")
    return services.deal_create(
        by=by,
        name=name,
        pipeline=plan.pipeline,
        stage=plan.stage,
        properties=plan.properties,
        **fields,
    )


def import_jobs_for(user: User) -> QuerySet[ImportJob]:
    """The import jobs ``user`` may see, newest first (for the upload page)."""
    return ImportJob.objects.for_user(user).select_related("created_by")
