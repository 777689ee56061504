"""What the rows of an import are checked against: staff users, pipelines and stages, and per
batch the existing records and associated companies the rows refer to."""

from __future__ import annotations

import re

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.core.records import field_labels
from partnerdesk.core.translated import all_names

from .. import properties as props
from ..models import Company, Contact, Deal, LineItem, ObjectType, Pipeline, Stage
from .cells import CellError, norm_name
from .mapping import Column

MODELS = {ObjectType.COMPANY: Company, ObjectType.CONTACT: Contact, ObjectType.DEAL: Deal}
# What a diff of each record reads (so comparing owners and companies costs no query).
RELATED = {
    Company: ("owner",),
    Contact: ("owner", "company"),
    Deal: ("owner", "company", "stage", "pipeline"),
}


def _named(record: Pipeline | Stage, key: str) -> bool:
    """A file names a pipeline or stage by its stored name (a HubSpot export's) or by its name
    in any language (the import runs in its creator's)."""
    return any(norm_name(name) == key for name in all_names(record))


class Context:
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
                raise CellError(
                    _("Several users are named “%(value)s”; use the owner's email address instead.")
                    % {"value": raw}
                )
            user = named[0] if named else None
        if user is None:
            raise CellError(
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
            raise CellError(
                _("Several companies are named “%(value)s”; use the company's Record ID instead.")
                % {"value": ref}
            )
        raise CellError(
            _("No company has the Record ID or name “%(value)s”. Import the companies first.")
            % {"value": ref}
        )

    def find_pipeline(self, raw: str) -> Pipeline:
        key = norm_name(raw)
        for pipeline in self.pipelines:
            if _named(pipeline, key):
                if pipeline.archived:
                    raise CellError(_("The pipeline “%(value)s” is archived.") % {"value": raw})
                return pipeline
        names = ", ".join(p.name for p in self.pipelines if not p.archived)
        raise CellError(
            _("There is no deal pipeline named “%(value)s” (pipelines: %(names)s).")
            % {"value": raw, "names": names}
        )

    def find_stage(self, raw: str, pipeline: Pipeline | None) -> Stage:
        key = norm_name(raw)
        if pipeline is not None:
            for stage in self.stages_by_pipeline.get(pipeline.pk, []):
                if _named(stage, key):
                    return stage
            names = ", ".join(s.name for s in self.stages_by_pipeline.get(pipeline.pk, []))
            raise CellError(
                _("The pipeline “%(pipeline)s” has no stage “%(value)s” (stages: %(names)s).")
                % {"pipeline": pipeline.name, "value": raw, "names": names}
            )
        matches = [
            s
            for p in self.pipelines
            if not p.archived
            for s in self.stages_by_pipeline.get(p.pk, [])
            if _named(s, key)
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CellError(
                _(
                    "Several pipelines have a stage “%(value)s”; add a Pipeline column "
                    "to say which one."
                )
                % {"value": raw}
            )
        raise CellError(_("No deal pipeline has a stage “%(value)s”.") % {"value": raw})
