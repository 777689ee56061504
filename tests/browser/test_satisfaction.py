"""Client satisfaction in a real browser: the client approves delivered work, the survey email
arrives (through the outbox and its worker), the client answers with one click on a link of
the email without signing in, adds a comment on the thank-you page; the same link opened
again says it was already answered, and the task's page in the portal shows the answer."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from partnerdesk.portal import services
from partnerdesk.portal.models import Plan, TaskCategory
from partnerdesk.satisfaction.models import AnsweredVia, Survey

from .conftest import on_desktop_and_phone, sign_in

pytestmark = on_desktop_and_phone

ONE_CLICK = re.compile(r"https?://[^/\s]+(/csat/[^/\s]+:[^/\s]+/(\d)/)")


def delivered_task(client_user, agent, manager, company):
    services.subscription_set(by=manager, company=company, plan=Plan.objects.get(name="Solo"))
    task = services.task_submit(
        by=client_user,
        title="Rebuild the onboarding emails",
        category=TaskCategory.objects.get(name="HubSpot Administration"),
    )
    task = services.task_accept(by=agent, task=task, estimate_minutes="2h")
    task = services.task_start(by=agent, task=task)
    return services.task_deliver(by=agent, task=task)


def survey_links(mailoutbox) -> dict[int, str]:
    emails = [m for m in mailoutbox if "How satisfied are you?" in m.subject]
    assert len(emails) == 1, [m.subject for m in mailoutbox]
    return {int(score): path for path, score in ONE_CLICK.findall(emails[0].body)}


def test_a_client_rates_completed_work_from_the_email(
    new_page, dispatch, mailoutbox, client_user, agent, manager, company
):
    task = delivered_task(client_user, agent, manager, company)

    # The client approves the delivered work in the portal: the task is complete.
    portal = new_page()
    sign_in(portal, client_user.email)
    portal.goto(f"/portal/tasks/{task.pk}/")
    portal.get_by_role("button", name="Approve").click()
    expect(portal.locator("#task-status")).to_have_text("Complete")

    # The survey email is out, with five one-click links.
    links = survey_links(mailoutbox)
    assert sorted(links) == [1, 2, 3, 4, 5]

    # Opened from the mail client: no session, one click records the score.
    mail_client: Page = new_page()
    mail_client.goto(links[4])
    expect(mail_client.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(mail_client.locator("#csat-result")).to_have_text("You rated it 4 out of 5 (Satisfied).")
    mail_client.get_by_label("Comment").fill("Quick and tidy, thank you.")
    mail_client.get_by_role("button", name="Add comment").click()
    expect(mail_client.locator("#csat-commented")).to_be_visible()

    survey = Survey.objects.get(task=task)
    assert (survey.score, survey.answered_via) == (4, AnsweredVia.EMAIL)
    assert survey.comment == "Quick and tidy, thank you."

    # The same link (or another of the five) again: already answered, nothing recorded.
    for score in (4, 1):
        mail_client.goto(links[score])
        expect(mail_client.get_by_role("heading", name="Already answered")).to_be_visible()
        expect(mail_client.locator("#csat-reason")).to_contain_text("with 4 out of 5")
    survey.refresh_from_db()
    assert survey.score == 4

    # The task's page in the portal shows the answer instead of the question.
    portal.goto(f"/portal/tasks/{task.pk}/")
    expect(portal.locator("#csat-prompt #csat-result")).to_contain_text("4 out of 5")


def test_a_client_answers_in_the_portal(new_page, dispatch, client_user, agent, manager, company):
    task = delivered_task(client_user, agent, manager, company)
    services.task_approve(by=client_user, task=task)

    page = new_page()
    sign_in(page, client_user.email)
    page.goto("/portal/")
    pending = page.locator("#csat-pending")
    expect(pending).to_contain_text("Rebuild the onboarding emails")
    pending.get_by_role("link", name="Rebuild the onboarding emails").click()
    page.get_by_label("2 – Dissatisfied").check()
    page.get_by_label("Comment").fill("It took two rounds of changes.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#csat-result")).to_contain_text("2 out of 5")
    survey = Survey.objects.get(task=task)
    assert (survey.score, survey.answered_via, survey.answered_by) == (
        2,
        AnsweredVia.PORTAL,
        client_user,
    )
    page.goto("/portal/")
    expect(page.locator("#csat-pending")).to_have_count(0)
