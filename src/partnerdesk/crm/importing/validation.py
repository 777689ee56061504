"""Checking every row of a file against the CRM's rules, writing nothing: each row becomes a
plan (create, update, unchanged) or a list of errors that name its line and column."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import REDACTED
from partnerdesk.core.records import set_fields

from .. import properties as props
from ..models import Deal, Lifecycle, ObjectType, Pipeline, PropertyType, Stage
from ..services import clean_company_fields, clean_contact_fields, clean_deal_fields
from .cells import (
    CellError,
    parse_amount,
    parse_country,
    parse_date,
    parse_lifecycle,
    parse_record_id,
    parse_timezone,
    preview_text,
    property_value,
)
from .context import Context
from .files import CsvFile, FileError, file_error, read_csv
from .mapping import (
    IMPORT_TYPES,
    TYPE_LABELS,
    Column,
    detect_object_type,
    map_columns,
    missing_columns,
)

BATCH_SIZE = 200
MAX_STORED_ERRORS = 1000
PREVIEW_ROWS = 10


@dataclass
class RowPlan:
    line: int
    record_id: str
    existing: object | None
    fields: dict = field(default_factory=dict)
    properties: dict = field(default_factory=dict)
    pipeline: Pipeline | None = None
    stage: Stage | None = None  # deals: the stage to create in / move to (None: keep / default)
    changes: list = field(default_factory=list)
    moves_stage: bool = False
    cells: list[str] = field(default_factory=list)  # preview, as it will be imported
    has_errors: bool = False

    @property
    def action(self) -> str:
        if self.has_errors:
            return "error"
        if self.existing is None:
            return "create"
        return "update" if (self.changes or self.moves_stage) else "unchanged"


@dataclass
class Prepared:
    object_type: str
    csv_file: CsvFile | None
    columns: list[Column]
    plans: list[RowPlan] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    bad_rows: int = 0
    total_rows: int = 0

    def add_error(
        self, line: int | None, column: str | None, message: str, code: str = "invalid"
    ) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(
                {"line": line, "column": column, "message": str(message), "code": code}
            )

    @property
    def is_valid(self) -> bool:
        return self.error_count == 0

    def plan_counts(self) -> dict:
        counts = {"create": 0, "update": 0, "unchanged": 0}
        for plan in self.plans:
            if plan.action in counts:
                counts[plan.action] += 1
        return counts

    def mapping(self) -> dict:
        mapped = [c for c in self.columns if c.kind != "ignored"]
        preview = [
            {"line": p.line, "action": p.action, "cells": p.cells}
            for p in self.plans[:PREVIEW_ROWS]
        ]
        return {
            "object_type": self.object_type,
            "encoding": self.csv_file.encoding if self.csv_file else "",
            "delimiter": self.csv_file.delimiter if self.csv_file else "",
            "columns": [c.as_dict() for c in self.columns],
            "preview": {"headers": [c.header for c in mapped], "rows": preview},
            "plan": self.plan_counts(),
            "error_count": self.error_count,
            "bad_rows": self.bad_rows,
        }


FIELD_CLEANERS: dict[str, Callable[[dict], dict]] = {
    ObjectType.COMPANY: clean_company_fields,
    ObjectType.CONTACT: clean_contact_fields,
    ObjectType.DEAL: clean_deal_fields,
}


def _convert(ctx: Context, target: str, raw: str):
    match target:
        case "country":
            return parse_country(raw)
        case "timezone":
            return parse_timezone(raw)
        case "lifecycle":
            return parse_lifecycle(raw)
        case "owner":
            return ctx.owner(raw)
        case "company":
            return ctx.company(raw)
        case "amount":
            return parse_amount(raw)
        case "close_date":
            return parse_date(raw)
        case _:
            return raw


def check_row(ctx: Context, prepared: Prepared, line: int, cells: list[str]) -> RowPlan:
    """Validate one row; add its errors to ``prepared``; return its plan."""
    errors: list[tuple[str | None, str]] = []
    headers = prepared.csv_file.headers if prepared.csv_file else []

    def error(column: str | None, message: str) -> None:
        errors.append((column, str(message)))

    if len(cells) > len(headers):
        extra = cells[len(headers) :]
        if any(c.strip() for c in extra):
            error(
                None,
                _(
                    "The row has %(n)d values but the header has %(m)d columns; check the "
                    "quoting of this line."
                )
                % {"n": len(cells), "m": len(headers)},
            )

    rid_header = ctx.header("record_id")
    record_id, rid_ok = "", True
    try:
        record_id = parse_record_id(ctx.cell(cells, "record_id"))
    except CellError as exc:
        error(rid_header, str(exc))
        rid_ok = False
    if not record_id and rid_ok:
        error(
            rid_header,
            _(
                "The Record ID is empty. Every row needs HubSpot's Record ID, so that "
                "importing the file again updates records instead of duplicating them."
            ),
        )
    elif record_id in ctx.seen_ids:
        error(
            rid_header,
            _("The Record ID %(id)s is also on line %(line)d; each record may appear only once.")
            % {"id": record_id, "line": ctx.seen_ids[record_id]},
        )
    elif record_id:
        ctx.seen_ids[record_id] = line
    existing = ctx.existing.get(record_id) if record_id else None
    plan = RowPlan(line=line, record_id=record_id, existing=existing)

    # Model fields: convert, then the services' own rules, one field at a time so that every
    # bad cell of the row is reported.
    cleaner = FIELD_CLEANERS[ctx.object_type]
    for target in ctx.field_columns:
        if target in ("record_id", "pipeline", "stage"):
            continue
        raw = ctx.cell(cells, target)
        if not raw:
            continue
        try:
            value = _convert(ctx, target, raw)
            plan.fields.update(cleaner({target: value}))
        except CellError as exc:
            error(ctx.header(target), str(exc))
        except DomainError as exc:
            error(ctx.header(target), exc.message)

    if existing is None:
        if ctx.object_type == ObjectType.CONTACT:
            keys = ("first_name", "last_name", "email")
            if not any(ctx.cell(cells, k) for k in keys):
                column = next((ctx.header(k) for k in keys if ctx.header(k)), None)
                error(
                    column, _("A new contact needs a first name, a last name or an email address.")
                )
        elif not ctx.cell(cells, "name"):
            message = (
                _("A new company needs a name.")
                if ctx.object_type == ObjectType.COMPANY
                else _("A new deal needs a name.")
            )
            error(ctx.header("name"), message)

    # Custom properties.
    for column in ctx.property_columns:
        raw = cells[column.index].strip() if column.index < len(cells) else ""
        if not raw:
            continue
        try:
            plan.properties[column.target] = property_value(column.definition, raw)
        except DomainError as exc:
            error(column.header, exc.message)

    if ctx.object_type == ObjectType.DEAL:
        _check_deal_stage(ctx, plan, cells, error)

    # Model-level rules (lengths, email format, decimal places) on the record as it will be.
    projected = _project(ctx, plan)
    exclude = [f.name for f in ctx.model._meta.concrete_fields if f.name not in plan.fields]
    exclude += ["owner", "company", "pipeline", "stage"]  # resolved objects, already checked
    try:
        projected.clean_fields(exclude=exclude)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                error(ctx.header(name), message)
    if existing is not None and not errors:
        plan.changes = _diff(ctx, existing, plan)
    if ctx.object_type == ObjectType.DEAL and not errors:
        _check_required(ctx, plan, projected, error)

    if errors:
        plan.has_errors = True
        prepared.bad_rows += 1
        for column, message in errors:
            prepared.add_error(line, column, message)
    if len(prepared.plans) < PREVIEW_ROWS:
        plan.cells = _preview_cells(ctx, plan, cells)
    return plan


def _check_deal_stage(ctx: Context, plan: RowPlan, cells: list[str], error) -> None:
    existing: Deal | None = plan.existing
    pipeline_raw, stage_raw = ctx.cell(cells, "pipeline"), ctx.cell(cells, "stage")
    pipeline = stage = None
    try:
        if pipeline_raw:
            pipeline = ctx.find_pipeline(pipeline_raw)
    except CellError as exc:
        error(ctx.header("pipeline"), str(exc))
        return
    try:
        if stage_raw:
            lookup_in = pipeline or (existing.pipeline if existing else None)
            stage = ctx.find_stage(stage_raw, lookup_in)
    except CellError as exc:
        error(ctx.header("stage"), str(exc))
        return
    if existing is None:
        if stage is None:
            if pipeline is None:
                active = [p for p in ctx.pipelines if not p.archived]
                if len(active) != 1:
                    error(
                        ctx.header("pipeline") or ctx.header("stage"),
                        _(
                            "A new deal needs a Pipeline (or a Deal Stage that only one "
                            "pipeline has)."
                        ),
                    )
                    return
                pipeline = active[0]
            stages = ctx.stages_by_pipeline.get(pipeline.pk, [])
            if not stages:
                error(
                    ctx.header("pipeline"),
                    _("The pipeline “%(p)s” has no stages.") % {"p": pipeline.name},
                )
                return
            stage = stages[0]
        plan.pipeline = pipeline or next(p for p in ctx.pipelines if p.pk == stage.pipeline_id)
        plan.stage = stage
        return
    if stage is None and pipeline is not None and pipeline.pk != existing.pipeline_id:
        error(
            ctx.header("stage") or ctx.header("pipeline"),
            _("To move the deal to the pipeline “%(p)s”, give its Deal Stage too.")
            % {"p": pipeline.name},
        )
        return
    if stage is not None and stage.pk != existing.stage_id:
        plan.stage = stage
        plan.pipeline = next(p for p in ctx.pipelines if p.pk == stage.pipeline_id)
        plan.moves_stage = True


def _project(ctx: Context, plan: RowPlan):
    """The record as it will be after this row (unsaved; never written)."""
    if plan.existing is not None:
        record = copy.copy(plan.existing)
        record.properties = dict(plan.existing.properties)
        record.secrets = dict(plan.existing.secrets)
        for name, value in plan.fields.items():
            setattr(record, name, value)
    else:
        record = ctx.model(**plan.fields)
        record.properties, record.secrets = {}, {}
    for name, value in plan.properties.items():
        defn = ctx.definitions.get(name)
        if defn is not None and defn.type == PropertyType.SECRET:
            record.secrets[name] = "set"
        else:
            record.properties[name] = value
    return record


def _diff(ctx: Context, existing, plan: RowPlan) -> list[dict]:
    """The changes this row makes to an existing record (empty: unchanged)."""
    probe = copy.copy(existing)
    probe.properties = dict(existing.properties)
    probe.secrets = dict(existing.secrets)
    changes = set_fields(probe, plan.fields, ctx.labels)
    with contextlib.suppress(DomainError):  # bad values are already reported cell by cell
        changes += props.apply_properties(
            probe, plan.properties, definitions_by_name=ctx.definitions
        )
    return changes


def _check_required(ctx: Context, plan: RowPlan, projected, error) -> None:
    """A deal entering a stage must have what the stage requires.

    The same rule as crm.properties.ensure_can_enter, evaluated on the row's values merged into
    the existing deal (line items and contacts cannot come from a CSV file).
    """
    if plan.stage is None or (plan.existing is not None and not plan.moves_stage):
        return
    stage = plan.stage
    existing_pk = plan.existing.pk if plan.existing is not None else None
    for defn in stage.required_properties.all():
        if defn.archived:
            continue
        if defn.is_builtin and defn.type == PropertyType.ASSOCIATION:
            if defn.name == "company":
                ok = projected.company_id is not None
            elif defn.name == "line_items":
                ok = existing_pk in ctx.deals_with_line_items
            elif defn.name == "contacts":
                ok = existing_pk in ctx.deals_with_contacts
            else:
                ok = False
            if not ok and defn.name in ("line_items", "contacts"):
                error(
                    ctx.header("stage"),
                    _(
                        "The stage “%(stage)s” requires %(label)s, and %(label)s cannot be "
                        "imported from a CSV file. Import this deal in an earlier stage, add its "
                        "%(label)s in "
                        "Partnerdesk, then move it to “%(stage)s”."
                    )
                    % {"stage": stage.name, "label": defn.label.lower()},
                )
                continue
        else:
            ok = props.has_value(projected, defn)
        if not ok:
            column = (
                ctx.header(defn.name)
                if defn.is_builtin
                else next((c.header for c in ctx.property_columns if c.target == defn.name), None)
            )
            if column:
                error(
                    column,
                    _("%(label)s is required to enter the stage “%(stage)s”; fill in this column.")
                    % {"label": defn.label, "stage": stage.name},
                )
            else:
                error(
                    ctx.header("stage"),
                    _(
                        "%(label)s is required to enter the stage “%(stage)s”; "
                        "add a “%(label)s” column to the file."
                    )
                    % {"label": defn.label, "stage": stage.name},
                )


def _preview_cells(ctx: Context, plan: RowPlan, cells: list[str]) -> list[str]:
    out = []
    for column in ctx.columns:
        if column.kind == "ignored":
            continue
        raw = cells[column.index].strip() if column.index < len(cells) else ""
        if column.kind == "property":
            defn = column.definition
            if defn.type == PropertyType.SECRET:
                out.append(REDACTED if raw else "")
            elif column.target not in plan.properties:
                out.append(raw if plan.has_errors else "")
            else:
                out.append(props.display_value(defn, plan.properties[column.target]))
            continue
        target = column.target
        if target == "record_id":
            out.append(plan.record_id)
        elif target == "pipeline":
            out.append(plan.pipeline.name if plan.pipeline else raw)
        elif target == "stage":
            out.append(plan.stage.name if plan.stage else raw)
        elif target == "lifecycle" and target in plan.fields:
            out.append(str(Lifecycle(plan.fields[target]).label))
        elif target in plan.fields:
            out.append(preview_text(plan.fields[target]))
        else:
            out.append(raw if plan.has_errors else "")
    return out


# ---------------------------------------------------------------- preparing a whole file


def prepare(
    data: bytes,
    *,
    object_type: str = "",
    progress: Callable[[int], None] | None = None,
) -> Prepared:
    """Read, map and validate ``data``; write nothing.

    Raises DomainError when the file cannot be read at all; otherwise returns a Prepared whose
    ``errors`` list every problem (file-level ones with ``line`` None).
    """
    csv_file = read_csv(data)
    detected = detect_object_type(csv_file.headers)
    if not object_type:
        if detected is None:
            raise DomainError(
                code="import_unknown_type",
                message=_(
                    "Partnerdesk could not tell whether the file holds companies, contacts or "
                    "deals: it has none of the columns “Company name”, “First Name”, “Last "
                    "Name”, “Email” or “Deal Name”. Choose the type of records, or check "
                    "that this is a HubSpot export."
                ),
                field="object_type",
            )
        object_type = detected
    object_type = str(object_type)
    if object_type not in IMPORT_TYPES:
        raise DomainError(
            code="invalid_choice",
            message=_("Choose companies, contacts or deals."),
            field="object_type",
        )
    definitions = list(props.definitions(object_type))
    columns = map_columns(object_type, csv_file.headers, definitions)
    prepared = Prepared(object_type=object_type, csv_file=csv_file, columns=columns)

    missing = missing_columns(object_type, columns)
    if missing:
        hint = ""
        if detected and detected != object_type:
            hint = " " + _("The file looks like an export of %(type)s.") % {
                "type": TYPE_LABELS[detected]
            }
        for name in missing:
            prepared.add_error(
                csv_file.header_line,
                None,
                _("The file has no “%(column)s” column, which an import of %(type)s needs.")
                % {"column": name, "type": TYPE_LABELS[object_type]}
                + hint,
                code="import_missing_columns",
            )
        return prepared

    ctx = Context(object_type, columns)
    batch: list[tuple[int, list[str]]] = []

    def flush() -> None:
        ctx.load_batch(batch)
        for line, cells in batch:
            prepared.plans.append(check_row(ctx, prepared, line, cells))
        prepared.total_rows += len(batch)
        batch.clear()
        if progress is not None:
            progress(prepared.total_rows)

    try:
        for line, cells in csv_file.rows():
            batch.append((line, cells))
            if len(batch) >= BATCH_SIZE:
                flush()
        if batch:
            flush()
    except FileError as exc:
        prepared.add_error(exc.line, None, exc.message, code=exc.code)
        return prepared
    if prepared.total_rows == 0:
        raise file_error("import_no_rows", _("The file has a header row but no records."))
    return prepared
