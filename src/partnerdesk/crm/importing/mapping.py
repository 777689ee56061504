"""Which column of a HubSpot export fills which field or custom property, per record type."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from ..models import ImportJob, ObjectType, PropertyDefinition, PropertyType

IMPORT_TYPES = (ObjectType.COMPANY, ObjectType.CONTACT, ObjectType.DEAL)

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


def _norm_header(text: str) -> str:
    text = text.replace("\ufeff", "").replace("\u200b", "").strip().strip('"').strip()
    return " ".join(text.split()).lower()


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


def missing_columns(object_type: str, columns: list[Column]) -> list[str]:
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
