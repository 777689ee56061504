"""Issue 9, point 15 (the portal's part): a long file name keeps its extension.

A file's name is cleaned and shortened once, before the type check, so the check judges the
name that is stored: the stem is cut, the extension kept.
"""

from __future__ import annotations

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
from partnerdesk.portal import models as portal_models
from partnerdesk.portal import services
from partnerdesk.portal.models import Attachment, Message, Task
from tests.conftest import login
from tests.portal.conftest import submit

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
    assert Message.objects.get(pk=body["message_id"]).body == f"📎 {body['name']}"
