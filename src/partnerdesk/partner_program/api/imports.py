"""API: CSV import of HubSpot accounts with their subscriptions, or of qualifying activities —
the same preview → confirm as the import page (``partner_program.importing``): every row is
checked and nothing written, then a confirmed file is written all or nothing."""

from __future__ import annotations

from typing import Literal

from ninja import Field, File, Form, Path, Router, Schema, UploadedFile

from partnerdesk.accounts.api_auth import MANAGER
from partnerdesk.core.api import Strict
from partnerdesk.core.errors import DomainError, FieldError

from .. import importing
from .common import ERRORS

router = Router(tags=["partner program: import"])

Token = Path(..., pattern=r"^(accounts|activities)-[0-9a-f]{32}$")


class PartnerImportRow(Schema):
    line: int
    action: Literal["create", "update", "unchanged", "error"]
    text: str


class PartnerImportError(Schema):
    line: int | None = Field(description="The file's line (1 is the header); null: the file")
    column: str | None
    message: str
    code: str


class PartnerImportCounts(Schema):
    create: int
    update: int
    unchanged: int


class PartnerImportOut(Schema):
    kind: Literal["accounts", "activities"]
    token: str | None = Field(description="Confirm with it (null when the file has errors)")
    columns: dict[str, str] = Field(description="Each field and the column it is read from")
    ignored: list[str] = Field(description="Columns not used")
    total_rows: int
    counts: PartnerImportCounts = Field(description="What the import does (or did)")
    rows: list[PartnerImportRow] = Field(description="The first 50 rows")
    valid: bool
    error_count: int
    errors: list[PartnerImportError] = Field(description="At most 1,000, with their lines")
    committed: bool = Field(description="True once the rows are written")


class PartnerImportIn(Strict):
    kind: Literal["accounts", "activities"] = Field(description="What the file holds")


def _out(outcome: importing.Outcome) -> dict:
    return {
        "kind": outcome.kind,
        "token": outcome.token,
        "columns": outcome.columns,
        "ignored": outcome.ignored,
        "total_rows": outcome.total_rows,
        "counts": outcome.counts,
        "rows": outcome.rows,
        "valid": outcome.is_valid,
        "error_count": outcome.error_count,
        "errors": outcome.errors,
        "committed": outcome.committed,
    }


def _refuse_unknown_parts(request) -> None:
    known = {"file", "kind"}
    unknown = sorted((set(request.POST) | set(request.FILES)) - known)
    if unknown:
        raise DomainError(
            code="invalid_input",
            message=f"Unknown form fields: {', '.join(unknown)}. Send only file and kind.",
            field=unknown[0],
            errors=[
                FieldError(n, "invalid_input", "This field is not taken here.") for n in unknown
            ],
        )


@router.post(
    "/partner/imports",
    auth=MANAGER,
    response={200: PartnerImportOut, **ERRORS},
    summary="Check a CSV file of accounts and subscriptions, or of activities",
    description=(
        "Posted as multipart/form-data (`file`, `kind`). Every row is run through the same "
        "rules as a confirmed import and nothing is written: the answer says what the import "
        "does and names every bad row's line and column. A file without errors gets a "
        "`token`: confirm it with POST /partner/imports/{token}/confirm."
    ),
)
def preview_import(request, file: File[UploadedFile], meta: Form[PartnerImportIn]):
    _refuse_unknown_parts(request)
    outcome = importing.import_preview(by=request.auth, kind=meta.kind, uploaded_file=file)
    return _out(outcome)


@router.post(
    "/partner/imports/{token}/confirm",
    auth=MANAGER,
    response={200: PartnerImportOut, **ERRORS},
    summary="Import a checked file: every row, or nothing",
    description=(
        "The rows are checked again (the data may have changed): if any fails now, nothing "
        "is written and the answer is a 422 problem listing each line. A token is confirmed "
        "once; an unknown one (or another user's) is a 404."
    ),
)
def confirm_import(request, token: str = Token):
    outcome = importing.import_confirm(by=request.auth, token=token)
    if not outcome.committed:
        raise DomainError(
            code="import_invalid",
            message=f"Nothing was imported: {outcome.error_count} problems. Fix the file and upload it again.",
            errors=[
                FieldError(
                    e["column"],
                    e["code"],
                    f"Line {e['line']}: {e['message']}" if e["line"] else e["message"],
                )
                for e in outcome.errors
            ],
        )
    return _out(outcome)
