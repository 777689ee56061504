"""On a phone the main navigation folds behind the menu toggle."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import MOBILE, assert_fits, sign_in


def test_mobile_nav_collapses_behind_the_toggle(new_page, agent):
    page = new_page(viewport=MOBILE, is_mobile=True, has_touch=True)
    sign_in(page, agent.email)
    nav = page.get_by_role("navigation", name="Main")
    companies = nav.get_by_role("link", name="Companies")
    toggle = page.locator("label[for=nav-toggle]")

    expect(toggle).to_be_visible()
    expect(toggle.locator("svg.icon-menu")).to_be_visible()  # the Lucide icon, not ☰
    expect(toggle).to_contain_text("Menu")  # the accessible name, visually hidden
    expect(nav).to_be_hidden()
    expect(companies).to_be_hidden()

    toggle.click()
    expect(nav).to_be_visible()
    for name in ("Home", "Companies", "Deals", "Board"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    # The opened menu fits the screen: no sideways scrolling.
    assert_fits(page, MOBILE["width"])

    companies.click()
    expect(page).to_have_url(re.compile(r"/app/companies/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Companies")
    expect(nav).to_be_hidden()  # a new page starts folded again

    toggle.click()
    expect(nav).to_be_visible()
    toggle.click()
    expect(nav).to_be_hidden()
