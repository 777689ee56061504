"""HubSpot CSV import: parse, map, validate every row, then upsert by Record ID.

The flow, one service per step:

``import_create`` (upload, synchronous)
    Reads the file, maps its columns and validates every row. The job is READY (the file is
    kept for the run) or INVALID (every bad row listed; the file is not kept). Problems that
    stop us from reading the file at all (empty, too large, not text, no recognisable
    columns) raise a DomainError for the upload form instead.
``import_confirm``
    READY -> QUEUED; the ``run_import`` task is enqueued after commit.
``import_run`` (the task)
    QUEUED -> RUNNING, claimed under ``select_for_update`` so a retried or duplicated task is a
    no-op. Phase 1 re-validates the file (data may have changed since the preview) in batches
    of ``BATCH_SIZE`` rows, outside any transaction, writing ``processed_rows`` after each
    batch: that is the progress users see. Phase 2 writes every row in ONE transaction
    (all-or-nothing) and marks the job DONE in that same transaction. A transaction's own
    writes are invisible to other connections until commit (and on SQLite a second writer
    would wait on the first), so progress is reported from the prepare phase; during the
    short write phase the page says "Saving…".

Rows are matched by HubSpot Record ID (``hubspot_record_id``). New records are created through
the CRM services (their ``*.created`` events feed automations) plus a ``record.imported``
timeline event; an existing record is only written when a value actually changes, with one
``record.import_updated`` event listing the changes; a deal whose stage changes is moved with
``deal_move`` (which enforces the stage's requirements and records the stage change).
Empty cells never clear existing values (as in HubSpot's own import).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import logging
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.accounts.models import User
from partnerdesk.core.errors import DomainError, conflict
from partnerdesk.core.events import REDACTED, record_event
from partnerdesk.core.permissions import require_staff
from partnerdesk.core.records import field_labels, set_fields

from . import properties as props
from . import services
from .models import (
    Company,
    Contact,
    Deal,
    ImportJob,
    ImportStatus,
    Lifecycle,
    LineItem,
    ObjectType,
    Pipeline,
    PropertyDefinition,
    PropertyType,
    Stage,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_STORED_ERRORS = 1000
PREVIEW_ROWS = 10
IMPORT_TYPES = (ObjectType.COMPANY, ObjectType.CONTACT, ObjectType.DEAL)
MODELS = {ObjectType.COMPANY: Company, ObjectType.CONTACT: Contact, ObjectType.DEAL: Deal}
# What a diff of each record reads (so comparing owners and companies costs no query).
RELATED = {
    Company: ("owner",),
    Contact: ("owner", "company"),
    Deal: ("owner", "company", "stage", "pipeline"),
}

# ---------------------------------------------------------------- column mapping

# target -> HubSpot export headers (compared after _norm_header), per record type.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    ObjectType.COMPANY: {
        "record_id": ("record id", "company id", "record id - company"),
        "name": ("company name", "name"),
        "domain": ("company domain name", "domain", "primary domain"),
        "country": ("country/region", "country"),
        "timezone": ("time zone", "timezone"),
        "owner": ("company owner", "owner"),
        "lifecycle": ("lifecycle stage", "lifecycle"),
        "hub_id": ("hubspot portal id", "hub id", "portal id", "hubspot hub id"),
    },
    ObjectType.CONTACT: {
        "record_id": ("record id", "contact id", "record id - contact"),
        "first_name": ("first name",),
        "last_name": ("last name",),
        "email": ("email", "email address"),
        "phone": ("phone number", "phone"),
        "job_title": ("job title",),
        "company": ("associated company", "associated company ids", "associated company id"),
        "owner": ("contact owner", "owner"),
    },
    ObjectType.DEAL: {
        "record_id": ("record id", "deal id", "record id - deal"),
        "name": ("deal name",),
        "pipeline": ("pipeline",),
        "stage": ("deal stage", "stage"),
        "amount": ("amount",),
        "currency": ("currency", "deal currency code"),
        "close_date": ("close date",),
        "owner": ("deal owner", "owner"),
        "company": ("associated company", "associated company ids", "associated company id"),
    },
}

FIELD_LABELS = {
    "record_id": gettext_lazy("HubSpot Record ID"),
    "name": gettext_lazy("Name"),
    "domain": gettext_lazy("Primary domain"),
    "country": gettext_lazy("Country"),
    "timezone": gettext_lazy("Time zone"),
    "owner": gettext_lazy("Owner"),
    "lifecycle": gettext_lazy("Lifecycle"),
    "hub_id": gettext_lazy("HubSpot hub id"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "job_title": gettext_lazy("Job title"),
    "company": gettext_lazy("Company"),
    "pipeline": gettext_lazy("Pipeline"),
    "stage": gettext_lazy("Stage"),
    "amount": gettext_lazy("Amount"),
    "currency": gettext_lazy("Currency"),
    "close_date": gettext_lazy("Close date"),
}
IGNORED_REASONS = {
    "unknown": gettext_lazy("Ignored: no field or property with this name"),
    "duplicate": gettext_lazy("Ignored: another column already fills this field"),
    "empty": gettext_lazy("Ignored: the column has no name"),
}
TYPE_LABELS = {
    ObjectType.COMPANY: gettext_lazy("companies"),
    ObjectType.CONTACT: gettext_lazy("contacts"),
    ObjectType.DEAL: gettext_lazy("deals"),
}
# The headers that name each record type's required columns, for messages.
REQUIRED_HEADERS = {
    ObjectType.COMPANY: ("Company name",),
    ObjectType.CONTACT: ("First Name", "Last Name", "Email"),
    ObjectType.DEAL: ("Deal Name",),
}

LIFECYCLE_MAP = {
    "subscriber": Lifecycle.PROSPECT,
    "lead": Lifecycle.PROSPECT,
    "marketingqualifiedlead": Lifecycle.PROSPECT,
    "salesqualifiedlead": Lifecycle.PROSPECT,
    "opportunity": Lifecycle.PROSPECT,
    "prospect": Lifecycle.PROSPECT,
    # HubSpot's catch-all: not a paying client, so the non-committal state.
    "other": Lifecycle.PROSPECT,
    "customer": Lifecycle.CLIENT,
    "evangelist": Lifecycle.CLIENT,
    "client": Lifecycle.CLIENT,
    "former": Lifecycle.FORMER,
    "formercustomer": Lifecycle.FORMER,
    "formerclient": Lifecycle.FORMER,
    "churned": Lifecycle.FORMER,
}

# Common country names (English, plus Italian and Arabic for the agency's markets) -> ISO code.
# Two-letter codes are accepted as they are.
COUNTRY_NAMES = {
    "afghanistan": "AF",
    "albania": "AL",
    "algeria": "DZ",
    "argentina": "AR",
    "armenia": "AM",
    "australia": "AU",
    "austria": "AT",
    "bahrain": "BH",
    "bangladesh": "BD",
    "belgium": "BE",
    "bolivia": "BO",
    "bosnia and herzegovina": "BA",
    "brazil": "BR",
    "bulgaria": "BG",
    "canada": "CA",
    "chile": "CL",
    "china": "CN",
    "colombia": "CO",
    "croatia": "HR",
    "cyprus": "CY",
    "czech republic": "CZ",
    "czechia": "CZ",
    "denmark": "DK",
    "ecuador": "EC",
    "egypt": "EG",
    "estonia": "EE",
    "ethiopia": "ET",
    "finland": "FI",
    "france": "FR",
    "georgia": "GE",
    "germany": "DE",
    "ghana": "GH",
    "greece": "GR",
    "hong kong": "HK",
    "hungary": "HU",
    "iceland": "IS",
    "india": "IN",
    "indonesia": "ID",
    "iran": "IR",
    "iraq": "IQ",
    "ireland": "IE",
    "israel": "IL",
    "italy": "IT",
    "japan": "JP",
    "jordan": "JO",
    "kazakhstan": "KZ",
    "kenya": "KE",
    "kuwait": "KW",
    "latvia": "LV",
    "lebanon": "LB",
    "libya": "LY",
    "lithuania": "LT",
    "luxembourg": "LU",
    "malaysia": "MY",
    "malta": "MT",
    "mexico": "MX",
    "monaco": "MC",
    "morocco": "MA",
    "netherlands": "NL",
    "the netherlands": "NL",
    "new zealand": "NZ",
    "nigeria": "NG",
    "norway": "NO",
    "oman": "OM",
    "pakistan": "PK",
    "palestine": "PS",
    "peru": "PE",
    "philippines": "PH",
    "poland": "PL",
    "portugal": "PT",
    "qatar": "QA",
    "romania": "RO",
    "russia": "RU",
    "san marino": "SM",
    "saudi arabia": "SA",
    "serbia": "RS",
    "singapore": "SG",
    "slovakia": "SK",
    "slovenia": "SI",
    "south africa": "ZA",
    "south korea": "KR",
    "korea": "KR",
    "spain": "ES",
    "sudan": "SD",
    "sweden": "SE",
    "switzerland": "CH",
    "syria": "SY",
    "taiwan": "TW",
    "thailand": "TH",
    "tunisia": "TN",
    "turkey": "TR",
    "turkiye": "TR",
    "türkiye": "TR",
    "ukraine": "UA",
    "united arab emirates": "AE",
    "uae": "AE",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "america": "US",
    "vatican city": "VA",
    "venezuela": "VE",
    "vietnam": "VN",
    "yemen": "YE",
    # Italian
    "italia": "IT",
    "egitto": "EG",
    "francia": "FR",
    "germania": "DE",
    "spagna": "ES",
    "svizzera": "CH",
    "regno unito": "GB",
    "stati uniti": "US",
    "emirati arabi uniti": "AE",
    "arabia saudita": "SA",
    # Arabic
    "مصر": "EG",
    "السعودية": "SA",
    "المملكة العربية السعودية": "SA",
    "الإمارات": "AE",
    "الإمارات العربية المتحدة": "AE",
    "قطر": "QA",
    "الكويت": "KW",
    "الأردن": "JO",
    "المغرب": "MA",
    "تونس": "TN",
    "الجزائر": "DZ",
    "لبنان": "LB",
    "إيطاليا": "IT",
}


def _norm_header(text: str) -> str:
    text = text.replace("\ufeff", "").replace("\u200b", "").strip().strip('"').strip()
    return " ".join(text.split()).lower()


def _norm_name(text: str) -> str:
    """For matching stage and pipeline names: "Closed Won" == "closedwon" == "closed_won"."""
    return re.sub(r"[\W_]+", "", text.lower())


# ---------------------------------------------------------------- data shapes


@dataclass
class Column:
    index: int
    header: str
    kind: str  # "field" | "property" | "ignored"
    target: str  # a field key, a property name, or (ignored) a reason in IGNORED_REASONS
    definition: PropertyDefinition | None = None

    def as_dict(self) -> dict:
        data = {
            "index": self.index,
            "column": self.header,
            "kind": self.kind,
            "target": self.target,
        }
        if self.definition is not None:
            data["label"] = self.definition.label
            data["secret"] = self.definition.type == PropertyType.SECRET
        return data


@dataclass
class CsvFile:
    text: str
    encoding: str
    delimiter: str
    headers: list[str]
    header_line: int

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(physical line where the row starts, cells) for every non-blank row after the header."""
        for line, cells in _records(self.text, self.delimiter):
            if line > self.header_line:
                yield line, cells


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank CSV record with the physical line it starts on (a quoted value may span
    several lines). An Excel ``sep=`` hint line is skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _FileError(
                "import_bad_csv",
                _(
                    "The CSV structure is broken near line %(line)d (%(detail)s). Check for a "
                    "quote that is opened but never closed."
                )
                % {"line": reader.line_num, "detail": exc},
                line=reader.line_num,
            ) from None
        start, previous = previous + 1, reader.line_num
        if start == 1 and re.fullmatch(r"sep=.", delimiter.join(cells).strip()):
            continue
        if any(cell.strip() for cell in cells):
            yield start, cells


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


class _FileError(Exception):
    def __init__(self, code: str, message: str, line: int | None = None):
        super().__init__(message)
        self.code, self.message, self.line = code, message, line


class _CellError(Exception):
    pass


# ---------------------------------------------------------------- reading the file


def _file_error(code: str, message: str) -> DomainError:
    return DomainError(code=code, message=message, field="file")


def decode_csv(data: bytes) -> tuple[str, str]:
    """Return (text, encoding): UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252."""
    head = data[:8192]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error(
            "import_not_csv",
            _(
                "This is a spreadsheet workbook, not a CSV file. In "
                "HubSpot choose CSV as the export format, or save the "
                "sheet as “CSV UTF-8”."
            ),
        )
    if head.startswith(b"%PDF"):
        raise _file_error("import_not_csv", _("This is a PDF, not a CSV file."))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise _file_error(
                "import_encoding", _("The file could not be read as UTF-16 text.")
            ) from None
    if b"\x00" in head:
        raise _file_error(
            "import_not_csv", _("This is not a CSV text file (it contains binary data).")
        )
    encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise _file_error(
            "import_encoding",
            _(
                "The file is not UTF-8 text and could not be read in another common encoding. "
                "Export it again from HubSpot, or save it as “CSV UTF-8”."
            ),
        ) from None


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: comma, semicolon or tab (or an Excel ``sep=`` hint)."""
    for line in io.StringIO(text[:65536]):
        if not line.strip():
            continue
        hint = re.fullmatch(r"sep=(.)", line.strip())
        if hint:
            return hint.group(1)
        counts = {d: line.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
    return ","


def read_csv(data: bytes) -> CsvFile:
    """Decode ``data`` and read its header row. Raises DomainError for unreadable files."""
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise _file_error("import_empty", _("The file is empty."))
    text, encoding = decode_csv(data)
    if "\x00" in text[:8192]:
        raise _file_error(
            "import_not_csv", _("This is not a CSV text file (it contains binary data).")
        )
    if not text.strip():
        raise _file_error("import_empty", _("The file is empty."))
    delimiter = _sniff_delimiter(text)
    try:
        header_line, headers = next(_records(text, delimiter))
    except (StopIteration, _FileError):
        raise _file_error(
            "import_no_header",
            _("The first line of the file is not a CSV header row with column names."),
        ) from None
    headers = [h.replace("\ufeff", "").strip() for h in headers]
    if not any(headers):
        raise _file_error("import_no_header", _("The file has no header row with column names."))
    return CsvFile(
        text=text, encoding=encoding, delimiter=delimiter, headers=headers, header_line=header_line
    )


def detect_object_type(headers: list[str]) -> str | None:
    keys = {_norm_header(h) for h in headers}
    if keys & {"deal name", "deal stage"}:
        return ObjectType.DEAL
    if keys & {"first name", "last name", "email"}:
        return ObjectType.CONTACT
    if keys & {"company name", "company domain name"}:
        return ObjectType.COMPANY
    return None


def map_columns(
    object_type: str, headers: list[str], definitions: list[PropertyDefinition]
) -> list[Column]:
    """Known HubSpot columns first, then custom properties by label or internal name."""
    aliases = {alias: target for target, names in COLUMNS[object_type].items() for alias in names}
    by_label = {}
    for defn in definitions:
        by_label.setdefault(defn.label.strip().lower(), defn)
        by_label.setdefault(defn.name.lower(), defn)
    columns, taken = [], set()
    for index, header in enumerate(headers):
        key = _norm_header(header)
        if not key:
            columns.append(Column(index, header, "ignored", "empty"))
            continue
        if key in aliases:
            kind, target, defn = "field", aliases[key], None
        elif key in by_label:
            defn = by_label[key]
            kind, target = "property", defn.name
        else:
            columns.append(Column(index, header, "ignored", "unknown"))
            continue
        if (kind, target) in taken:
            columns.append(Column(index, header, "ignored", "duplicate"))
            continue
        taken.add((kind, target))
        columns.append(Column(index, header, kind, target, defn))
    return columns


def _missing_columns(object_type: str, columns: list[Column]) -> list[str]:
    targets = {c.target for c in columns if c.kind == "field"}
    missing = []
    if "record_id" not in targets:
        missing.append("Record ID")
    if object_type == ObjectType.CONTACT:
        if not targets & {"first_name", "last_name", "email"}:
            missing.append(" / ".join(REQUIRED_HEADERS[object_type]))
    elif "name" not in targets:
        missing.append(REQUIRED_HEADERS[object_type][0])
    return missing


# ---------------------------------------------------------------- cell converters


@cache
def _timezones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def _country(raw: str) -> str:
    text = raw.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    code = COUNTRY_NAMES.get(" ".join(text.lower().split()))
    if code is None:
        raise _CellError(
            _(
                "“%(value)s” is not a two-letter country code (such as IT or EG) or a "
                "country name Partnerdesk knows; use the ISO code."
            )
            % {"value": raw}
        )
    return code


def _timezone(raw: str) -> str:
    text = re.sub(r"^\(?\s*(GMT|UTC)\s*[+\-\u2212]?\s*\d{0,2}(:\d{2})?\s*\)?\s*", "", raw.strip())
    text = text.replace("_slash_", "/").strip()
    found = _timezones_by_lower().get(text.lower())
    if found is None:
        raise _CellError(
            _("“%(value)s” is not a time zone name such as Europe/Rome.") % {"value": raw}
        )
    return found


def _lifecycle(raw: str) -> str:
    value = LIFECYCLE_MAP.get(_norm_name(raw))
    if value is None:
        raise _CellError(
            _(
                "“%(value)s” is not a lifecycle stage Partnerdesk knows (use a HubSpot stage "
                "such as Lead, Opportunity, Customer or Other, or one of: %(ours)s)."
            )
            % {"value": raw, "ours": ", ".join(str(label) for label in Lifecycle.labels)}
        )
    return value


def _amount(raw: str) -> Decimal:
    text = re.sub(r"[\s\u00a0$€£¥]", "", raw)
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif "," in text:
        text = (
            text.replace(",", "")
            if re.fullmatch(r"-?\d{1,3}(,\d{3})+", text)
            else text.replace(",", ".")
        )
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _CellError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise _CellError(_("“%(value)s” is not a number.") % {"value": raw})
    return value


def _date(raw: str):
    try:
        return props.parse_date(raw.strip())
    except ValueError:
        raise _CellError(
            _("“%(value)s” is not a date; write it as YYYY-MM-DD (for example 2025-03-31).")
            % {"value": raw}
        ) from None


def _record_id(raw: str) -> str:
    value = raw.strip()
    if re.fullmatch(r"\d(\.\d+)?[eE]\+\d+", value):
        raise _CellError(
            _(
                "The Record ID “%(value)s” was rounded by a spreadsheet program. Export "
                "the file from HubSpot again and upload it without opening it in a "
                "spreadsheet."
            )
            % {"value": value}
        )
    if len(value) > 32:
        raise _CellError(_("The Record ID is too long (at most 32 characters)."))
    return value


# ---------------------------------------------------------------- row validation


class _Context:
    """Everything rows are checked against, loaded once (or once per batch) to keep queries flat."""

    def __init__(self, object_type: str, columns: list[Column]):
        self.object_type = object_type
        self.model = MODELS[object_type]
        self.labels = field_labels(self.model)
        self.columns = columns
        self.definitions = {d.name: d for d in props.definitions(object_type)}
        self.field_columns = {c.target: c for c in columns if c.kind == "field"}
        self.property_columns = [c for c in columns if c.kind == "property"]
        self.staff_by_email: dict[str, User] = {}
        self.staff_by_name: dict[str, list[User]] = {}
        for user in User.objects.agency_staff():
            self.staff_by_email[user.email.lower()] = user
            if user.full_name:
                self.staff_by_name.setdefault(user.full_name.strip().lower(), []).append(user)
        self.seen_ids: dict[str, int] = {}
        self.existing: dict[str, object] = {}
        self.companies_by_rid: dict[str, Company] = {}
        self.companies_by_name: dict[str, list[Company]] = {}
        self.deals_with_line_items: set[int] = set()
        self.deals_with_contacts: set[int] = set()
        self.pipelines: list[Pipeline] = []
        self.stages_by_pipeline: dict[int, list[Stage]] = {}
        if object_type == ObjectType.DEAL:
            self.pipelines = list(Pipeline.objects.filter(object_type=ObjectType.DEAL))
            stages = Stage.objects.filter(pipeline__in=self.pipelines).order_by("order", "id")
            for stage in stages.prefetch_related("required_properties"):
                self.stages_by_pipeline.setdefault(stage.pipeline_id, []).append(stage)

    def cell(self, cells: list[str], target: str) -> str:
        column = self.field_columns.get(target)
        if column is None or column.index >= len(cells):
            return ""
        return cells[column.index].strip()

    def header(self, target: str) -> str | None:
        column = self.field_columns.get(target)
        return column.header if column else None

    def load_batch(self, batch: list[tuple[int, list[str]]]) -> None:
        """Fetch the existing records and associated companies a batch of rows refers to."""
        ids = {self.cell(cells, "record_id") for _line, cells in batch} - {""}
        self.existing = {
            r.hubspot_record_id: r
            for r in self.model.objects.filter(hubspot_record_id__in=ids).select_related(
                *RELATED[self.model]
            )
        }
        if self.object_type == ObjectType.DEAL and self.existing:
            pks = [r.pk for r in self.existing.values()]
            self.deals_with_line_items = set(
                LineItem.objects.filter(deal_id__in=pks).values_list("deal_id", flat=True)
            )
            through = Deal.contacts.through
            self.deals_with_contacts = set(
                through.objects.filter(deal_id__in=pks).values_list("deal_id", flat=True)
            )
        if "company" in self.field_columns and self.object_type != ObjectType.COMPANY:
            refs = set()
            for _line, cells in batch:
                refs.update(self._company_refs(self.cell(cells, "company")))
            refs -= set(self.companies_by_rid) | set(self.companies_by_name)
            if refs:
                lowered = {r.lower() for r in refs}
                found = Company.objects.annotate(lname=Lower("name")).filter(
                    Q(hubspot_record_id__in=refs) | Q(name__in=refs) | Q(lname__in=lowered)
                )
                for company in found:
                    if company.hubspot_record_id in refs:
                        self.companies_by_rid[company.hubspot_record_id] = company
                    key = company.name.strip().lower()
                    if key in lowered:
                        bucket = self.companies_by_name.setdefault(key, [])
                        if company not in bucket:
                            bucket.append(company)
                for ref in refs:
                    self.companies_by_name.setdefault(ref.lower(), [])

    @staticmethod
    def _company_refs(raw: str) -> list[str]:
        first = raw.split(";")[0].strip()
        return [first] if first else []

    # -------- converters that need the context

    def owner(self, raw: str) -> User:
        text = raw.strip()
        email = re.search(r"[^\s<>()]+@[^\s<>()]+", text)
        user = self.staff_by_email.get((email.group(0) if email else text).lower())
        if user is None:
            named = self.staff_by_name.get(text.lower(), [])
            if len(named) > 1:
                raise _CellError(
                    _("Several users are named “%(value)s”; use the owner's email address instead.")
                    % {"value": raw}
                )
            user = named[0] if named else None
        if user is None:
            raise _CellError(
                _(
                    "“%(value)s” is not an active agency user of Partnerdesk (give the "
                    "owner's email address)."
                )
                % {"value": raw}
            )
        return user

    def company(self, raw: str) -> Company:
        refs = self._company_refs(raw)
        ref = refs[0]
        if ref in self.companies_by_rid:
            return self.companies_by_rid[ref]
        named = self.companies_by_name.get(ref.lower(), [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise _CellError(
                _("Several companies are named “%(value)s”; use the company's Record ID instead.")
                % {"value": ref}
            )
        raise _CellError(
            _("No company has the Record ID or name “%(value)s”. Import the companies first.")
            % {"value": ref}
        )

    def find_pipeline(self, raw: str) -> Pipeline:
        key = _norm_name(raw)
        for pipeline in self.pipelines:
            if _norm_name(pipeline.name) == key:
                if pipeline.archived:
                    raise _CellError(_("The pipeline “%(value)s” is archived.") % {"value": raw})
                return pipeline
        names = ", ".join(p.name for p in self.pipelines if not p.archived)
        raise _CellError(
            _("There is no deal pipeline named “%(value)s” (pipelines: %(names)s).")
            % {"value": raw, "names": names}
        )

    def find_stage(self, raw: str, pipeline: Pipeline | None) -> Stage:
        key = _norm_name(raw)
        if pipeline is not None:
            for stage in self.stages_by_pipeline.get(pipeline.pk, []):
                if _norm_name(stage.name) == key:
                    return stage
            names = ", ".join(s.name for s in self.stages_by_pipeline.get(pipeline.pk, []))
            raise _CellError(
                _("The pipeline “%(pipeline)s” has no stage “%(value)s” (stages: %(names)s).")
                % {"pipeline": pipeline.name, "value": raw, "names": names}
            )
        matches = [
            s
            for p in self.pipelines
            if not p.archived
            for s in self.stages_by_pipeline.get(p.pk, [])
            if _norm_name(s.name) == key
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise _CellError(
                _(
                    "Several pipelines have a stage “%(value)s”; add a Pipeline column "
                    "to say which one."
                )
                % {"value": raw}
            )
        raise _CellError(_("No deal pipeline has a stage “%(value)s”.") % {"value": raw})


FIELD_CLEANERS: dict[str, Callable[[dict], dict]] = {
    ObjectType.COMPANY: services.clean_company_fields,
    ObjectType.CONTACT: services.clean_contact_fields,
    ObjectType.DEAL: services.clean_deal_fields,
}


def _convert(ctx: _Context, target: str, raw: str):
    match target:
        case "country":
            return _country(raw)
        case "timezone":
            return _timezone(raw)
        case "lifecycle":
            return _lifecycle(raw)
        case "owner":
            return ctx.owner(raw)
        case "company":
            return ctx.company(raw)
        case "amount":
            return _amount(raw)
        case "close_date":
            return _date(raw)
        case _:
            return raw


def _property_value(defn: PropertyDefinition, raw: str):
    if defn.type == PropertyType.URL and "://" not in raw and "." in raw and " " not in raw.strip():
        raw = "https://" + raw.strip()  # HubSpot often stores websites without a scheme
    return props.normalize_value(defn, raw)


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, User):
        return value.email
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _check_row(ctx: _Context, prepared: Prepared, line: int, cells: list[str]) -> RowPlan:
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
        record_id = _record_id(ctx.cell(cells, "record_id"))
    except _CellError as exc:
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
        except _CellError as exc:
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
            plan.properties[column.target] = _property_value(column.definition, raw)
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


def _check_deal_stage(ctx: _Context, plan: RowPlan, cells: list[str], error) -> None:
    existing: Deal | None = plan.existing
    pipeline_raw, stage_raw = ctx.cell(cells, "pipeline"), ctx.cell(cells, "stage")
    pipeline = stage = None
    try:
        if pipeline_raw:
            pipeline = ctx.find_pipeline(pipeline_raw)
    except _CellError as exc:
        error(ctx.header("pipeline"), str(exc))
        return
    try:
        if stage_raw:
            lookup_in = pipeline or (existing.pipeline if existing else None)
            stage = ctx.find_stage(stage_raw, lookup_in)
    except _CellError as exc:
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


def _project(ctx: _Context, plan: RowPlan):
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


def _diff(ctx: _Context, existing, plan: RowPlan) -> list[dict]:
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


def _check_required(ctx: _Context, plan: RowPlan, projected, error) -> None:
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


def _preview_cells(ctx: _Context, plan: RowPlan, cells: list[str]) -> list[str]:
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
            out.append(_display(plan.fields[target]))
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

    missing = _missing_columns(object_type, columns)
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

    ctx = _Context(object_type, columns)
    batch: list[tuple[int, list[str]]] = []

    def flush() -> None:
        ctx.load_batch(batch)
        for line, cells in batch:
            prepared.plans.append(_check_row(ctx, prepared, line, cells))
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
    except _FileError as exc:
        prepared.add_error(exc.line, None, exc.message, code=exc.code)
        return prepared
    if prepared.total_rows == 0:
        raise _file_error("import_no_rows", _("The file has a header row but no records."))
    return prepared


# ---------------------------------------------------------------- services


def _read_upload(uploaded_file) -> bytes:
    limit = settings.IMPORT_MAX_BYTES
    too_big = _file_error(
        "import_too_large",
        _("The file is larger than %(mb)s MB. Split it into smaller files.")
        % {"mb": f"{limit / 1048576:g}"},
    )
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise too_big
    chunks, size = [], 0
    for chunk in uploaded_file.chunks():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def import_create(*, by, uploaded_file, object_type: str = "") -> ImportJob:
    """Validate an uploaded HubSpot CSV and record it as an ImportJob (READY or INVALID).

    Writes no CRM record. Raises DomainError (field "file" or "object_type") when the file
    cannot be read at all.
    """
    require_staff(by, _("Only agency staff can import records."))
    data = _read_upload(uploaded_file)
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
def import_confirm(*, job: ImportJob, by) -> ImportJob:
    """READY -> QUEUED and enqueue the run after commit. Confirming twice is harmless."""
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

    from .tasks import run_import

    job_id = job.pk
    transaction.on_commit(lambda: run_import.enqueue(job_id))
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
                    kind="record.imported",
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
                    kind="record.import_updated",
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


def _create(object_type: str, plan: RowPlan, by):
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


# ---------------------------------------------------------------- reads for the pages


def import_jobs_for(user):
    return ImportJob.objects.for_user(user).select_related("created_by")


def mapping_rows(job: ImportJob) -> list[dict]:
    """The column -> field/property table of the preview, with labels in the reader's language."""
    rows = []
    for column in job.mapping.get("columns", []):
        kind, target = column.get("kind"), column.get("target")
        if kind == "field":
            label = FIELD_LABELS.get(target, target)
        elif kind == "property":
            label = column.get("label", target)
        else:
            label = IGNORED_REASONS.get(target, IGNORED_REASONS["unknown"])
        rows.append(
            {
                "column": column.get("column", ""),
                "kind": kind,
                "label": label,
                "secret": column.get("secret", False),
            }
        )
    return rows
