"""The Italian and Arabic catalogues are complete, compiled, up to date with the source, and used.

(a) every entry of it/ar is translated (all plural forms), none is fuzzy, and every
    translation keeps the placeholders of its English text;
(b) each compiled django.mo holds exactly what its django.po says (a forgotten
    ``compilemessages`` fails here);
(c) every string that ``makemessages`` extracts from today's source is in the .po files
    (needs GNU gettext; skipped with a reason when it is missing);
(d) pages render in the chosen language, right-to-left for Arabic.

After changing user-visible strings:
    .venv/bin/python manage.py makemessages -l it -l ar --ignore=".venv/*" \
        --ignore="tests/*" --ignore="benchmarks/*" --no-obsolete
    (translate the new entries, remove their fuzzy flags)
    .venv/bin/python manage.py compilemessages --ignore=".venv/*"
"""

from __future__ import annotations

import gettext
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "src" / "partnerdesk" / "locale"
LANGS = ["it", "ar"]
MAKEMESSAGES_IGNORES = ["--ignore=.venv/*", "--ignore=tests/*", "--ignore=benchmarks/*"]

EXPECTED_PLURAL_FORMS = {
    "it": "nplurals=2; plural=(n != 1);",
    "ar": (
        "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
        "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5;"
    ),
}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"


def load_po(lang: str) -> polib.POFile:
    path = po_path(lang)
    assert path.is_file(), f"{path} is missing: run makemessages (see this module's docstring)"
    return polib.pofile(str(path))


def live_entries(po) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete and e.msgid != ""]


def label(entry) -> str:
    ctx = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return f"{ctx}{entry.msgid!r}"


# ------------------------------------------------------------------ placeholders

# A Python %-directive as GNU gettext's python-format checker reads it:
# %[(name)][flags][width][.precision][length]conversion
PY_DIRECTIVE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
NAMED = re.compile(r"%\((?P<name>[^)]*)\)")
TEMPLATE_VAR = re.compile(r"\{\{\s*[^}]*?\s*\}\}|\{%\s*[^%]*?\s*%\}")
HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|br|code|em|i|kbd|p|small|span|strong|sub|sup|time|u)\b[^<>]*>", re.I
)
CONVERSION_KIND = {
    **dict.fromkeys("diouxX", "integer"),
    **dict.fromkeys("eEfFgG", "float"),
    **dict.fromkeys("sra", "string"),
    "c": "character",
}


def directives(text: str, python_format: bool):
    """(named: {name: kind}, unnamed: [kind, ...]) of the %-directives in text."""
    named: dict[str, str] = {}
    unnamed: list[str] = []
    if python_format:
        for m in PY_DIRECTIVE.finditer(text):
            conv = m.group("conv")
            if conv == "%":
                continue
            kind = CONVERSION_KIND[conv]
            if m.group("name") is not None:
                named[m.group("name")] = kind
            else:
                unnamed.append(kind)
    else:
        # Not %-formatted at run time: only named placeholders matter.
        named = {m.group("name"): "any" for m in NAMED.finditer(text)}
    return named, unnamed


def markup(text: str) -> Counter:
    return Counter(TEMPLATE_VAR.findall(text)) + Counter(t.lower() for t in HTML_TAG.findall(text))


def single_value_forms(po) -> set[int]:
    """Plural forms that only one n in 0..1000 uses (Arabic zero/one/two, Italian one).

    Like msgfmt --check-format, a translation for such a form may leave out the number
    (Arabic says "سجل واحد" and "سجلان", not "1 سجل" and "2 سجلان").
    """
    expr = po.metadata["Plural-Forms"].split("plural=", 1)[1].strip().rstrip(";")
    plural = gettext.c2py(expr)
    uses = Counter(plural(n) for n in range(1001))
    return {form for form, count in uses.items() if count == 1}


def placeholder_problems(entry, msgstr: str, reference: str, *, lenient: bool) -> list[str]:
    python_format = "python-format" in entry.flags
    want_named, want_unnamed = directives(reference, python_format)
    got_named, got_unnamed = directives(msgstr, python_format)
    problems = []
    if got_unnamed != want_unnamed:
        problems.append(f"unnamed %-directives {got_unnamed} != {want_unnamed}")
    extra = {n for n in got_named if n not in want_named}
    if extra:
        problems.append(f"unknown placeholders {sorted(extra)}")
    problems.extend(
        f"%({name}) is {got_named[name]}, the English is {want_named[name]}"
        for name in sorted(got_named.keys() & want_named.keys())
        if "any" not in (got_named[name], want_named[name]) and got_named[name] != want_named[name]
    )
    missing = {n for n in want_named if n not in got_named}
    if missing and not (lenient and len(missing) == 1):
        problems.append(f"missing placeholders {sorted(missing)}")
    if markup(msgstr) != markup(reference):
        problems.append(f"markup {dict(markup(msgstr))} != {dict(markup(reference))}")
    return problems


# ------------------------------------------------------------------ (a) complete and correct


@pytest.mark.parametrize("lang", LANGS)
def test_headers(lang):
    po = load_po(lang)
    assert not po.metadata_is_fuzzy, f"{lang}: the header is marked fuzzy"
    assert po.metadata.get("Language") == lang
    assert po.metadata.get("Content-Type") == "text/plain; charset=UTF-8"
    assert po.metadata.get("Plural-Forms") == EXPECTED_PLURAL_FORMS[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_is_translated_and_not_fuzzy(lang):
    po = load_po(lang)
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"]).group(1))
    entries = live_entries(po)
    assert len(entries) > 100, f"{lang}: only {len(entries)} entries; was makemessages run?"
    problems = []
    for e in entries:
        if "fuzzy" in e.flags:
            problems.append(f"{label(e)}: fuzzy")
        if e.msgid_plural:
            forms = e.msgstr_plural
            if sorted(forms) != list(range(nplurals)):
                problems.append(f"{label(e)}: plural forms {sorted(forms)}, want 0..{nplurals - 1}")
            empty = [i for i, s in forms.items() if not s.strip()]
            if empty:
                problems.append(f"{label(e)}: empty plural forms {empty}")
        elif not e.msgstr.strip():
            problems.append(f"{label(e)}: not translated")
    assert not problems, f"{lang}: {len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_placeholders_and_markup(lang):
    po = load_po(lang)
    single = single_value_forms(po)
    problems = []
    for e in live_entries(po):
        if e.msgid_plural:
            # As msgfmt --check-format does: every form is checked against msgid_plural, the
            # full set; a form used for a single n (n == 1 in Italian; 0, 1, 2 in Arabic) may
            # leave out the number ("The first row…" has no %(counter)s in English either).
            for i, msgstr in sorted(e.msgstr_plural.items()):
                problems.extend(
                    f"{label(e)} msgstr[{i}]: {p}"
                    for p in placeholder_problems(e, msgstr, e.msgid_plural, lenient=i in single)
                )
        else:
            problems.extend(
                f"{label(e)}: {p}"
                for p in placeholder_problems(e, e.msgstr, e.msgid, lenient=False)
            )
    assert not problems, f"{lang}: {len(problems)} problems:\n" + "\n".join(problems)


def test_placeholder_check_catches_mistakes():
    """The checker itself: a lost, renamed, retyped or extra placeholder is reported."""
    entry = polib.POEntry(msgid="%(n)d of %(total)s", flags=["python-format"])
    assert placeholder_problems(entry, "%(n)d su %(total)s", entry.msgid, lenient=False) == []
    assert placeholder_problems(entry, "%(n)d su", entry.msgid, lenient=False)
    assert placeholder_problems(entry, "%(m)d su %(total)s", entry.msgid, lenient=False)
    assert placeholder_problems(entry, "%(n)s su %(total)s", entry.msgid, lenient=False)
    assert placeholder_problems(entry, "%(n)d su %(total)s %(x)s", entry.msgid, lenient=False)
    unnamed = polib.POEntry(msgid="%s of %d", flags=["python-format"])
    assert placeholder_problems(unnamed, "%d di %s", unnamed.msgid, lenient=False)
    html = polib.POEntry(msgid="Read <a href='x'>this</a>")
    assert placeholder_problems(html, "Leggi questo", html.msgid, lenient=False)


def test_both_languages_have_the_same_entries():
    keys = {
        lang: {(e.msgctxt, e.msgid, e.msgid_plural) for e in live_entries(load_po(lang))}
        for lang in LANGS
    }
    only_it = sorted(map(str, keys["it"] - keys["ar"]))
    only_ar = sorted(map(str, keys["ar"] - keys["it"]))
    assert not only_it and not only_ar, f"only in it: {only_it}\nonly in ar: {only_ar}"


# ------------------------------------------------------------------ (b) compiled


def catalogue(entries) -> dict:
    out = {}
    for e in entries:
        if e.obsolete or e.msgid == "" or "fuzzy" in e.flags:
            continue
        if e.msgid_plural:
            value = (e.msgid_plural, tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural)))
        else:
            value = e.msgstr
        out[(e.msgctxt or None, e.msgid)] = value
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_mo_matches_po(lang):
    po = load_po(lang)
    mo_file = mo_path(lang)
    assert mo_file.is_file(), (
        f"{mo_file} is missing: run `.venv/bin/python manage.py compilemessages --ignore=.venv/*`"
    )
    mo = polib.mofile(str(mo_file))
    want, got = catalogue(po), catalogue(mo)
    missing = sorted(str(k[1]) for k in want.keys() - got.keys())
    stale = sorted(str(k[1]) for k in got.keys() - want.keys())
    changed = sorted(str(k[1]) for k in want.keys() & got.keys() if want[k] != got[k])
    assert not (missing or stale or changed), (
        f"{lang}: django.mo is out of date with django.po; run compilemessages.\n"
        f"not compiled: {missing[:20]}\nonly in .mo: {stale[:20]}\ndiffering: {changed[:20]}"
    )
    assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms")


# ------------------------------------------------------------------ (c) up to date with the source

GETTEXT_TOOLS = ["xgettext", "msgmerge", "msguniq", "msgattrib"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_po_files_contain_every_string_in_the_source(tmp_path):
    absent = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if absent:
        pytest.skip(
            f"GNU gettext is not installed ({', '.join(absent)} not found), so this run cannot "
            "check that the .po files hold every string makemessages extracts from the source. "
            "Install gettext (Debian: apt-get install gettext) to run this check."
        )
    work = tmp_path / "repo"
    shutil.copytree(
        ROOT / "src",
        work / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.egg-info"),
    )
    for name in ("manage.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, work / name)
    copy_locale = work / "src" / "partnerdesk" / "locale"
    # Point LOCALE_PATHS at the copy whichever partnerdesk package Python imports, so the
    # committed catalogues are never rewritten by this test.
    (work / "i18n_check_settings.py").write_text(
        f"from partnerdesk.settings import *  # noqa: F403\nLOCALE_PATHS = [{str(copy_locale)!r}]\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="i18n_check_settings",
        PYTHONPATH=os.pathsep.join([str(work / "src"), str(work)]),
    )
    before = {lang: digest(po_path(lang)) for lang in LANGS}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "it",
            *MAKEMESSAGES_IGNORES,
            "--no-obsolete",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    assert {lang: digest(po_path(lang)) for lang in LANGS} == before, (
        "makemessages on the copy changed the committed .po files"
    )
    regenerated = polib.pofile(str(copy_locale / "it" / "LC_MESSAGES" / "django.po"))
    extracted = {(e.msgctxt, e.msgid, e.msgid_plural) for e in live_entries(regenerated)}
    committed = {(e.msgctxt, e.msgid, e.msgid_plural) for e in live_entries(load_po("it"))}
    missing = sorted(extracted - committed, key=str)
    assert not missing, (
        f"{len(missing)} strings in the source are not in the .po files; run makemessages "
        "(see this module's docstring), translate them and compile:\n"
        + "\n".join(
            f"  {msgid!r}" + (f" / {plural!r}" if plural else "") + (f" [{ctx}]" if ctx else "")
            for ctx, msgid, plural in missing
        )
    )


# ------------------------------------------------------------------ (d) used at run time


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "direction", "sign_in"),
    [("ar", "rtl", "تسجيل الدخول"), ("it", "ltr", "Accedi"), ("en", "ltr", "Sign in")],
)
def test_login_page_in_the_chosen_language(lang, direction, sign_in):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert f"<h1>{sign_in}</h1>" in html
    if lang != "en":
        assert "Forgot your password?" not in html


@pytest.mark.django_db
def test_signed_in_user_sees_their_language(agent):
    from tests.conftest import login

    agent.language = "ar"
    agent.save(update_fields=["language"])
    html = login(agent).get("/app/companies/", follow=True).content.decode()
    assert 'dir="rtl"' in html
    assert "الشركات" in html  # "Companies" in the navigation
    assert "تسجيل الخروج" in html  # "Sign out"
