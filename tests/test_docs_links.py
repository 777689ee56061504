"""The documents a newcomer reads name only files that are in the repository (issue 15, item 13:
the README linked documents that are not here), and the README's demo logins are the ones
``make demo`` creates and prints.

Checked in README.md, CONTRIBUTING.md and docs/*.md: every Markdown link to a relative path,
every ``*.md`` document named, and every path in backticks under docs/, scripts/, tests/,
benchmarks/ or src/ (placeholders such as ``<report>`` or ``*`` are skipped)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
DOCUMENT = re.compile(r"(?<![\w/.-])([\w.-]+(?:/[\w.-]+)*\.md)\b")
REPO_PATH = re.compile(r"`((?:docs|scripts|tests|benchmarks|src)/[^`\s]*)`")
PLACEHOLDER = re.compile(r"[<>*…{}]")


def references(text: str) -> set[str]:
    found = set()
    for target in LINK.findall(text):
        if re.match(r"^(?:[a-z][a-z+.-]*:|#|//)", target):  # http:, mailto:, an anchor
            continue
        found.add(target.split("#", 1)[0])
    found.update(DOCUMENT.findall(text))
    found.update(p for p in REPO_PATH.findall(text) if not PLACEHOLDER.search(p))
    return {ref.split("::", 1)[0] for ref in found if ref}


def exists(ref: str, doc: Path) -> bool:
    return any((base / ref).exists() for base in (doc.parent, ROOT))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_document_and_path_named_is_in_the_repository(doc):
    missing = sorted(
        ref for ref in references(doc.read_text(encoding="utf-8")) if not exists(ref, doc)
    )
    assert not missing, f"{doc.name} names what is not in the repository: {missing}"


def test_the_check_finds_links_documents_and_paths():
    text = (
        "See [the guide](docs/guide.md#start), [site](https://example.com), [top](#top), "
        "PRODUCT.md part 2, `scripts/run.sh`, `tests/x.py::test_y`, `reports/<name>.py`."
    )
    assert references(text) == {"docs/guide.md", "PRODUCT.md", "scripts/run.sh", "tests/x.py"}
    assert not exists("PRODUCT.md", ROOT / "README.md")
    assert exists("docs/architecture.md", ROOT / "README.md")
    assert exists("architecture.md", ROOT / "docs" / "webhooks.md")


def test_the_readme_lists_the_demo_logins():
    """The role table is what ``demo_data`` creates and prints (crm.demo.logins)."""
    from partnerdesk.crm import demo

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| role | email |") :]
    table = table[: table.index("\n\n")]
    rows = [
        tuple(cell.strip() for cell in line.strip("|").split("|")[:2])
        for line in table.splitlines()[2:]
    ]
    assert rows == demo.logins()
    assert f"password `{demo.DEMO_PASSWORD}`" in readme
