"""The HubSpot CSV import through the API: the same services as the import pages, so the same
mapping, the same line-numbered errors, the same all-or-nothing run and the same records."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnerdesk.core.models import Event
from partnerdesk.crm.importing import mapping_rows
from partnerdesk.crm.models import Company, Deal, ImportJob, ImportStatus
from tests.conftest import login

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

COMPANIES = (
    "Record ID,Company name,Company Domain Name,Country/Region,Company owner,"
    "Website URL,Annual Revenue\n"
    "1001,Acme Srl,www.Acme.it,Italy,agent@agency.test,acme.it,1000\n"
    "1002,Nile Trading,niletrading.com.eg,EG,Agent,,\n"
    "1003,Gamma GmbH,gamma.de,Germany,,,\n"
)
# Line 3 has a date HubSpot never wrote (31 February), line 5 no Record ID.
DEALS_BAD = (
    "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date\n"
    "5001,Relaunch,Website Creation,New,1200.50,2025-03-31\n"
    "5002,Mailboxes,Website Creation,New,10,31/02/2025\n"
    "5003,Hosting,Website Creation,New,20,\n"
    ",No id,Website Creation,New,10,\n"
)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


@pytest.fixture
def api(agent, api_client_for):
    return api_client_for(agent)


def upload(api, content, name="export.csv", **fields):
    data = content.encode() if isinstance(content, str) else content
    return api.post("/api/imports", {"file": SimpleUploadedFile(name, data), **fields})


def confirm(api, job_id, capture):
    """Confirm, and run the task the commit enqueues (ImmediateBackend) as a worker would."""
    with capture(execute=True):
        return api.post(f"/api/imports/{job_id}/confirm")


def imported_companies() -> dict[str, dict]:
    return {
        c.hubspot_record_id: {
            "name": c.name,
            "domain": c.domain,
            "country": c.country,
            "owner": c.owner_id,
            "properties": c.properties,
            "events": sorted(Event.objects.for_subject(c).values_list("kind", flat=True)),
        }
        for c in Company.objects.filter(hubspot_record_id__isnull=False)
    }


# ---------------------------------------------------------------- the happy path


def test_upload_preview_confirm_and_result(api, agent, django_capture_on_commit_callbacks):
    response = upload(api, COMPANIES, name="companies.csv")

    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["status"], job["object_type"], job["filename"]) == (
        "ready",
        "company",
        "companies.csv",
    )
    assert job["total_rows"] == 3 and job["errors"] == [] and job["error_count"] == 0
    columns = {c["column"]: c for c in job["columns"]}
    assert (columns["Company Domain Name"]["kind"], columns["Company Domain Name"]["target"]) == (
        "field",
        "domain",
    )
    assert columns["Company Domain Name"]["label"] == "Primary domain"
    assert (columns["Website URL"]["kind"], columns["Website URL"]["target"]) == (
        "property",
        "website",
    )
    assert columns["Annual Revenue"]["kind"] == "ignored"
    assert columns["Annual Revenue"]["label"] == "Ignored: no field or property with this name"
    assert job["unmapped_columns"] == ["Annual Revenue"]
    assert job["plan"] == {"create": 3, "update": 0, "unchanged": 0}
    assert job["preview"]["rows"][0]["line"] == 2
    assert "Acme Srl" in job["preview"]["rows"][0]["cells"]
    assert job["result"] is None
    assert not Company.objects.filter(hubspot_record_id__isnull=False).exists()  # preview only

    response = confirm(api, job["id"], django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    done = api.get(f"/api/imports/{job['id']}").json()
    assert done["status"] == "done"
    assert done["result"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert (done["processed_rows"], done["progress_percent"]) == (3, 100)
    assert done["finished_at"] is not None
    acme = Company.objects.get(hubspot_record_id="1001")
    assert (acme.name, acme.domain, acme.country, acme.owner) == (
        "Acme Srl",
        "acme.it",
        "IT",
        agent,
    )

    # Confirming again changes nothing (a retried call must not import twice).
    again = confirm(api, job["id"], django_capture_on_commit_callbacks)
    assert again.status_code == 202
    assert again.json()["status"] == "done"
    assert Company.objects.filter(hubspot_record_id__isnull=False).count() == 3


def test_object_type_chosen_instead_of_detected(api):
    response = upload(
        api, "Record ID,First Name,Email\n1,Ann,ann@example.com\n", object_type="company"
    )

    job = response.json()
    assert response.status_code == 201
    assert (job["object_type"], job["status"]) == ("company", "invalid")
    assert job["errors"][0]["line"] == 1
    assert "looks like an export of contacts" in job["errors"][0]["message"]


def test_progress_while_running(api, agent):
    job = upload(api, COMPANIES).json()
    ImportJob.objects.filter(pk=job["id"]).update(status=ImportStatus.RUNNING, processed_rows=1)

    body = api.get(f"/api/imports/{job['id']}").json()

    assert (body["status"], body["processed_rows"], body["total_rows"]) == ("running", 1, 3)
    assert body["progress_percent"] == 33
    assert body["result"] is None


def test_list_is_paged_newest_first_and_filtered(api):
    first = upload(api, COMPANIES, name="one.csv").json()
    second = upload(api, DEALS_BAD, name="two.csv").json()

    body = api.get("/api/imports", {"limit": 1}).json()
    assert (body["count"], body["limit"]) == (2, 1)
    assert [item["id"] for item in body["items"]] == [second["id"]]
    assert "columns" not in body["items"][0]  # the list is a summary; the job has the rest
    assert api.get("/api/imports", {"offset": 1}).json()["items"][0]["id"] == first["id"]
    invalid = api.get("/api/imports", {"status": "invalid"}).json()
    assert [item["id"] for item in invalid["items"]] == [second["id"]]
    assert invalid["items"][0]["error_count"] == 2
    deals = api.get("/api/imports", {"object_type": "deal"}).json()
    assert [item["id"] for item in deals["items"]] == [second["id"]]
    assert api.get("/api/imports", {"status": "finished"}).status_code == 422


# ---------------------------------------------------------------- bad input


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(
    api, django_capture_on_commit_callbacks
):
    response = upload(api, DEALS_BAD)

    job = response.json()
    assert response.status_code == 201
    assert job["status"] == "invalid"
    assert (job["error_count"], job["bad_rows"], job["errors_truncated"]) == (2, 2, False)
    by_line = {e["line"]: e for e in job["errors"]}
    assert sorted(by_line) == [3, 5]
    assert by_line[3]["column"] == "Close Date"
    assert "31/02/2025" in by_line[3]["message"]
    assert by_line[5]["column"] == "Record ID"
    # All or nothing: the good rows are not imported either, and cannot be.
    response = confirm(api, job["id"], django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert response.json()["code"] == "import_not_ready"
    assert not Deal.objects.exists()
    assert api.get(f"/api/imports/{job['id']}").json()["status"] == "invalid"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", "import_not_csv", id="xlsx"),
        pytest.param(b"%PDF-1.7\n", "import_not_csv", id="pdf"),
        pytest.param(b"Record ID,Company name\n1,\x00\x01\x02\n", "import_not_csv", id="binary"),
        pytest.param(b"", "import_empty", id="empty"),
        pytest.param(b"Record ID,Company name\n", "import_no_rows", id="header-only"),
    ],
)
def test_a_file_that_is_not_csv_is_a_clear_problem(api, content, code):
    response = upload(api, content, name="export.xlsx")

    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == (code, "file")
    assert body["message"]
    assert not ImportJob.objects.exists()


def test_unknown_columns_cannot_tell_the_type(api):
    response = upload(api, "Name,Size\nfoo,3\n")

    body = response.json()
    assert response.status_code == 422
    assert (body["code"], body["field"]) == ("import_unknown_type", "object_type")
    assert "could not tell whether the file holds companies" in body["message"]


def test_unknown_mapping_fields_are_refused(api):
    """The mapping comes from the file's column names; a body that tries to set it (or any
    field the upload does not take) is refused by name, not silently ignored."""
    response = upload(api, COMPANIES, mapping='{"Annual Revenue": "revenue"}')

    body = response.json()
    assert response.status_code == 422
    assert (body["code"], body["field"]) == ("invalid_input", "mapping")
    assert "mapping" in body["message"]
    assert not ImportJob.objects.exists()

    response = upload(api, COMPANIES, object_type="ticket")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert "object_type" in response.json()["field"]
    assert not ImportJob.objects.exists()


def test_upload_without_a_file(api):
    response = api.post("/api/imports", {"object_type": "company"})

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert not ImportJob.objects.exists()


def test_missing_job_is_not_found(api):
    assert api.get("/api/imports/999999").status_code == 404
    assert api.post("/api/imports/999999/confirm").status_code == 404


# ---------------------------------------------------------------- who may import


def test_clients_cannot_see_or_run_an_import(agent, client_user, api_client_for, api):
    job = upload(api, COMPANIES).json()
    client = api_client_for(client_user)

    for response in (
        client.get("/api/imports"),
        client.get(f"/api/imports/{job['id']}"),
        client.post(f"/api/imports/{job['id']}/confirm"),
        client.post("/api/imports", {"file": SimpleUploadedFile("x.csv", COMPANIES.encode())}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert ImportJob.objects.get().status == ImportStatus.READY
    assert ImportJob.objects.count() == 1


# ---------------------------------------------------------------- page and API agree


def test_same_file_gives_the_same_records_through_the_page_and_the_api(
    agent, api, django_capture_on_commit_callbacks
):
    page = login(agent)
    response = page.post(
        reverse("crm:import_upload"),
        {"object_type": "", "file": SimpleUploadedFile("companies.csv", COMPANIES.encode())},
    )
    page_job = ImportJob.objects.get()
    assert response["Location"] == reverse("crm:import_detail", args=[page_job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        page.post(reverse("crm:import_detail", args=[page_job.pk]))
    page_job.refresh_from_db()
    through_page = imported_companies()
    assert page_job.status == ImportStatus.DONE and len(through_page) == 3

    # The API, on the page's records: the same rows match by Record ID and nothing changes.
    preview = upload(api, COMPANIES, name="companies.csv").json()
    assert preview["plan"] == {"create": 0, "update": 0, "unchanged": 3}
    assert preview["columns"] == [
        {**column, "label": str(row["label"]), "secret": row["secret"]}
        for column, row in zip(page_job.mapping["columns"], mapping_rows(page_job), strict=True)
    ]

    # From scratch, the API creates exactly what the page created.
    Company.objects.filter(hubspot_record_id__isnull=False).delete()
    job = upload(api, COMPANIES, name="companies.csv").json()
    confirm(api, job["id"], django_capture_on_commit_callbacks)
    done = api.get(f"/api/imports/{job['id']}").json()
    assert done["result"] == {
        "created": page_job.created_count,
        "updated": page_job.updated_count,
        "unchanged": page_job.unchanged_count,
    }
    assert imported_companies() == through_page
    detail = page.get(reverse("crm:import_detail", args=[job["id"]])).content.decode()
    assert "3 records created" in detail  # the API's job on the page
