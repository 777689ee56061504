"""CSV import of HubSpot accounts with their subscriptions, and of qualifying activities.

The same behaviour as the CRM's HubSpot import (``crm.importing``), whose file reading and cell
parsing it reuses (encodings, delimiters, line numbers, amounts, dates): **preview → confirm**,
every bad row named by its line and column, and **nothing written when any row is bad**.

The CRM import's job model is tied to its three record types, so this is a small parallel
importer with no table of its own:

``import_preview`` runs every row through the program's own services inside a transaction
    that is always rolled back, so the preview applies exactly the rules a confirmed import
    will (unknown currency, negative MRR, a date in the future or before the account was
    opened, …). A file without errors is kept under the private root, named by a token bound
    to the uploader, until it is confirmed.
``import_confirm`` runs the kept file again, in one transaction, and commits only when every
    row passed (the data may have changed since the preview); the file is then removed.

Accounts file: one row per subscription (``Hub ID``, ``Account name``, ``Company``, ``Opened
on``, ``Growth market``, ``Product``, ``Seats``, ``MRR``, ``Currency``, ``Start date``,
``Renewal date``); a row without a product adds the account only. An account already known by
its hub id gets the subscriptions; a subscription already there (same product and start date)
is unchanged, or gets a new MRR from today when its MRR or currency differs.

Activities file: ``Hub ID``, ``Employee`` (email), ``Activity`` (its name in the catalogue),
``Tool`` (when two tools share the name), ``Date``, ``Note``. An activity already recorded
(same employee, account, activity and date) is left as it is.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core.errors import DomainError, not_found
from partnerdesk.core.permissions import Actor, require_manager
from partnerdesk.crm.importing.cells import CellError, parse_amount, parse_date
from partnerdesk.crm.importing.files import FileError, read_csv, read_upload
from partnerdesk.crm.models import Company

from . import selectors, services
from .models import ActivitySource, ActivityType, HubSpotAccount, QualifyingActivity, Tool
from .services.common import today

ACCOUNTS, ACTIVITIES = "accounts", "activities"
KINDS = {
    ACCOUNTS: gettext_lazy("HubSpot accounts and their subscriptions"),
    ACTIVITIES: gettext_lazy("Qualifying activities"),
}
MAX_ROWS = 20_000
PREVIEW_ROWS = 50
MAX_ERRORS = 1_000
TOKEN = re.compile(r"^(accounts|activities)-[0-9a-f]{32}$")

# field -> the header names it is recognised by (compared without case, spaces or punctuation)
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    ACCOUNTS: {
        "hub_id": ("Hub ID", "Hub", "Portal ID", "HubSpot account ID"),
        "name": ("Account name", "Name", "HubSpot account"),
        "company": ("Company", "Company name", "Client", "Client company"),
        "opened_on": ("Opened on", "Account opened", "Opened"),
        "growth_market": ("Growth market",),
        "product": ("Product", "Product and edition", "Subscription"),
        "seats": ("Seats",),
        "mrr": ("MRR", "Monthly recurring revenue"),
        "currency": ("Currency",),
        "start_date": ("Start date", "Start", "Started on"),
        "renewal_date": ("Renewal date", "Renewal", "Renews on"),
    },
    ACTIVITIES: {
        "hub_id": ("Hub ID", "Hub", "Portal ID", "HubSpot account ID"),
        "employee": ("Employee", "Employee email", "Email", "User"),
        "activity": ("Activity", "Activity type", "Qualifying activity"),
        "tool": ("Tool",),
        "occurred_on": ("Date", "Occurred on", "Activity date"),
        "note": ("Note", "Notes"),
    },
}
REQUIRED = {ACCOUNTS: ("hub_id",), ACTIVITIES: ("hub_id", "employee", "activity", "occurred_on")}
# A service's field -> the import's column that feeds it.
SERVICE_FIELDS = {"activity_type": "activity", "ended_on": "start_date", "effective_on": "mrr"}
TRUE = {"yes", "y", "true", "1", "x", "sì", "si", "نعم"}
FALSE = {"no", "n", "false", "0", "", "لا"}


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


@dataclass
class Outcome:
    """What an import did (or, in a preview, would do)."""

    kind: str
    token: str | None = None
    filename: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # field -> header
    ignored: list[str] = field(default_factory=list)
    total_rows: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: {"create": 0, "update": 0, "unchanged": 0}
    )
    rows: list[dict[str, Any]] = field(default_factory=list)  # the first PREVIEW_ROWS
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    committed: bool = False

    @property
    def is_valid(self) -> bool:
        return self.error_count == 0

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    def add_error(self, line: int | None, column: str | None, message: str, code: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                {"line": line, "column": column, "message": str(message), "code": code}
            )


class _RowError(Exception):
    def __init__(self, field_name: str | None, message: str, code: str = "invalid_value"):
        super().__init__(message)
        self.field, self.message, self.code = field_name, message, code


def _map(kind: str, headers: list[str]) -> tuple[dict[str, int], list[str]]:
    aliases = {_norm(alias): name for name, names in COLUMNS[kind].items() for alias in names}
    found: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        name = aliases.get(_norm(header))
        if name is None or name in found:
            ignored.append(header)
        else:
            found[name] = index
    missing = [COLUMNS[kind][name][0] for name in REQUIRED[kind] if name not in found]
    if missing:
        raise DomainError(
            code="import_missing_columns",
            message=_("The file has no column for: %(cols)s. Name the columns as in the example.")
            % {"cols": ", ".join(missing)},
            field="file",
        )
    return found, ignored


def _storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.PARTNERDESK_PRIVATE_ROOT / "partner-imports")


def _name(by: Actor, token: str) -> str:
    return f"{by.pk}-{token}.csv"


# ---------------------------------------------------------------- rows


class _Rows:
    """Reads one row's cells by field and caches the lookups a file repeats."""

    def __init__(self, kind: str, columns: dict[str, int], headers: list[str]):
        self.kind, self.columns, self.headers = kind, columns, headers
        self.accounts: dict[str, HubSpotAccount | None] = {}
        # Accounts a row created: known to later rows only once that row has passed.
        self.staged: dict[str, HubSpotAccount] = {}
        self.employees: dict[str, Any] = {}
        self.types: dict[tuple[str, str], ActivityType] = {}

    def cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def header(self, name: str | None) -> str | None:
        name = SERVICE_FIELDS.get(name or "", name)
        index = self.columns.get(name or "")
        return self.headers[index] if index is not None else None

    def account(self, hub_id: str) -> HubSpotAccount | None:
        if hub_id in self.staged:
            return self.staged[hub_id]
        if hub_id not in self.accounts:
            self.accounts[hub_id] = (
                HubSpotAccount.objects.select_for_update().filter(hub_id=hub_id).first()
            )
        return self.accounts[hub_id]


def _required(rows: _Rows, cells: list[str], name: str) -> str:
    value = rows.cell(cells, name)
    if not value:
        raise _RowError(name, _("This cell is empty; it is needed here."), "required")
    return value


def _date(rows: _Rows, cells: list[str], name: str, *, required: bool = True):
    value = _required(rows, cells, name) if required else rows.cell(cells, name)
    if not value:
        return None
    try:
        return parse_date(value)
    except CellError as exc:
        raise _RowError(name, str(exc), "invalid_date") from None


def _company(rows: _Rows, cells: list[str]) -> Company:
    text = _required(rows, cells, "company")
    matches = list(
        Company.objects.filter(Q(name__iexact=text) | Q(domain__iexact=text)).order_by("pk")[:2]
    )
    if not matches:
        raise _RowError(
            "company",
            _("No client company is called “%(c)s” (or has that domain): add it first.")
            % {"c": text},
            "unknown_company",
        )
    if len(matches) > 1:
        raise _RowError(
            "company",
            _("Several companies match “%(c)s”: write the company's domain instead.") % {"c": text},
            "ambiguous_company",
        )
    return matches[0]


def _flag(rows: _Rows, cells: list[str], name: str) -> bool:
    value = rows.cell(cells, name).lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise _RowError(name, _("Write yes or no."), "invalid_flag")


def _account_row(rows: _Rows, cells: list[str], by: Actor) -> tuple[str, str]:
    hub_id = _required(rows, cells, "hub_id")
    account = rows.account(hub_id)
    actions = []
    if account is None:
        account = services.account_create(
            by=by,
            company=_company(rows, cells),
            hub_id=hub_id,
            name=_required(rows, cells, "name"),
            opened_on=_date(rows, cells, "opened_on"),
            growth_market=_flag(rows, cells, "growth_market"),
        )
        rows.staged[hub_id] = account
        actions.append(_("new account %(a)s") % {"a": account})
    product = rows.cell(cells, "product")
    if not product:
        return ("create" if actions else "unchanged"), "; ".join(actions) or str(account)
    try:
        mrr = parse_amount(_required(rows, cells, "mrr"))
    except CellError as exc:
        raise _RowError("mrr", str(exc), "invalid_amount") from None
    currency = _required(rows, cells, "currency").upper()
    start = _date(rows, cells, "start_date")
    seats_text = rows.cell(cells, "seats")
    if seats_text and not seats_text.isdigit():
        raise _RowError("seats", _("Write a whole number of seats."), "invalid_seats")
    existing = (
        account.subscriptions.filter(product__iexact=product, start_date=start).first()
        if account.pk
        else None
    )
    if existing is None:
        services.subscription_create(
            by=by,
            account=account,
            product=product,
            mrr=mrr,
            currency=currency,
            start_date=start,
            renewal_date=_date(rows, cells, "renewal_date", required=False),
            seats=int(seats_text or 0),
        )
        actions.append(
            _("subscription %(p)s, %(mrr)s %(c)s") % {"p": product, "mrr": mrr, "c": currency}
        )
        return "create", "; ".join(actions)
    if existing.mrr == mrr and existing.currency == currency:
        return ("create" if actions else "unchanged"), "; ".join(actions) or str(existing)
    services.subscription_change_mrr(
        by=by,
        subscription=existing,
        mrr=mrr,
        currency=currency,
        effective_on=today(),
    )
    actions.append(
        _("%(p)s: MRR %(old)s %(oc)s → %(mrr)s %(c)s from today")
        % {"p": product, "old": existing.mrr, "oc": existing.currency, "mrr": mrr, "c": currency}
    )
    return "update", "; ".join(actions)


def _activity_type(rows: _Rows, cells: list[str]) -> ActivityType:
    name = _required(rows, cells, "activity")
    tool_text = rows.cell(cells, "tool")
    key = (_norm(name), _norm(tool_text))
    if key in rows.types:
        return rows.types[key]
    qs = ActivityType.objects.filter(name__iexact=name)
    if tool_text:
        tools = {_norm(v): v for v in Tool.values} | {
            _norm(str(label)): value for value, label in Tool.choices
        }
        tool = tools.get(_norm(tool_text))
        if tool is None:
            raise _RowError(
                "tool",
                _("“%(t)s” is not a tool: write one of %(tools)s.")
                % {"t": tool_text, "tools": ", ".join(Tool.values)},
                "invalid_tool",
            )
        qs = qs.filter(tool=tool)
    matches = list(qs.order_by("pk")[:2])
    if not matches:
        raise _RowError(
            "activity",
            _("“%(a)s” is not in the activity catalogue (Settings → Activity catalogue).")
            % {"a": name},
            "unknown_activity",
        )
    if len(matches) > 1:
        raise _RowError(
            "activity",
            _("Several tools have “%(a)s”: add a Tool column to say which.") % {"a": name},
            "ambiguous_activity",
        )
    rows.types[key] = matches[0]
    return matches[0]


def _activity_row(rows: _Rows, cells: list[str], by: Actor) -> tuple[str, str]:
    hub_id = _required(rows, cells, "hub_id")
    account = rows.account(hub_id)
    if account is None:
        raise _RowError(
            "hub_id",
            _("No HubSpot account has hub id %(id)s: import or add the account first.")
            % {"id": hub_id},
            "unknown_account",
        )
    email = _required(rows, cells, "employee").lower()
    if email not in rows.employees:
        rows.employees[email] = selectors.employees().filter(email__iexact=email).first()
    employee = rows.employees[email]
    if employee is None:
        raise _RowError(
            "employee",
            _("%(e)s is not an active agency user.") % {"e": email},
            "invalid_employee",
        )
    activity_type = _activity_type(rows, cells)
    occurred_on = _date(rows, cells, "occurred_on")
    text = _("%(a)s by %(e)s on %(d)s in %(acc)s") % {
        "a": activity_type.name,
        "e": email,
        "d": occurred_on.isoformat() if occurred_on else "",
        "acc": account.name,
    }
    duplicate = QualifyingActivity.objects.filter(
        account=account, employee=employee, activity_type=activity_type, occurred_on=occurred_on
    ).exists()
    if duplicate:
        return "unchanged", text
    services.activity_record(
        by=by,
        account=account,
        employee=employee,
        activity_type=activity_type,
        occurred_on=occurred_on,
        note=rows.cell(cells, "note"),
        source=ActivitySource.IMPORT,
    )
    return "create", text


# ---------------------------------------------------------------- running a file


def _run(*, by: Actor, kind: str, data: bytes, commit: bool, outcome: Outcome) -> Outcome:
    """Every row through the services in one transaction, committed only when ``commit`` and
    every row passed."""
    csv_file = read_csv(data)
    columns, outcome.ignored = _map(kind, csv_file.headers)
    outcome.columns = {name: csv_file.headers[i] for name, i in columns.items()}
    rows = _Rows(kind, columns, csv_file.headers)
    handle = _account_row if kind == ACCOUNTS else _activity_row
    with transaction.atomic():
        try:
            for line, cells in csv_file.rows():
                outcome.total_rows += 1
                if outcome.total_rows > MAX_ROWS:
                    raise DomainError(
                        code="import_too_many_rows",
                        message=_("The file has more than %(n)s rows: split it.")
                        % {"n": f"{MAX_ROWS:,}"},
                        field="file",
                    )
                try:
                    with transaction.atomic():
                        action, text = handle(rows, cells, by)
                    rows.accounts.update(rows.staged)
                except _RowError as exc:
                    outcome.add_error(line, rows.header(exc.field), exc.message, exc.code)
                    action, text = "error", ""
                except DomainError as exc:
                    if exc.status == 403:
                        raise
                    for error in exc.all_errors():
                        outcome.add_error(line, rows.header(error.field), error.message, error.code)
                    action, text = "error", ""
                rows.staged.clear()
                if action != "error":
                    outcome.counts[action] += 1
                if len(outcome.rows) < PREVIEW_ROWS:
                    outcome.rows.append({"line": line, "action": action, "text": str(text)})
        except FileError as exc:
            outcome.add_error(exc.line, None, exc.message, exc.code)
        if commit and outcome.is_valid:
            outcome.committed = True
        else:
            transaction.set_rollback(True)
    return outcome


def import_preview(*, by: Actor, kind: str, uploaded_file: UploadedFile) -> Outcome:
    """Check every row of an uploaded file, writing nothing. A file without errors is kept for
    ``import_confirm`` (``outcome.token``). A file that cannot be read at all raises a
    DomainError on ``file``; an unknown ``kind`` on ``kind``."""
    require_manager(by, _("Only an admin or a manager can import into the partner program."))
    if kind not in KINDS:
        raise DomainError(
            code="invalid_kind",
            message=_("Choose what the file holds: accounts or activities."),
            field="kind",
        )
    data = read_upload(uploaded_file)
    outcome = Outcome(kind=kind, filename=(uploaded_file.name or "import.csv")[:255])
    _run(by=by, kind=kind, data=data, commit=False, outcome=outcome)
    if outcome.is_valid:
        outcome.token = f"{kind}-{secrets.token_hex(16)}"
        _storage().save(_name(by, outcome.token), ContentFile(data))
    return outcome


def import_pending(*, by: Actor, token: str) -> bytes:
    """The kept file of ``token`` (only its uploader's), or a 404 problem."""
    require_manager(by, _("Only an admin or a manager can import into the partner program."))
    storage = _storage()
    if not TOKEN.match(token or "") or not storage.exists(_name(by, token)):
        raise not_found(_("This import is not waiting to be confirmed: upload the file again."))
    with storage.open(_name(by, token), "rb") as handle:
        return handle.read()


def import_check(*, by: Actor, token: str) -> Outcome:
    """The preview of a kept file again (for its page)."""
    data = import_pending(by=by, token=token)
    outcome = Outcome(kind=token.split("-", 1)[0], token=token)
    return _run(by=by, kind=outcome.kind, data=data, commit=False, outcome=outcome)


def import_confirm(*, by: Actor, token: str) -> Outcome:
    """Import a previewed file: every row in one transaction, committed only when every row
    still passes (nothing is written otherwise). The kept file is removed either way."""
    data = import_pending(by=by, token=token)
    outcome = Outcome(kind=token.split("-", 1)[0], token=token)
    try:
        _run(by=by, kind=outcome.kind, data=data, commit=True, outcome=outcome)
    finally:
        # Imported, or found bad: either way it is not confirmed again (upload it again).
        if outcome.committed or not outcome.is_valid:
            _storage().delete(_name(by, token))
    return outcome
