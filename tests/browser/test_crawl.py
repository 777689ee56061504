"""The whole product as each role meets it (issue 15): starting at the home page, follow every
same-origin link of the demo agency and check each page a person can reach.

Every page answers without a 4xx/5xx (its own request or one it makes on load), logs no console
error and throws no script error, and never scrolls sideways, at 360 px (a small phone) or at a
desktop's 1280 px. In Italian and Arabic no English UI word is left in the page's chrome (labels,
buttons, headings, table headers, navigation, the empty choice of a select, placeholders), and
Arabic pages are right to left.

The crawl is bounded: a few pages per kind of URL (ids and tokens in a path, and the names of the
query parameters, make its kind) and a page budget per role, breadth first so every section of
the navigation is reached. Failures name the role, the URL and what was found there.
"""

from __future__ import annotations

import io
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.utils.functional import empty
from django.utils.translation import trans_real
from playwright.sync_api import Page

from partnerdesk.accounts.models import User
from partnerdesk.crm import demo
from partnerdesk.portal import models as portal_models

from .conftest import DESKTOP, sign_in

PHONE = {"width": 360, "height": 740}

ROLES = {
    "admin": "admin@demo.partnerdesk.test",
    "manager": "manager@demo.partnerdesk.test",
    "agent": "agent@demo.partnerdesk.test",
    "client": "client@niledental.com",
}

# Links a crawl must not follow: signing out, files and exports, the JSON API and its
# developer documentation, static files.
SKIP = re.compile(
    r"^/(api|static|media)/|/logout/|/setlang/|export|download|/attachments?/|/files?/"
    r"|\.(csv|ics|pdf|zip|json|txt|png|svg)$|[?&]format=",
    re.IGNORECASE,
)
ID = re.compile(r"^\d+$")
TOKEN = re.compile(r"^(?=.*\d)[\w-]{16,}$|^[0-9a-f-]{32,36}$", re.IGNORECASE)


def url_kind(url: str) -> str:
    """The kind of a URL: its path with ids and tokens as placeholders, and its query's keys."""
    parts = urlsplit(url)
    segments = [
        "<id>" if ID.match(s) else "<token>" if TOKEN.match(s) else s for s in parts.path.split("/")
    ]
    keys = sorted({key for key, _value in parse_qsl(parts.query, keep_blank_values=True)})
    return "/".join(segments) + ("?" + "&".join(keys) if keys else "")


def normalise(href: str, origin: str) -> str | None:
    """The same-origin path and query of a link, or None when the crawl does not follow it."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    link = parts.path + (f"?{query}" if query else "")
    return None if SKIP.search(link) else link


# ---------------------------------------------------------------- what the browser measures

# The innermost elements that stick out of the page (and are not inside a box that scrolls or
# clips on its own): the long word, the wide table, the fixed-width form.
OVERFLOW_JS = """() => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  if (doc.scrollWidth <= width + 1) return null;
  const rtl = getComputedStyle(doc).direction === "rtl";
  // Inside a box that scrolls or clips on its own, and itself fits, is not the page's problem;
  // but a box only clips what it contains: an absolutely positioned element (a visually hidden
  // label) escapes every box up to its positioned ancestor.
  const clipped = (el) => {
    let position = getComputedStyle(el).position;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (position === "fixed") return false;
      if (position === "absolute" && style.position === "static") continue;
      position = style.position;
      if (style.overflowX === "visible") continue;
      const box = p.getBoundingClientRect();
      if (rtl ? box.left >= -1 : box.right <= width + 1) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (!box.width && !box.height) continue;
    if (!(rtl ? box.left < -1 : box.right > width + 1)) continue;
    if (!clipped(el)) out.push(el);
  }
  const leaves = out.filter((el) => !out.some((o) => o !== el && el.contains(o)));
  const describe = (el) => {
    const box = el.getBoundingClientRect();
    const cls = el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const text = (el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 50);
    return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls}> ${Math.round(box.width)}px wide "${text}"`;
  };
  return {scrollWidth: doc.scrollWidth, clientWidth: width, offenders: leaves.slice(0, 5).map(describe)};
}"""

HREFS_JS = """() => Array.from(document.querySelectorAll("a[href]"))
  .filter((a) => !a.hasAttribute("download") && !a.closest("[hx-post], form[method=post]"))
  .map((a) => a.href)"""

# The page's own words: navigation, labels, buttons, headings, column headers, the empty choice
# of a select, and the words of placeholders and accessible names. User data inside them is
# marked (dir="auto", <bdi>, translate="no"; see core/templatetags/bidi.py) and left out, as are
# row headers (a table's records) and the choices of a select or of a list of checkboxes.
CHROME = (
    "nav a, label, button, summary, legend, th:not([scope=row]), h1, h2, h3, caption, a.button, "
    'option[value=""], .pagehead a'
)
CHROME_JS = """(selector) => {
  // User data, and the choices of a select inside a label (records' names) are left out.
  const userData = "[dir=auto], bdi, [translate=no], select, textarea, datalist";
  const words = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest("[translate=no], [dir=auto], bdi")) continue;
    // The choices of a radio or checkbox list (Django numbers them: id_<field>_<n>) are records'
    // names as often as not, like a select's.
    const choice = el.matches("label") && el.querySelector("input[type=checkbox], input[type=radio]");
    if (choice && /_\\d+$/.test(choice.id)) continue;
    const copy = el.cloneNode(true);
    copy.querySelectorAll(userData).forEach((n) => n.remove());
    const text = copy.textContent.replace(/\\s+/g, " ").trim();
    if (text) words.push([el.tagName.toLowerCase(), text]);
  }
  for (const el of document.querySelectorAll("[placeholder], [aria-label]")) {
    if (el.closest("[translate=no]")) continue;
    for (const name of ["placeholder", "aria-label"]) {
      const text = (el.getAttribute(name) || "").trim();
      if (text) words.push([`${el.tagName.toLowerCase()}[${name}]`, text]);
    }
  }
  return words;
}"""

# Common words of our templates that must never be left in English in another language ("New"
# is not one of them: it names the first stage of the default pipelines, which are data).
ENGLISH_UI = [
    "Add",
    "All",
    "Amount",
    "Apply",
    "Assign",
    "Back",
    "Cancel",
    "Category",
    "Change",
    "Clear",
    "Close",
    "Companies",
    "Company",
    "Contacts",
    "Create",
    "Created",
    "Deals",
    "Delete",
    "Description",
    "Due",
    "Edit",
    "Filter",
    "Home",
    "Language",
    "Mark all read",
    "Name",
    "Next",
    "None",
    "Notifications",
    "Open",
    "Owner",
    "Pipeline",
    "Previous",
    "Priority",
    "Remove",
    "Reports",
    "Save",
    "Search",
    "Select an option",
    "Send",
    "Settings",
    "Show",
    "Sign out",
    "Stage",
    "Status",
    "Subject",
    "Submit",
    "Tasks",
    "Tickets",
    "Today",
    "Total",
    "Type",
    "Update",
    "View",
    "Yes",
]


def english_words(language: str) -> re.Pattern[str]:
    """The English UI words to look for in ``language``: those its translators changed (a word
    Italian borrows as it is, like "Email", is not a leak)."""
    catalog = trans_real.translation(language)._catalog
    words = [w for w in ENGLISH_UI if catalog.get(w, None) != w]
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, words)) + r")(?![\w-])")


# ---------------------------------------------------------------- the crawl


@dataclass
class Crawl:
    role: str
    origin: str
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def problem(self, url: str, what: str) -> None:
        self.problems.append(f"[{self.role}] {url}: {what}")


def crawl(
    page: Page,
    result: Crawl,
    *,
    limit: int,
    known: set[str] | None = None,
    widths: tuple[dict, ...] = (PHONE, DESKTOP),
    language: str | None = None,
) -> Crawl:
    """Breadth first from the home page, at most two URLs of a kind (three of a path with any
    query) and ``limit`` pages in all, kinds ``known`` from an earlier crawl after the others.
    Every page is checked at each of ``widths`` (it loads at the first), and in ``language`` for
    English UI words and the page's language and direction."""
    known = set() if known is None else known
    english = english_words(language) if language else None
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} from {r.request.method} {r.url}")
            if r.status >= 400 and r.url.startswith(result.origin)
            else None
        ),
    )
    fresh: deque[str] = deque(["/"])
    again: deque[str] = deque()
    seen = {"/"}
    kinds: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    while (fresh or again) and len(result.visited) < limit:
        url = (fresh or again).popleft()
        page.set_viewport_size(widths[0])
        errors.clear()
        response = page.goto(url, wait_until="networkidle")
        result.visited.append(url)
        known.add(url_kind(url))
        if response is None:
            result.problem(url, "no response")
            continue
        if urlsplit(page.url).path.startswith("/accounts/login/"):
            result.problem(url, "signed out (landed on the sign-in page)")
            continue
        for error in errors:
            result.problem(url, error)
        for width in widths:
            if width is not widths[0]:
                page.set_viewport_size(width)
            overflow = page.evaluate(OVERFLOW_JS)
            if overflow:
                result.problem(
                    url,
                    f"scrolls sideways at {width['width']} px "
                    f"({overflow['scrollWidth']} > {overflow['clientWidth']}): "
                    + "; ".join(overflow["offenders"]),
                )
        if english is not None:
            leaks = sorted(
                {
                    f"<{tag}> {text!r}"
                    for tag, text in page.evaluate(CHROME_JS, CHROME)
                    if english.search(text)
                }
            )
            if leaks:
                result.problem(url, "English UI text: " + ", ".join(leaks[:12]))
        if language is not None:
            html = page.locator("html")
            expected = (language, "rtl" if language == "ar" else "ltr")
            found = (html.get_attribute("lang"), html.get_attribute("dir"))
            if found != expected:
                result.problem(url, f"lang and dir are {found}, not {expected}")
        for href in page.evaluate(HREFS_JS):
            link = normalise(href, result.origin)
            if link is None or link in seen:
                continue
            seen.add(link)
            kind, path = url_kind(link), url_kind(link.split("?")[0])
            if kinds[kind] >= 2 or paths[path] >= 3:
                continue
            kinds[kind] += 1
            paths[path] += 1
            (again if kind in known else fresh).append(link)
    return result


# ---------------------------------------------------------------- the tests


@pytest.fixture
def demo_agency(settings, tmp_path):
    """The demo agency of ``make demo``: every role, every kind of record."""
    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path / "private"
    portal_models.private_storage._wrapped = empty
    call_command("demo_data", stdout=io.StringIO())
    yield
    portal_models.private_storage._wrapped = empty


def report(crawls: list[Crawl]) -> str:
    lines = [f"{len(c.visited)} pages as {c.role}" for c in crawls]
    problems = [p for c in crawls for p in c.problems]
    return "\n".join([*problems, "", *lines])


def test_every_role_reaches_only_working_pages_that_fit_a_phone(new_page, site, demo_agency):
    crawls, known = [], set()
    for role, email in ROLES.items():
        page = new_page(viewport=PHONE)
        sign_in(page, email, demo.DEMO_PASSWORD)
        crawls.append(crawl(page, Crawl(role, site.url), limit=60, known=known))
    assert not any(c.problems for c in crawls), report(crawls)


def test_italian_and_arabic_pages_leave_no_english_ui(new_page, site, demo_agency):
    crawls = []
    for language in ("it", "ar"):
        for role in ("admin", "client"):
            User.objects.filter(email=ROLES[role]).update(language=language)
            page = new_page(viewport=PHONE)
            sign_in(page, ROLES[role], demo.DEMO_PASSWORD)
            crawls.append(
                crawl(
                    page,
                    Crawl(f"{role} in {language}", site.url),
                    limit=30,
                    widths=(PHONE,),
                    language=language,
                )
            )
    assert not any(c.problems for c in crawls), report(crawls)
