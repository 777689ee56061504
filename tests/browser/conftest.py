"""Browser tests: a real Chromium (Debian's package) driven by Playwright against live_server.

Every test in this directory is marked ``browser``. Run only these with ``pytest -m browser``
or skip them with ``-m "not browser"``.

Chromium is looked up in ``$PARTNERDESK_CHROMIUM``, then on ``PATH`` (``chromium``,
``chromium-browser``). Without it the tests are skipped locally and fail in CI (``CI=true``).
``playwright install`` is never needed: we launch the system binary by path.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop in the test thread; Django then refuses ORM calls
# from that thread unless told that this is fine (it is: the loop never runs Django code).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Locator, Page, expect, sync_playwright

from tests.conftest import PASSWORD

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
# The screens a flow runs on: a test marked ``on_desktop_and_phone`` runs once on each, and
# every page its ``page`` and ``new_page()`` open (without a viewport of their own) has that
# screen's size; other tests run on the desktop only.
SCREENS = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": MOBILE, "is_mobile": True, "has_touch": True},
}
on_desktop_and_phone = pytest.mark.parametrize("screen", list(SCREENS), indirect=True)
# On the phone screen every page of the flow reports whether it scrolls sideways, once loaded
# and after each htmx swap (a refused form, a dialog, a filtered list); the flow fails if one
# did (pytest_runtest_call). Playwright scrolls to whatever it clicks, so without this a page
# wider than the phone would pass unnoticed.
SIDEWAYS_CHECK = """
(() => {
  const check = (when) => {
    // Not innerWidth: a phone zooms out to show a page wider than its screen, and innerWidth
    // grows with it; the layout's width stays the screen's.
    const width = document.documentElement.scrollWidth;
    if (width > document.documentElement.clientWidth) {
      window.__scrollsSideways(`${location.pathname}${location.search} ${when}: ${width} px`);
    }
  };
  window.addEventListener("load", () => check("once loaded"));
  document.addEventListener("htmx:afterSettle", () => check("after an htmx swap"));
})();
"""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    """Mark every test collected from this directory (and only those) as ``browser``."""
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    wide = getattr(item, "wider_than_the_screen", None)
    if wide:
        pages = "\n  ".join(dict.fromkeys(wide))
        pytest.fail(
            f"a page scrolls sideways on the phone ({MOBILE['width']} px):\n  {pages}",
            pytrace=False,
        )
    return result


def find_chromium() -> str | None:
    configured = os.environ.get("PARTNERDESK_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        reason = (
            "Chromium not found; apt install chromium "
            "(or set PARTNERDESK_CHROMIUM to the browser's executable)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}. Browser tests must run in CI.", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance, chromium_path):
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session", autouse=True)
def one_request_at_a_time_on_sqlite():
    """On SQLite the test database lives in memory, and every thread of the live server shares
    the test's one connection. Two requests at once (a page and its htmx badge, fired on load
    while the test already navigates on) then corrupt each other's cursor: an IndexError deep
    in the ORM, a 500, a flaky test. Serve one request at a time there; PostgreSQL gives each
    thread its own connection and keeps the threaded server as it is."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    handle = WSGIHandler.__call__

    def serialised(self, environ, start_response):
        with _SERVER.lock:
            if _SERVER.closed:  # between two tests: the database is being flushed
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"between tests"]
            return handle(self, environ, start_response)

    WSGIHandler.__call__ = serialised
    yield
    WSGIHandler.__call__ = handle


class _ServerGate:
    """Whether the live server may touch the database (SQLite only, see above). A request the
    browser sent just before its context closed can still be running when the test ends; the
    flush that follows then met a table in use ("database table is locked"). The end of each
    test waits for that request and turns later ones away until the next test starts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.closed = False

    def open(self) -> None:
        self.closed = False

    def close(self) -> None:
        with self.lock:  # the request in flight, if any, finishes first
            self.closed = True


_SERVER = _ServerGate()


@pytest.fixture(autouse=True)
def site(transactional_db, live_server):
    """The live server, with the default pipelines and products in place.

    Transactional tests flush the database afterwards; the post_migrate handler reinstalls the
    defaults on flush, but do not rely on it silently.
    """
    from partnerdesk.crm.defaults import install_defaults
    from partnerdesk.crm.models import Pipeline

    if not Pipeline.objects.filter(object_type="deal", name="Email Subscription").exists():
        install_defaults()
    _warm_up()
    _SERVER.open()
    yield live_server
    _SERVER.close()  # (after new_page closed the browser: it depends on this fixture)


_warmed = threading.Event()


def _warm_up() -> None:
    """Pay the process's one-off costs before the first browser navigation: importing every
    view through the URLconf, compiling the base templates, loading the translation catalogues
    and the static files' finders. They are per process, so a request from the test thread
    warms the live server's threads too. On a loaded machine the first page otherwise took
    over the navigation timeout, failing whichever browser test happened to run first."""
    if _warmed.is_set():
        return
    from django.test import Client
    from django.utils import translation

    client = Client()
    for language in ("en", "it", "ar"):
        client.get("/accounts/login/", headers={"accept-language": language})
    client.get("/static/partnerdesk/app.css")
    translation.deactivate()  # the requests left the last language active in this thread
    _warmed.set()


@pytest.fixture
def screen(request) -> str:
    """The screen the test's pages open on: "desktop", or each of SCREENS for a test marked
    ``on_desktop_and_phone``."""
    return getattr(request, "param", "desktop")


@pytest.fixture
def new_page(browser, site, request, screen):
    """new_page(viewport=..., **context_options) -> a Page in a fresh browser context.

    Without a viewport the page has the test's screen (its size, and touch on a phone). Every
    context is closed after the test; on failure each page is screenshotted into
    test-artifacts/.
    """
    contexts = []
    request.node.wider_than_the_screen = []
    shot_name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    for stale in ARTIFACTS.glob(f"{shot_name}-*.png"):
        stale.unlink()

    def make(viewport=None, **options) -> Page:
        if viewport is None:  # the test's screen
            options = {**SCREENS[screen], **options}
        else:
            options["viewport"] = viewport
        options.setdefault("locale", "en-US")
        context = browser.new_context(base_url=site.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        if viewport is None and screen == "phone":
            wide = request.node.wider_than_the_screen
            context.expose_function("__scrollsSideways", lambda what: wide.append(what))
            context.add_init_script(SIDEWAYS_CHECK)
        # Chromium fetches /favicon.ico in the background after each page load. On SQLite the
        # live server shares the test thread's in-memory connection, so a stray request racing
        # the test's own ORM calls could flake: answer it in the browser instead.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        contexts.append(context)
        return context.new_page()

    yield make

    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for index, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for n, page in enumerate(context.pages):
                # A failed screenshot must never hide the real failure.
                with contextlib.suppress(Exception):
                    page.screenshot(
                        path=str(ARTIFACTS / f"{shot_name}-{index}-{n}.png"), full_page=True
                    )
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


def open_nav(page: Page) -> Locator:
    """The main navigation, unfolded first where it is folded behind the menu toggle (a phone),
    so that its links, menus and bell can be used as a person would."""
    page.wait_for_load_state()  # the page and its style sheet, which folds the menu or not
    nav = page.get_by_role("navigation", name="Main")
    toggle = page.locator("label[for=nav-toggle]")
    if toggle.is_visible() and not nav.is_visible():
        toggle.click()
        expect(nav).to_be_visible()
    return nav


def assert_fits(page: Page, width: int) -> None:
    """The page does not scroll sideways at ``width``, measured once it has its styles: a page
    opened by a click or a form is in the DOM (and ``expect`` passes) before its stylesheet
    applies, and a width read then is the unstyled page's."""
    page.wait_for_load_state("load")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {scroll_width} > {width} px"


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form and wait until we have left it."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def api(playwright_instance, site):
    """An HTTP client for the live server with no cookies: only what we send authenticates."""
    context = playwright_instance.request.new_context(base_url=site.url, timeout=TIMEOUT_MS)
    yield context
    context.dispose()
