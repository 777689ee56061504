"""Issue 9, point 15 (the portal's part): a long file name keeps its extension, and a closed task
takes no more messages (page, API and reply-by-email).

A file's name is cleaned and shortened once, before the type check, so the check judges the
name that is stored: the stem is cut, the extension kept. A message on a Complete, Declined or
Withdrawn task is refused with ``task_closed`` (409) wherever it comes from.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import PurePath
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.functional import empty
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from partnerdesk.portal import inbound, mail, services
from partnerdesk.portal import models as portal_models
from partnerdesk.portal.models import Attachment, Message, Status, Task
from tests.conftest import login
from tests.portal.conftest import accepted, submit

pytestmark = pytest.mark.django_db

LONG_PDF = "a" * 296 + ".pdf"  # 300 characters
MULTI_DOT = "report.final.v2.docx"
LONG_MULTI_DOT = "report.final.v2." + "x" * (300 - len("report.final.v2.") - len(".docx")) + ".docx"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Attachments go to a fresh directory (the lazy storage is reset around the test)."""
    root = tmp_path / "private"
    settings.PARTNERDESK_PRIVATE_ROOT = root
    portal_models.private_storage._wrapped = empty
    yield root
    portal_models.private_storage._wrapped = empty


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(name: str, content: bytes = b"%PDF-1.4 demo", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def assert_kept(name: str, original: str) -> None:
    """``name`` is ``original`` with its stem cut to fit 255 characters, extension kept."""
    stem, ext = original.rsplit(".", 1)
    assert len(name) == min(len(original), 255)
    assert name.endswith(f".{ext}")
    assert name == stem[: 255 - len(ext) - 1] + f".{ext}"


# ---------------------------------------------------------------- long file names


@pytest.mark.parametrize(
    ("original", "content_type"),
    [(LONG_PDF, "application/pdf"), (MULTI_DOT, DOCX), (LONG_MULTI_DOT, DOCX)],
)
def test_the_service_cuts_the_stem_and_keeps_the_extension(
    client_user, category, private_root, original, content_type
):
    # Django's UploadedFile shortens a long name itself; a plain File (a caller's own file, an
    # email part) reaches the service whole, so the service must not rely on that.
    task = services.task_submit(
        by=client_user, title="Files", category=category, files=[upload(original)]
    )
    message = services.message_post(
        by=client_user, task=task, body="Again", files=[ContentFile(b"%PDF-1.4", name=original)]
    )
    rows = list(Attachment.objects.filter(task=task).order_by("id"))
    assert [a.message_id for a in rows] == [None, message.pk]
    for row in rows:
        assert_kept(row.name, original)
        assert row.content_type == content_type
    # Each file is stored under a name of its own, whatever the names the client gave.
    assert len({row.file.name for row in rows}) == 2 and len(files_under(private_root)) == 2


def test_the_type_check_judges_the_stored_name(client_user, category, private_root):
    # Characters a name may not keep are removed before the check, not after it.
    task = services.task_submit(
        by=client_user,
        title="Files",
        category=category,
        files=[
            upload("C:\\Users\\mario\\scan.pdf"),
            upload("line\nbreak.pdf\t"),
            upload("right-to-left \u202efdp.pdf"),
        ],
    )
    assert list(task.attachments.order_by("id").values_list("name", flat=True)) == [
        "scan.pdf",
        "line break.pdf",
        "right-to-left fdp.pdf",
    ]
    for name in ("notes.pdf\x00.exe", "a" * 300 + ".exe", "x." + "pdf" * 100, "..", "\x00"):
        with pytest.raises(DomainError) as exc:
            services.validate_upload(SimpleNamespace(name=name, size=10))
        assert exc.value.code == "file_type_not_allowed", name
        assert len(exc.value.message) < 400  # the message names the (shortened) file


@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=400))
def test_any_name_that_passes_the_check_is_stored_valid(name):
    """For any name: either the check refuses it, or the stored name is at most 255 printable
    characters with no path separator and an allowed extension."""
    file = SimpleNamespace(name=name, size=10)  # any name, as a caller's own file may carry
    stored = services.attachment_name(file)
    try:
        services.validate_upload(file)
    except DomainError as exc:
        assert exc.code == "file_type_not_allowed"
        return
    allowed = {t.lower() for t in django_settings.PARTNERDESK_ATTACHMENT_TYPES}
    assert 0 < len(stored) <= 255
    assert stored.isprintable() and "/" not in stored and "\\" not in stored
    assert stored.strip() == stored
    assert PurePath(stored).suffix.lower().lstrip(".") in allowed


@pytest.mark.parametrize("original", [LONG_PDF, MULTI_DOT, LONG_MULTI_DOT])
def test_a_web_upload_keeps_the_extension(client_user, agent, category, original):
    web = login(client_user)
    response = web.post(
        "/portal/tasks/new/",
        {"title": "Files", "category": category.pk, "attachments": [upload(original)]},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    task = Task.objects.get()
    response = web.post(
        f"/portal/tasks/{task.pk}/messages/", {"body": "More", "attachments": [upload(original)]}
    )
    assert response.status_code == 302
    response = login(agent).post(
        f"/app/tasks/{task.pk}/messages/", {"body": "Thanks", "attachments": [upload(original)]}
    )
    assert response.status_code == 302
    names = list(task.attachments.values_list("name", flat=True))
    assert len(names) == 3
    for name in names:
        assert_kept(name, original)


@pytest.mark.parametrize("original", [LONG_PDF, MULTI_DOT, LONG_MULTI_DOT])
def test_an_api_upload_keeps_the_extension(api_client_for, client_user, original):
    task = submit(client_user)
    response = api_client_for(client_user).post(
        f"/api/tasks/{task.pk}/attachments", {"file": upload(original)}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert_kept(body["name"], original)
    # The message that carries the file names it as it is stored.
    assert Message.objects.get(pk=body["message_id"]).body == body["name"]


# ---------------------------------------------------------------- closed tasks take no messages


def complete(client_user, agent):
    task = accepted(client_user, agent, "Done task")
    task = services.task_start(by=agent, task=task)
    task = services.task_deliver(by=agent, task=task)
    return services.task_approve(by=client_user, task=task)


def declined(client_user, agent):
    return services.task_decline(by=agent, task=submit(client_user, "No"), reason="Out of scope")


def withdrawn(client_user, agent):
    return services.task_withdraw(by=client_user, task=submit(client_user, "Never mind"))


CLOSE = {"complete": complete, "declined": declined, "withdrawn": withdrawn}


@pytest.fixture(params=sorted(CLOSE))
def closed(request, client_user, agent, on_duo):
    task = CLOSE[request.param](client_user, agent)
    assert task.status == request.param and not task.is_open
    return task


def assert_closed_error(error: dict | DomainError) -> None:
    code, message = (
        (error.code, str(error.message))
        if isinstance(error, DomainError)
        else (error["code"], error["message"])
    )
    assert code == "task_closed"
    assert "closed" in message and "new request" in message


def test_the_service_refuses_a_message_on_a_closed_task(closed, client_user, agent, private_root):
    events = Event.objects.count()
    for who in (client_user, agent):
        with pytest.raises(DomainError) as exc:
            services.message_post(
                by=who, task=closed, body="One more thing", files=[upload("a.pdf")]
            )
        assert_closed_error(exc.value)
        assert exc.value.status == 409
    assert not closed.messages.exists() and not closed.attachments.exists()
    assert files_under(private_root) == [] and Event.objects.count() == events


def test_the_status_is_read_under_the_lock(client_user, agent):
    """A task object read before it was closed (a page opened earlier) is refused too."""
    task = submit(client_user)
    stale = Task.objects.get(pk=task.pk)
    services.task_decline(by=agent, task=task, reason="Out of scope")
    assert stale.status == Status.TRIAGE
    with pytest.raises(DomainError) as exc:
        services.message_post(by=client_user, task=stale, body="Wait!")
    assert_closed_error(exc.value)
    assert not Message.objects.filter(task=task).exists()


def test_the_pages_hide_the_form_and_refuse_a_stale_post(closed, client_user, agent):
    for user, page, post in (
        (client_user, f"/portal/tasks/{closed.pk}/", f"/portal/tasks/{closed.pk}/messages/"),
        (agent, f"/app/tasks/{closed.pk}/", f"/app/tasks/{closed.pk}/messages/"),
    ):
        web = login(user)
        html = web.get(page).content.decode()
        assert f'action="{post}"' not in html
        assert 'id="messages-closed"' in html and "This task is closed" in html
        response = web.post(post, {"body": "One more thing"})
        assert response.status_code == 400  # a form error, as every refusal on these pages
        html = response.content.decode()
        assert 'role="alert"' in html and "This task is closed" in html
    assert not closed.messages.exists()


def test_open_tasks_still_show_the_form(client_user, agent):
    task = submit(client_user)
    assert f'action="/portal/tasks/{task.pk}/messages/"' in (
        login(client_user).get(f"/portal/tasks/{task.pk}/").content.decode()
    )
    assert f'action="/app/tasks/{task.pk}/messages/"' in (
        login(agent).get(f"/app/tasks/{task.pk}/").content.decode()
    )


def test_the_api_refuses_a_message_or_a_file_on_a_closed_task(closed, api_client_for, client_user):
    api = api_client_for(client_user)
    response = api.post(
        f"/api/tasks/{closed.pk}/messages",
        data={"body": "One more thing"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert_closed_error(response.json())
    response = api.post(f"/api/tasks/{closed.pk}/attachments", {"file": upload("a.pdf")})
    assert response.status_code == 409
    assert_closed_error(response.json())
    assert not closed.messages.exists() and not closed.attachments.exists()


def a_reply(task, user, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = user.email
    message["To"] = f"reply+{mail.make_token(task.pk, user.pk)}@reply.localhost"
    message["Subject"] = f"Re: {task.title}"
    message["Message-ID"] = f"<late-{task.pk}@client.example>"
    message.set_content(text)
    return bytes(message)


def test_a_reply_by_email_to_a_closed_task_bounces_with_the_reason(closed, client_user, mailbox):
    result = inbound.receive(a_reply(closed, client_user, "One more thing, please."))
    assert (result.status, result.reason) == ("bounced", "closed")
    assert not closed.messages.exists()
    (bounce,) = mailbox.to(client_user.email)
    assert "not posted" in bounce.subject
    assert "This task is closed" in bounce.text and "submit a new request" in bounce.text
    assert "write on the task instead" not in bounce.text


def test_an_email_posted_before_the_task_closed_is_a_duplicate_not_a_bounce(client_user, mailbox):
    """The MTA delivers an already posted reply again after the task closed: nothing new, and
    no bounce saying the reply was not posted (it was)."""
    task = submit(client_user)
    raw = a_reply(task, client_user, "Here is the export.")
    assert inbound.receive(raw).status == "posted"
    services.task_withdraw(by=client_user, task=task)
    assert inbound.receive(raw).status == "duplicate"
    assert task.messages.count() == 1
    assert not [m for m in mailbox.to(client_user.email) if "not posted" in m.subject]
