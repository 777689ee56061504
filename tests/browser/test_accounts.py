"""Accounts in the browser: language, API tokens, invitations, password reset."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from partnerdesk.accounts.models import ApiToken, ClientRole, Role, User
from tests.conftest import PASSWORD

from .conftest import on_desktop_and_phone, open_nav, sign_in

pytestmark = on_desktop_and_phone

NEW_PASSWORD = "Quiet-Harbour-Lantern-8431"
LINK = re.compile(r"https?://[^\s\"'<>]+")


def email_link(message, path_part: str) -> str:
    links = [url for url in LINK.findall(message.body) if path_part in url]
    assert links, f"no link containing {path_part!r} in:\n{message.body}"
    return links[0]


def test_profile_language_arabic_switches_the_page_to_rtl(page: Page, agent):
    sign_in(page, agent.email)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")

    open_nav(page).get_by_role("link", name=agent.display_name).click()
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    language_form = page.locator("form").filter(
        has=page.locator("input[name=action][value=language]")
    )
    language_form.get_by_label("Language").select_option("ar")
    language_form.get_by_role("button").click()

    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    # It sticks: another page, rendered from the user's saved choice.
    page.goto("/app/companies/")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    agent.refresh_from_db()
    assert agent.language == "ar"


def test_login_page_language_switcher_sets_italian(page: Page):
    page.goto("/accounts/login/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    switcher = page.locator("form.langswitch")
    switcher.get_by_label("Language").select_option("it")
    switcher.get_by_role("button").click()
    expect(html).to_have_attribute("lang", "it")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("input[name=username]")).to_be_visible()


def test_a_language_chosen_on_the_sign_in_page_stays_after_signing_in(page: Page, agent):
    page.goto("/accounts/login/")
    switcher = page.locator("form.langswitch")
    switcher.get_by_label("Language").select_option("ar")
    switcher.get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("input[name=username]").fill(agent.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    agent.refresh_from_db()
    assert agent.language == "ar"


def test_api_token_is_shown_once_works_and_stops_working_when_revoked(page: Page, agent, api):
    sign_in(page, agent.email)
    page.goto("/accounts/profile/")
    token_form = page.locator("form").filter(has=page.locator("input[name=action][value=token]"))
    token_form.get_by_label("Token name").fill("CLI")
    token_form.get_by_role("button", name="Create token").click()

    shown = page.locator("#new-token")
    expect(shown).to_be_visible()
    token = shown.inner_text().strip()
    assert token.startswith("pd_")
    tokens_table = page.locator("table").filter(has_text="Starts with")
    cli_row = tokens_table.get_by_role("row").filter(has_text="CLI")
    expect(cli_row).to_have_count(1)
    expect(cli_row).not_to_contain_text(token)  # only the prefix is listed

    # A cookie-less client, so the browser session cannot stand in for the token.
    bearer = {"Authorization": f"Bearer {token}"}
    response = api.get("/api/me", headers=bearer)
    assert response.status == 200, response.text()
    assert response.json()["email"] == agent.email

    # Shown once: coming back to the page does not reveal it again.
    page.goto("/accounts/profile/")
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(token)

    confirms = []

    def accept(dialog):
        confirms.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    cli_row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token revoked.")).to_be_visible()
    assert confirms == ["Revoke this token?"]
    expect(tokens_table).to_contain_text("No active tokens.")
    assert ApiToken.objects.get(user=agent, name="CLI").revoked_at is not None

    response = api.get("/api/me", headers=bearer)
    assert response.status == 401, response.text()


def test_admin_invites_a_client_user_who_joins_the_portal(
    new_page, admin, company, site, settings, mailoutbox
):
    settings.SITE_URL = site.url  # the address invitation links are built from
    page = new_page()
    sign_in(page, admin.email)
    nav = open_nav(page)
    nav.get_by_text("Settings").click()
    nav.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Invite a user").click()

    page.get_by_label("Email", exact=True).fill("new.member@acme-dental.com")
    page.get_by_label("Role", exact=True).select_option(label="Client user")
    page.get_by_label("Company (client users)").select_option(label="Acme Dental")
    page.get_by_label("Client role").select_option(label="Member")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_text("Invitation sent to new.member@acme-dental.com.")).to_be_visible()
    pending = page.locator("table").filter(has_text="Expires")
    expect(
        pending.get_by_role("row").filter(has_text="new.member@acme-dental.com")
    ).to_contain_text("Acme Dental")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new.member@acme-dental.com"]
    link = email_link(message, "/accounts/invite/")
    assert link.startswith(site.url)

    guest = new_page()  # the invitee's own browser
    guest.goto(link)
    expect(guest.get_by_text("Create the account for new.member@acme-dental.com.")).to_be_visible()
    guest.get_by_label("Your name").fill("Nadia Member")
    guest.get_by_label("Choose a password").fill(NEW_PASSWORD)
    guest.locator("form").filter(
        has=guest.get_by_role("button", name="Create my account")
    ).get_by_label("Language").select_option("en")
    guest.get_by_role("button", name="Create my account").click()

    expect(guest).to_have_url(re.compile(r"/portal/$"))
    expect(guest.get_by_text("Welcome! Your account is ready.")).to_be_visible()
    expect(guest.get_by_role("heading", level=1)).to_have_text("Acme Dental")
    expect(open_nav(guest)).to_contain_text("Nadia Member")

    user = User.objects.get(email="new.member@acme-dental.com")
    assert (user.role, user.company_id, user.client_role) == (
        Role.CLIENT,
        company.pk,
        ClientRole.MEMBER,
    )
    assert user.check_password(NEW_PASSWORD)

    # The link works once only.
    again = new_page()
    again.goto(link)
    expect(again.get_by_role("button", name="Create my account")).to_have_count(0)


def test_password_reset_by_email_then_sign_in_with_the_new_password(page: Page, agent, mailoutbox):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(agent.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_url(re.compile(r"/accounts/password-reset/sent/$"))

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [agent.email]
    link = email_link(mailoutbox[0], "/accounts/reset/")

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    page.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    expect(page.get_by_role("heading", name="Password saved")).to_be_visible()

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.locator("input[name=username]").fill(agent.email)
    page.locator("input[name=password]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/app/$"))
    expect(open_nav(page)).to_contain_text(agent.display_name)
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)
