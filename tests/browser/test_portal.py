"""A client user sees their own company in the portal and nothing of anyone else."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone


def test_client_user_sees_own_company_and_deal_only(
    page: Page, client_user, company, deal, other_company, other_deal
):
    sign_in(page, client_user.email)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(company.name)
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name=deal.name)).to_be_visible()
    expect(main).not_to_contain_text(other_deal.name)
    expect(main).not_to_contain_text(other_company.name)
    # Client users get no staff navigation.
    nav = open_nav(page)
    expect(nav.get_by_role("link", name="Companies")).to_have_count(0)

    main.get_by_role("link", name=deal.name).click()
    expect(page).to_have_url(re.compile(rf"/portal/deals/{deal.pk}/$"))
    expect(page.get_by_role("cell", name="Business Email 10 GB")).to_be_visible()

    for path in (f"/portal/deals/{other_deal.pk}/", f"/app/companies/{other_company.pk}/"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_role("main")).not_to_contain_text(other_company.name)
        expect(page.get_by_role("main")).not_to_contain_text(other_deal.name)
