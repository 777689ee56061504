"""The event vocabulary (ARCHITECTURE.md rule 14): event kinds are enum members, and every
trigger offered has a producer.

Each producing app names its kinds in ``<app>/events.py`` (``StrEnum`` classes). What the
services record is read from the source with ``ast``: every call of ``record_event`` and of the
helpers that pass their own ``kind`` parameter on to it (found by following the parameter), with
the kind resolved from a string literal, an enum member, a conditional of those, a local
assignment or the row of a module-level table a loop walks. A kind that cannot be resolved
fails the test: it should be written so a reader (and this test) can tell what it records.

(a) every trigger offered (the page's choices, the API's ``TriggerName``) listens to kinds that
    are enum members and that some service records;
(b) every enum member has a timeline sentence (``core.events._DESCRIBERS``);
(c) every kind recorded is a member of its own app's enum, and no two enums share a kind.
"""

from __future__ import annotations

import ast
import importlib
import typing
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import pytest

from partnerdesk.automation import api as automation_api
from partnerdesk.automation import triggers
from partnerdesk.automation.forms import WorkflowForm
from partnerdesk.automation.models import Trigger
from partnerdesk.core import events as core_events

SRC = Path(__file__).resolve().parents[2] / "src" / "partnerdesk"


# ---------------------------------------------------------------- the enums


@cache
def event_enums() -> dict[str, list[type[StrEnum]]]:
    """app -> the StrEnum classes its events.py defines (core.events is the mechanism)."""
    found: dict[str, list[type[StrEnum]]] = {}
    for path in sorted(SRC.glob("*/events.py")):
        app = path.parent.name
        if app == "core":
            continue
        module = importlib.import_module(f"partnerdesk.{app}.events")
        found[app] = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, StrEnum)
            and obj is not StrEnum
            and obj.__module__ == module.__name__
        ]
    return found


@cache
def members() -> dict[str, str]:
    """kind -> the app whose enum has it."""
    return {
        member.value: app
        for app, enums in event_enums().items()
        for enum in enums
        for member in enum
    }


def enum_by_name() -> dict[str, type[StrEnum]]:
    return {enum.__name__: enum for enums in event_enums().values() for enum in enums}


# ---------------------------------------------------------------- what the source records


@dataclass(frozen=True)
class Sink:
    """A function that records its ``param`` as an event kind (``record_event`` or a helper)."""

    param: str
    index: int | None  # its position among the positional parameters, None if keyword-only


@dataclass(frozen=True)
class Recorded:
    where: str
    app: str
    kind: str | None  # None: could not be resolved
    text: str


def _source_files() -> list[Path]:
    return sorted(
        p for p in SRC.rglob("*.py") if "migrations" not in p.parts and "tests" not in p.parts
    )


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _argument(node: ast.Call, sink: Sink) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg == sink.param:
            return keyword.value
    if sink.index is not None and sink.index < len(node.args):
        arg = node.args[sink.index]
        return None if isinstance(arg, ast.Starred) else arg
    return None


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> dict[str, int | None]:
    positional = [*function.args.posonlyargs, *function.args.args]
    names: dict[str, int | None] = {a.arg: i for i, a in enumerate(positional)}
    names.update({a.arg: None for a in function.args.kwonlyargs})
    return names


def _dotted(rel: Path) -> tuple[str, str]:
    """(module, package) of a file under src/partnerdesk."""
    parts = ["partnerdesk", *rel.with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


class _Module:
    """One source file: its functions (with their parents), module-level tables and imports."""

    def __init__(self, path: Path):
        self.path = path
        self.rel = path.relative_to(SRC)
        self.app = self.rel.parts[0]
        self.name, package = _dotted(self.rel)
        self.tree = _tree(path)
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.tables = {
            target.id: node.value
            for node in self.tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name) and node.value is not None
        }
        self.functions = {
            node.name
            for node in self.tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        # local name -> (module it comes from, its name there)
        self.imported: dict[str, tuple[str, str]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join([*base, node.module] if node.module else base)
                else:
                    source = node.module or ""
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (source, alias.name)

    def where(self, node: ast.AST) -> str:
        return f"src/partnerdesk/{self.rel.as_posix()}:{node.lineno}"

    def function_of(self, node: ast.AST):
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return node
        return None

    def target(self, call: ast.Call) -> tuple[str, str] | None:
        """The (module, function) a call by name reaches: this module's own, or an import's.
        Any ``record_event`` is the one of core.events."""
        name = _callee(call)
        if name == "record_event":
            return RECORD_EVENT
        if not isinstance(call.func, ast.Name):
            return None
        if name in self.functions:
            return (self.name, name)
        return self.imported.get(name)

    def enum(self, name: str) -> type[StrEnum] | None:
        return enum_by_name().get(self.imported.get(name, (None, name))[1])

    def calls(self) -> list[ast.Call]:
        return [n for n in ast.walk(self.tree) if isinstance(n, ast.Call)]


RECORD_EVENT = ("partnerdesk.core.events", "record_event")


def _reexported(modules: list[_Module]) -> dict[tuple[str, str], tuple[str, str]]:
    """A package's re-export (``from .common import _moved`` in ``__init__``) -> the original."""
    return {
        (m.name, local): source
        for m in modules
        for local, source in m.imported.items()
        if source[0].startswith("partnerdesk.")
    }


class Unresolved(Exception):
    pass


def _resolve(module: _Module, expr: ast.expr, *, depth: int = 0) -> set[str] | tuple[str, object]:
    """The kinds ``expr`` can be, or ("param", function) when it is a parameter of its
    function (the function then forwards its caller's kind)."""
    if depth > 5:
        raise Unresolved
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        enum = module.enum(expr.value.id)
        if enum is None or expr.attr not in enum.__members__:
            raise Unresolved
        return {enum[expr.attr].value}
    if isinstance(expr, ast.IfExp):
        kinds: set[str] = set()
        for branch in (expr.body, expr.orelse):
            found = _resolve(module, branch, depth=depth + 1)
            if not isinstance(found, set):
                raise Unresolved
            kinds |= found
        return kinds
    if isinstance(expr, ast.Name):
        function = module.function_of(expr)
        if function is not None and expr.id in _params(function):
            return ("param", function)
        if function is not None:
            return _resolve_local(module, function, expr, depth)
        if expr.id in module.tables:
            return _resolve(module, module.tables[expr.id], depth=depth + 1)
    raise Unresolved


def _resolve_local(module: _Module, function, name: ast.Name, depth: int) -> set[str]:
    """A local name: assigned in the function, or unpacked from the rows of a module table."""
    kinds: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name.id for t in node.targets
        ):
            found = _resolve(module, node.value, depth=depth + 1)
            if not isinstance(found, set):
                raise Unresolved
            kinds |= found
        if isinstance(node, ast.For) and isinstance(node.target, ast.Tuple):
            names = [t.id if isinstance(t, ast.Name) else None for t in node.target.elts]
            if name.id not in names or not isinstance(node.iter, ast.Name):
                continue
            table = module.tables.get(node.iter.id)
            if not isinstance(table, ast.List | ast.Tuple):
                raise Unresolved
            for row in table.elts:
                if not isinstance(row, ast.Tuple | ast.List):
                    raise Unresolved
                found = _resolve(module, row.elts[names.index(name.id)], depth=depth + 1)
                if not isinstance(found, set):
                    raise Unresolved
                kinds |= found
    if not kinds:
        raise Unresolved
    return kinds


@cache
def recorded() -> tuple[Recorded, ...]:
    """Every kind the source records, where, and by which app (a fixpoint over the helpers)."""
    modules = [_Module(p) for p in _source_files()]
    reexports = _reexported(modules)

    def original(target: tuple[str, str]) -> tuple[str, str]:
        seen = set()
        while target in reexports and target not in seen:
            seen.add(target)
            target = reexports[target]
        return target

    sinks: dict[tuple[str, str], Sink] = {RECORD_EVENT: Sink("kind", None)}
    while True:
        found: list[Recorded] = []
        new: dict[tuple[str, str], Sink] = {}
        for module in modules:
            if module.name == RECORD_EVENT[0]:
                continue
            for call in module.calls():
                target = module.target(call)
                if target is None or original(target) not in sinks:
                    continue
                sink = sinks[original(target)]
                arg = _argument(call, sink)
                if arg is None:
                    found.append(Recorded(module.where(call), module.app, None, "no kind given"))
                    continue
                try:
                    kinds = _resolve(module, arg)
                except Unresolved:
                    kinds = set()
                if isinstance(kinds, tuple):  # a helper passing its own parameter on
                    function = kinds[1]
                    if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                        key = (module.name, function.name)
                        param = ast.unparse(arg)
                        if key not in sinks:
                            new[key] = Sink(param, _params(function)[param])
                        continue
                    kinds = set()
                if not kinds:
                    found.append(Recorded(module.where(call), module.app, None, ast.unparse(arg)))
                found.extend(Recorded(module.where(call), module.app, k, k) for k in kinds)
        if not new:
            return tuple(found)
        sinks.update(new)


def produced() -> set[str]:
    return {r.kind for r in recorded() if r.kind is not None}


# ---------------------------------------------------------------- the offered triggers


def offered_on_the_page() -> set[str]:
    return {value for value, _label in WorkflowForm.base_fields["trigger"].choices}


def offered_in_the_api() -> set[str]:
    return set(typing.get_args(automation_api.TriggerName))


def test_the_page_and_the_api_offer_the_same_triggers():
    assert offered_on_the_page() == offered_in_the_api() == {t.value for t in triggers.OFFERED}


def without_producer(trigger: str, kinds) -> list[str]:
    """What is wrong with a trigger listening to ``kinds`` (nothing, if it has a producer)."""
    if not kinds:
        return [f"{trigger} listens to no event kind"]
    problems = []
    for kind in map(str, kinds):
        if kind not in members():
            problems.append(f"{trigger} listens to {kind!r}, which no app's enum names")
        elif kind not in produced():
            problems.append(
                f"{trigger} listens to {kind!r}, but no service records it: "
                "take the trigger out of triggers.OFFERED until one does"
            )
    return problems


@pytest.mark.parametrize("trigger", triggers.OFFERED, ids=str)
def test_every_offered_trigger_has_a_producer(trigger):
    assert not without_producer(trigger, triggers.TRIGGER_EVENTS[trigger])


def test_a_kind_nothing_records_is_no_producer(monkeypatch):
    """The check fails a trigger waiting for a kind that an enum names but nothing records."""

    class Unused(StrEnum):
        NEVER = "deal.never_recorded"

    monkeypatch.setitem(event_enums(), "crm", [*event_enums()["crm"], Unused])
    members.cache_clear()
    try:
        assert without_producer("renewal_approaching", (Unused.NEVER,)) == [
            "renewal_approaching listens to 'deal.never_recorded', but no service records "
            "it: take the trigger out of triggers.OFFERED until one does"
        ]
        assert without_producer("x", ("renewal.deadline_approaching",)) == [
            "x listens to 'renewal.deadline_approaching', which no app's enum names"
        ]
    finally:
        members.cache_clear()


def test_a_trigger_without_a_producer_is_not_offered():
    assert Trigger.RENEWAL_APPROACHING not in triggers.OFFERED
    assert "renewal_approaching" not in offered_on_the_page() | offered_in_the_api()


def test_the_scan_sees_what_the_services_record():
    """The scan itself: it finds kinds recorded through literals, enums, helpers and tables."""
    where = {r.kind: r.where for r in recorded() if r.kind}
    assert "crm/" in where["deal.stage_changed"]  # a literal or CrmEvent member
    assert "crm/" in where["company.updated"]  # through crm's _save_with_event(kind=...)
    assert "tickets/" in where["ticket.sla_breached"]  # a row of the sweep's table
    assert "sla/" in where["sla.targets_changed"]  # an SlaEvent member
    assert "automation/" in where["workflow.failed"]  # a conditional of two members
    assert "task.renewal_due" not in produced()


# ---------------------------------------------------------------- every kind an enum member


def test_every_recorded_kind_is_a_member_of_its_apps_enum():
    unresolved = [f"{r.where}: {r.text}" for r in recorded() if r.kind is None]
    assert not unresolved, (
        "Event kinds this test cannot read (write a string literal or an enum member, or pass "
        "the helper's kind parameter on):\n" + "\n".join(unresolved)
    )
    strays = [
        f"{r.where}: {r.kind!r} is in no enum"
        if r.kind not in members()
        else f"{r.where}: {r.kind!r} is {members()[r.kind]}'s, recorded by {r.app}"
        for r in recorded()
        if members().get(r.kind) != r.app
    ]
    assert not strays, "Kinds recorded outside their app's enum:\n" + "\n".join(strays)


def test_no_two_enums_share_a_kind():
    seen: dict[str, str] = {}
    shared = []
    for app, enums in event_enums().items():
        for enum in enums:
            for member in enum:
                name = f"{app}.{enum.__name__}.{member.name}"
                if member.value in seen:
                    shared.append(f"{member.value!r}: {seen[member.value]} and {name}")
                seen[member.value] = name
    assert not shared, "\n".join(shared)


def test_every_enum_member_is_recorded_somewhere():
    """An enum member nothing records is a kind a reader would wait for in vain."""
    idle = sorted(set(members()) - produced())
    assert not idle, f"Enum members no service records: {idle}"


# ---------------------------------------------------------------- every kind a sentence


# Kinds whose app registers no sentence yet, in files automation does not own. Each is an
# expected failure, strictly: when the app registers one, its case passes and fails as XPASS
# until it is taken off this list.
AWAITING_SENTENCE: dict[str, set[str]] = {}


def _sentence_cases():
    awaiting = {kind: app for app, kinds in AWAITING_SENTENCE.items() for kind in kinds}
    return [
        pytest.param(
            kind,
            marks=pytest.mark.xfail(
                strict=True, reason=f"{awaiting[kind]}/timeline.py has no sentence for it yet"
            ),
        )
        if kind in awaiting
        else kind
        for kind in sorted(members())
    ]


@pytest.mark.parametrize("kind", _sentence_cases())
def test_every_kind_has_a_timeline_sentence(kind):
    assert kind in core_events._DESCRIBERS, (
        f"{kind!r} ({members()[kind]}) has no timeline sentence: register one in "
        f"{members()[kind]}/timeline.py"
    )
