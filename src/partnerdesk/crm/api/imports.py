"""API: the HubSpot CSV import, through the same services as the import pages.

Upload a file (multipart) -> an import job with its column mapping, preview and every row error
(the file is checked in full, nothing is written); confirm a READY job -> it runs in the
background, all-or-nothing; read the job for its progress and result. The mapping comes from
the file's column names (HubSpot's export headers and the custom properties' labels), exactly
as on the pages: to import other records, upload again naming ``object_type``.

Imports are a staff feature: for client users they do not exist (404), as on the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from partnerdesk.accounts.api_auth import STAFF
from partnerdesk.core.api import Id, Page, PageParams, Problem, Strict, paginate, require_staff
from partnerdesk.core.errors import DomainError, FieldError
from partnerdesk.core.tenancy import get_object_for_user_or_404

from .. import importing, tasks
from ..models import ImportJob

router = Router(tags=["imports"])

ImportType = Literal["company", "contact", "deal"]
ImportStatusName = Literal["invalid", "ready", "queued", "running", "done", "failed"]
ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


class ImportColumnOut(Schema):
    index: int = Field(description="The column's position in the file, from 0")
    column: str = Field(description="The column's header")
    kind: Literal["field", "property", "ignored"]
    target: str = Field(
        description="The field or property the column fills; for an ignored column, why "
        "(unknown, duplicate, empty)"
    )
    label: str = Field(description="What the column fills, in the reader's language")
    secret: bool = False


class ImportRowErrorOut(Schema):
    line: int | None = Field(description="The file's line (1 is the header); None: the file")
    column: str | None
    message: str
    code: str


class ImportPlanOut(Schema):
    create: int = 0
    update: int = 0
    unchanged: int = 0


class ImportPreviewRowOut(Schema):
    line: int
    action: Literal["create", "update", "unchanged", "error"]
    cells: list[str]


class ImportPreviewOut(Schema):
    headers: list[str] = []
    rows: list[ImportPreviewRowOut] = []


class ImportResultOut(Schema):
    created: int
    updated: int
    unchanged: int


class ImportJobSummary(Schema):
    id: int
    filename: str
    object_type: str
    status: ImportStatusName
    total_rows: int
    processed_rows: int
    progress_percent: int
    error_count: int
    created_by_id: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    result: ImportResultOut | None = Field(description="The records written, once done")


class ImportJobOut(ImportJobSummary):
    encoding: str
    columns: list[ImportColumnOut]
    unmapped_columns: list[str]
    plan: ImportPlanOut = Field(description="What confirming would do, row by row")
    preview: ImportPreviewOut = Field(description="The first rows, as they will be imported")
    bad_rows: int
    errors: list[ImportRowErrorOut] = Field(
        description="Every problem (at most 1,000 listed; error_count counts them all). "
        "A job with errors imports nothing: fix the file and upload it again."
    )
    errors_truncated: bool


class ImportJobPage(Page):
    items: list[ImportJobSummary]


class ImportUploadIn(Strict):
    object_type: ImportType | None = Field(
        None, description="The records the file holds; omitted: detected from the columns"
    )


class ImportFilters(Schema):
    status: ImportStatusName | None = None
    object_type: ImportType | None = None


def _summary(job: ImportJob, user=None) -> dict:
    mapping = job.mapping or {}
    done = job.status == "done"
    return {
        "id": job.pk,
        "filename": job.filename,
        "object_type": job.object_type,
        "status": job.status,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "progress_percent": job.progress_percent,
        "error_count": mapping.get("error_count", len(job.errors)),
        "created_by_id": job.created_by_id,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "result": {
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
        }
        if done
        else None,
    }


def _job_out(job: ImportJob) -> dict:
    mapping = job.mapping or {}
    summary = _summary(job)
    labels = importing.mapping_rows(job)  # the page's column table, labels translated
    columns = [
        {
            "index": column.get("index", n),
            "column": column.get("column", ""),
            "kind": column.get("kind", "ignored"),
            "target": column.get("target", ""),
            "label": str(row["label"]),
            "secret": bool(row["secret"]),
        }
        for n, (column, row) in enumerate(zip(mapping.get("columns", []), labels, strict=True))
    ]
    return {
        **summary,
        "encoding": mapping.get("encoding", ""),
        "columns": columns,
        "unmapped_columns": job.unmapped_columns,
        "plan": mapping.get("plan", {}),
        "preview": mapping.get("preview", {}),
        "bad_rows": mapping.get("bad_rows", 0),
        "errors": job.errors,
        "errors_truncated": summary["error_count"] > len(job.errors),
    }


def _refuse_unknown_parts(request) -> None:
    """A multipart body is taken as written too (see ``Strict``): a part the operation does not
    know (a misspelt ``object_type``, a mapping the import does not take) is named, not ignored."""
    known = {"file", *ImportUploadIn.model_fields}
    unknown = sorted((set(request.POST) | set(request.FILES)) - known)
    if unknown:
        raise DomainError(
            code="invalid_input",
            message=(
                f"Unknown form fields: {', '.join(unknown)}. Send only {', '.join(sorted(known))}."
            ),
            field=unknown[0],
            errors=[
                FieldError(name, "invalid_input", "This field is not taken here.")
                for name in unknown
            ],
        )


def _job(request, import_id: int) -> ImportJob:
    return get_object_for_user_or_404(
        importing.import_jobs_for(request.auth), request.auth, pk=import_id
    )


@router.get(
    "/imports",
    auth=STAFF,
    response=ImportJobPage,
    summary="Import jobs, newest first",
    operation_id="partnerdesk_crm_api_list_imports",
)
def list_imports(request, filters: Query[ImportFilters], page: Query[PageParams]):
    require_staff(request)
    qs = importing.import_jobs_for(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    return paginate(qs, page, _summary)


@router.post(
    "/imports",
    auth=STAFF,
    response={201: ImportJobOut, **ERRORS},
    summary="Upload a HubSpot CSV export: its mapping, preview and row errors",
    description=(
        "Posted as multipart/form-data with the file in `file`. Every row is checked and "
        "nothing is written: the job is `ready` (confirm it to import) or `invalid` (its "
        "`errors` name each bad row's line and column; nothing can be imported until the "
        "file is fixed and uploaded again). A file that cannot be read at all (empty, too "
        "large, not CSV text, no recognisable columns) is a 422 problem on `file` or "
        "`object_type`, and no job is recorded."
    ),
    operation_id="partnerdesk_crm_api_create_import",
)
def create_import(request, file: File[UploadedFile], meta: Form[ImportUploadIn]):
    require_staff(request)
    _refuse_unknown_parts(request)
    job = importing.import_create(
        by=request.auth, uploaded_file=file, object_type=meta.object_type or ""
    )
    return Status(201, _job_out(job))


@router.get(
    "/imports/{import_id}",
    auth=STAFF,
    response={200: ImportJobOut, 404: Problem},
    summary="An import job: mapping, preview, errors, progress and result",
    operation_id="partnerdesk_crm_api_get_import",
)
def get_import(request, import_id: int = Id):
    require_staff(request)
    return _job_out(_job(request, import_id))


@router.post(
    "/imports/{import_id}/confirm",
    auth=STAFF,
    response={202: ImportJobOut, **ERRORS},
    summary="Import a ready job's rows (in the background, all or nothing)",
    description=(
        "The job is queued and runs in a worker: read it for its progress and result. The "
        "rows are checked again first; if any fails now, nothing is written and the job "
        "becomes `invalid` with its errors. Confirming a queued, running or done job again "
        "changes nothing; a job with errors is a 409."
    ),
    operation_id="partnerdesk_crm_api_confirm_import",
)
def confirm_import(request, import_id: int = Id):
    require_staff(request)
    job = importing.import_confirm(
        job=_job(request, import_id), by=request.auth, enqueue=tasks.run_import.enqueue
    )
    return Status(202, _job_out(job))
