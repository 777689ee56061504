"""Architecture rules (ARCHITECTURE.md rules 12 and 13), read from the source with ``ast``.

1. **Dependencies point one way.** Every app has a layer in ``LAYERS``; a module may import its
   own app and the apps of lower layers, never a higher one. Apps of the same layer never import
   each other, except the pairs in ``SAME_LAYER_ALLOWED``. (Two apps importing each other is
   therefore always a failure.) Entry points (``is_entry_point``) may import anything.
2. **No import inside a function that crosses apps.** A function-level import of another app
   hides a dependency (usually a cycle) from the reader and from rule 1's review; the few that
   Django forces (``AppConfig.ready``) are listed in ``FUNCTION_IMPORTS_ALLOWED`` with a reason.
3. **One module, one responsibility**: no module is over ``MAX_LINES`` lines (migrations and
   locale files aside). A growing module becomes a package that re-exports its public names.

Imports are read as written: ``import partnerdesk.x``, ``from partnerdesk.x import y`` and
relative imports (resolved against the importing module's package), at any depth, including
``if TYPE_CHECKING:`` blocks (a type-only import still couples the two apps).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "partnerdesk"
PACKAGE = "partnerdesk"

# Lower layers never import higher ones. A new app gets a layer here before its first import.
LAYERS: dict[str, int] = {
    "core": 0,
    "accounts": 1,
    "crm": 2,
    "notifications": 3,
    "sla": 4,
    "tickets": 4,
    "portal": 4,
    # the new domain apps (some may not exist yet)
    "partner_program": 5,
    "dashboard": 5,
    "reports": 5,
    "knowledge": 5,
    "satisfaction": 5,
    "automation": 6,
    "webhooks": 6,  # outgoing webhooks, fed by the outbox like the automations
    "api": 7,
    "devtools": 8,  # manage.py scale_data: builds data for every app, imported by none
}

# (importer, imported) apps of the same layer that may import each other in this direction only.
SAME_LAYER_ALLOWED: dict[tuple[str, str], str] = {
    ("tickets", "sla"): "a ticket's SLA clock is started and read through sla",
    ("portal", "sla"): "task estimates and session slots use sla's working-time calendar",
    ("dashboard", "partner_program"): "the partner dashboard shows the partner program's figures",
    ("reports", "knowledge"): "the self-serve report counts articles and deflections",
    ("reports", "satisfaction"): "the reports show satisfaction answers",
}

# Function-level imports of another app that Django forces: (file under src/partnerdesk,
# imported module) -> why it cannot be a module-level import.
FUNCTION_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {
    ("automation/apps.py", "partnerdesk.core.events"): (
        "AppConfig.ready registers the event dispatcher; core.events imports models, which "
        "apps.py cannot import before the app registry is ready"
    ),
}

MAX_LINES = 800

# Files at the package root that are entry points (they wire every app together).
ROOT_ENTRY_POINTS = {"settings.py", "urls.py", "wsgi.py", "asgi.py"}


def is_entry_point(rel: PurePosixPath) -> bool:
    """Management commands, demo loaders, the URL root, settings, WSGI and migrations."""
    parts = rel.parts
    in_commands = any(parts[i : i + 2] == ("management", "commands") for i in range(len(parts)))
    return (
        rel.as_posix() in ROOT_ENTRY_POINTS
        or in_commands
        or "migrations" in parts[:-1]
        or rel.name == "demo.py"
        or "demo" in parts[:-1]
    )


@dataclass(frozen=True)
class Import:
    file: PurePosixPath  # relative to src/partnerdesk
    line: int
    module: str  # the absolute module imported ("partnerdesk.crm.services")
    in_function: str | None  # the enclosing function's name, None at module level

    @property
    def where(self) -> str:
        return f"src/{PACKAGE}/{self.file.as_posix()}:{self.line}"


def app_of(module: str) -> str | None:
    """``partnerdesk.crm.services`` -> ``crm``; ``partnerdesk`` or ``partnerdesk.urls`` -> None."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return parts[1] if (SRC / parts[1]).is_dir() or parts[1] in LAYERS else None


def _module_name(rel: PurePosixPath) -> tuple[str, str]:
    """(module, package) of a file: ``crm/services.py`` -> (partnerdesk.crm.services,
    partnerdesk.crm); an ``__init__.py`` is its own package."""
    parts = [PACKAGE, *rel.with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


class _Collector(ast.NodeVisitor):
    def __init__(self, rel: PurePosixPath):
        self.rel = rel
        self.package = _module_name(rel)[1]
        self.function: list[str] = []
        self.found: list[Import] = []

    def _add(self, node: ast.AST, module: str) -> None:
        if module == PACKAGE or module.startswith(PACKAGE + "."):
            function = self.function[-1] if self.function else None
            self.found.append(Import(self.rel, node.lineno, module, function))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.function.append(node.name)
        self.generic_visit(node)
        self.function.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        if module == PACKAGE:  # ``from partnerdesk import crm`` / ``from .. import crm``
            for alias in node.names:
                self._add(node, f"{PACKAGE}.{alias.name}")
        else:
            self._add(node, module)


def source_files() -> list[PurePosixPath]:
    return sorted(
        PurePosixPath(path.relative_to(SRC).as_posix())
        for path in SRC.rglob("*.py")
        if "__pycache__" not in path.parts
    )


@cache
def all_imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for rel in source_files():
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"), filename=str(rel))
        collector = _Collector(rel)
        collector.visit(tree)
        found.extend(collector.found)
    return tuple(found)


def _file_app(rel: PurePosixPath) -> str | None:
    return rel.parts[0] if len(rel.parts) > 1 else None


def direction_violation(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported`` (None when it may)."""
    if importer == imported:
        return None
    if importer not in LAYERS:
        return f"app {importer!r} has no layer in LAYERS"
    if imported not in LAYERS:
        return f"app {imported!r} has no layer in LAYERS"
    low, high = LAYERS[imported], LAYERS[importer]
    if low < high or (importer, imported) in SAME_LAYER_ALLOWED:
        return None
    if low == high:
        return (
            f"{importer} and {imported} share layer {low}: apps of a layer never import each other"
        )
    return f"{importer} (layer {high}) imports the higher {imported} (layer {low})"


# ---------------------------------------------------------------- the vocabulary itself


def test_every_app_has_a_layer():
    apps = {
        path.parent.name
        for path in SRC.glob("*/__init__.py")
        if (path.parent / "apps.py").exists() or (path.parent / "models.py").exists()
    }
    assert apps, "no app found: is SRC right?"
    assert not apps - set(LAYERS), f"apps without a layer in LAYERS: {sorted(apps - set(LAYERS))}"


def test_allow_lists_name_real_things():
    for importer, imported in SAME_LAYER_ALLOWED:
        assert LAYERS[importer] == LAYERS[imported], (importer, imported)
        assert (imported, importer) not in SAME_LAYER_ALLOWED, "two apps never import each other"
    for file, module in FUNCTION_IMPORTS_ALLOWED:
        assert (SRC / file).exists(), f"FUNCTION_IMPORTS_ALLOWED names a missing file: {file}"
        used = any(
            i.file.as_posix() == file and i.module == module and i.in_function
            for i in all_imports()
        )
        assert used, f"FUNCTION_IMPORTS_ALLOWED entry no longer needed: {file} -> {module}"


def test_the_walker_resolves_absolute_and_relative_imports():
    imports = all_imports()
    by_file = {}
    for i in imports:
        by_file.setdefault(i.file.as_posix(), set()).add(i.module)
    assert "partnerdesk.core.events" in by_file["automation/apps.py"]  # absolute, in ready()
    assert "partnerdesk.automation.defaults" in by_file["automation/apps.py"]  # ``from .defaults``
    assert direction_violation("sla", "tickets")
    assert direction_violation("tickets", "portal")
    assert direction_violation("crm", "crm") is None
    assert direction_violation("tickets", "sla") is None
    assert direction_violation("api", "core") is None
    assert direction_violation("core", "accounts")
    assert is_entry_point(PurePosixPath("core/management/commands/serve.py"))
    assert is_entry_point(PurePosixPath("crm/demo.py"))
    assert is_entry_point(PurePosixPath("portal/demo/tasks.py"))
    assert is_entry_point(PurePosixPath("crm/migrations/0001_initial.py"))
    assert is_entry_point(PurePosixPath("urls.py"))
    assert not is_entry_point(PurePosixPath("portal/urls.py"))
    assert not is_entry_point(PurePosixPath("crm/services/demo_rules.py"))


# ---------------------------------------------------------------- rule 1: direction


def test_dependencies_point_one_way():
    failures = []
    for i in all_imports():
        importer, imported = _file_app(i.file), app_of(i.module)
        if is_entry_point(i.file) or importer is None or imported is None:
            continue
        reason = direction_violation(importer, imported)
        if reason:
            failures.append(f"{i.where}: imports {i.module}: {reason}")
    assert not failures, (
        f"{len(failures)} import(s) against the dependency order (ARCHITECTURE.md rule 12; a "
        "lower app learns about a higher one through an event):\n" + "\n".join(failures)
    )


# ---------------------------------------------------------------- rule 2: function-level imports


def test_no_cross_app_import_inside_a_function():
    failures = []
    for i in all_imports():
        importer, imported = _file_app(i.file), app_of(i.module)
        if i.in_function is None or is_entry_point(i.file) or importer is None:
            continue
        if imported is None or imported == importer:
            continue
        if (i.file.as_posix(), i.module) in FUNCTION_IMPORTS_ALLOWED:
            continue
        failures.append(f"{i.where}: {i.in_function}() imports {i.module}")
    assert not failures, (
        f"{len(failures)} import(s) of another app inside a function (move it to the top of "
        "the module; if that makes a cycle, the dependency points the wrong way):\n"
        + "\n".join(failures)
    )


# ---------------------------------------------------------------- rule 3: module size


def test_no_module_over_the_line_limit():
    failures = []
    for rel in source_files():
        if "migrations" in rel.parts[:-1] or "locale" in rel.parts[:-1]:
            continue
        with (SRC / rel).open(encoding="utf-8") as handle:
            lines = sum(1 for _ in handle)
        if lines > MAX_LINES:
            failures.append(f"src/{PACKAGE}/{rel.as_posix()}: {lines} lines")
    assert not failures, (
        f"modules over {MAX_LINES} lines (ARCHITECTURE.md rule 13: make it a package that "
        "re-exports its public names):\n" + "\n".join(failures)
    )
