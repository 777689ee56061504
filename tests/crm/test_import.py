"""HubSpot CSV import: mapping preview, row errors, all-or-nothing writes, idempotent re-import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from partnerdesk.accounts.models import User
from partnerdesk.core import crypto
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe
from partnerdesk.core.models import Event
from partnerdesk.crm import import_views, importing, services
from partnerdesk.crm.importing import jobs, validation
from partnerdesk.crm.models import (
    Company,
    Contact,
    Deal,
    ImportJob,
    ImportStatus,
    Lifecycle,
    LineItem,
    Product,
    Stage,
)
from partnerdesk.crm.tasks import run_import

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


@pytest.fixture
def agent():
    return User.objects.create_user(
        "agent@example.com", "pw", role="agent", full_name="Alice Agent"
    )


@pytest.fixture
def client_user():
    company = Company.objects.create(name="Client Co")
    return User.objects.create_user(
        "client@example.com", "pw", role="client", company=company, client_role="member"
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Confirm a READY job and run the task (ImmediateBackend) as the commit would."""

    def _run(job, by):
        with django_capture_on_commit_callbacks(execute=True):
            importing.import_confirm(job=job, by=by, enqueue=run_import.enqueue)
        job.refresh_from_db()
        return job

    return _run


def upload(by, content, *, name="export.csv", object_type="", encoding="utf-8"):
    data = content.encode(encoding) if isinstance(content, str) else content
    return importing.import_create(
        by=by,
        uploaded_file=SimpleUploadedFile(name, data, content_type="text/csv"),
        object_type=object_type,
    )


def lines_of(job):
    return sorted({e["line"] for e in job.errors})


COMPANIES = (
    "Record ID,Company name,Company Domain Name,Country/Region,Time Zone,Company owner,"
    "Lifecycle Stage,HubSpot Portal ID,Website URL,Number of Employees,Annual Revenue\n"
    "1001,Acme Srl,www.Acme.it,Italy,Europe/Rome,agent@example.com,customer,555,acme.it,25,1000\n"
    "1002,Nile Trading,niletrading.com.eg,EG,Africa/Cairo,Alice Agent,lead,,,,\n"
    "1003,Gamma GmbH,gamma.de,Germany,,,other,,,,\n"
)


# ---------------------------------------------------------------- companies


def test_companies_file_imports_with_mapping_preview(agent, run):
    job = upload(agent, COMPANIES)

    assert job.status == ImportStatus.READY, job.errors
    assert job.object_type == "company"  # detected from the headers
    assert job.total_rows == 3
    mapping = {c["column"]: (c["kind"], c["target"]) for c in job.mapping["columns"]}
    assert mapping["Company Domain Name"] == ("field", "domain")
    assert mapping["Website URL"] == ("property", "website")
    assert mapping["Number of Employees"] == ("property", "employees")
    assert mapping["Annual Revenue"] == ("ignored", "unknown")
    assert job.unmapped_columns == ["Annual Revenue"]
    assert job.mapping["plan"] == {"create": 3, "update": 0, "unchanged": 0}
    first = job.mapping["preview"]["rows"][0]
    assert first["line"] == 2 and first["action"] == "create"
    assert "IT" in first["cells"] and "acme.it" in first["cells"]
    assert Company.objects.filter(hubspot_record_id__isnull=False).count() == 0  # preview only

    job = run(job, agent)

    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0)
    assert job.processed_rows == 3
    assert not job.file  # the file (which may hold secrets) is not kept after the import
    acme = Company.objects.get(hubspot_record_id="1001")
    assert acme.name == "Acme Srl"
    assert acme.domain == "acme.it"
    assert acme.country == "IT"
    assert acme.timezone == "Europe/Rome"
    assert acme.owner == agent
    assert acme.lifecycle == Lifecycle.CLIENT
    assert acme.hub_id == "555"
    assert acme.properties == {"website": "https://acme.it", "employees": 25}
    nile = Company.objects.get(hubspot_record_id="1002")
    assert nile.owner == agent  # matched by the owner's full name, as HubSpot exports it
    assert nile.lifecycle == Lifecycle.PROSPECT
    assert Company.objects.get(hubspot_record_id="1003").lifecycle == Lifecycle.PROSPECT
    kinds = list(Event.objects.for_subject(acme).values_list("kind", flat=True))
    assert sorted(kinds) == ["company.created", "record.imported"]
    imported = Event.objects.for_subject(acme).get(kind="record.imported")
    assert imported.data["file"] == "export.csv"
    assert "export.csv" in describe(imported)


def test_reimport_changes_nothing_and_records_no_event(agent, run):
    run(upload(agent, COMPANIES), agent)
    events = Event.objects.count()
    before = list(Company.objects.order_by("pk").values())

    job = run(upload(agent, COMPANIES), agent)

    assert job.mapping["plan"] == {"create": 0, "update": 0, "unchanged": 3}
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 3)
    assert Event.objects.count() == events
    assert list(Company.objects.order_by("pk").values()) == before


def test_changed_value_updates_the_record_with_one_event(agent, run):
    run(upload(agent, COMPANIES), agent)
    changed = COMPANIES.replace("gamma.de,Germany", "gamma-group.de,Austria")

    job = upload(agent, changed)
    assert job.mapping["plan"] == {"create": 0, "update": 1, "unchanged": 2}
    assert job.mapping["preview"]["rows"][2]["action"] == "update"
    job = run(job, agent)

    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 2)
    gamma = Company.objects.get(hubspot_record_id="1003")
    assert (gamma.domain, gamma.country) == ("gamma-group.de", "AT")
    event = Event.objects.for_subject(gamma).get(kind="record.import_updated")
    assert event.actor == agent
    assert event.data["file"] == "export.csv"
    assert {c["field"]: (c["old"], c["new"]) for c in event.data["changes"]} == {
        "domain": ("gamma.de", "gamma-group.de"),
        "country": ("DE", "AT"),
    }
    assert "gamma-group.de" in describe(event)
    assert not Event.objects.filter(kind="company.updated").exists()


def test_empty_cells_leave_existing_values(agent, run):
    run(upload(agent, COMPANIES), agent)
    blanked = (
        "Record ID,Company name,Company Domain Name,Country/Region,Company owner\n"
        "1001,Acme Srl,,,\n"
    )
    job = run(upload(agent, blanked), agent)

    assert job.unchanged_count == 1
    acme = Company.objects.get(hubspot_record_id="1001")
    assert (acme.domain, acme.country, acme.owner) == ("acme.it", "IT", agent)


# ---------------------------------------------------------------- bad rows


DEALS_BAD = (
    "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date,Deal owner,Currency\n"
    '5001,"Website\nrelaunch",Website Creation,New,1200.50,2025-03-31,agent@example.com,EUR\n'
    "5002,Mailboxes,Email Subscription,Qualified,300,31/02/2025,,\n"
    "5003,Domain move,Domain Services,New,,2025-05-01 00:00,,\n"
)


def test_one_bad_row_imports_nothing_and_names_the_row(agent, run):
    job = upload(agent, DEALS_BAD)

    assert job.status == ImportStatus.INVALID
    # Line 2-3 hold the first deal (a quoted value spans two lines): the bad row is on line 4.
    assert job.errors == [
        {
            "line": 4,
            "column": "Close Date",
            "message": (
                "“31/02/2025” is not a date; write it as YYYY-MM-DD (for example 2025-03-31)."
            ),
            "code": "invalid",
        }
    ]
    assert job.mapping["bad_rows"] == 1
    assert not job.file  # nothing to run: the file is not kept
    with pytest.raises(DomainError) as exc:
        importing.import_confirm(job=job, by=agent, enqueue=run_import.enqueue)
    assert exc.value.code == "import_not_ready"
    assert not Deal.objects.exists()

    fixed = run(upload(agent, DEALS_BAD.replace("31/02/2025", "2025-02-28")), agent)

    assert fixed.status == ImportStatus.DONE
    assert fixed.created_count == 3
    relaunch = Deal.objects.get(hubspot_record_id="5001")
    assert relaunch.name == "Website\nrelaunch"
    assert (relaunch.pipeline.name, relaunch.stage.name) == ("Website Creation", "New")
    assert relaunch.amount == Decimal("1200.50")
    assert relaunch.currency == "EUR"
    assert relaunch.owner == agent
    assert Deal.objects.get(hubspot_record_id="5002").close_date == dt.date(2025, 2, 28)
    assert Deal.objects.get(hubspot_record_id="5003").close_date == dt.date(2025, 5, 1)
    events = Event.objects.count()

    again = run(upload(agent, DEALS_BAD.replace("31/02/2025", "2025-02-28")), agent)

    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert Deal.objects.count() == 3
    assert Event.objects.count() == events


def test_every_bad_row_is_reported_with_line_and_reason(agent):
    content = (
        "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Close Date\n"
        "6001,Good deal,Website Creation,New,10,2025-01-01\n"
        "6002,,Website Creation,New,10,\n"  # no name
        "6003,Bad stage,Website Creation,Negotiation,10,\n"  # unknown stage
        "6004,Bad amount,Website Creation,New,lots,\n"  # not a number
        "6001,Twice,Website Creation,New,10,\n"  # duplicate Record ID
        ",No id,Website Creation,New,10,\n"  # no Record ID
        "6007,Bad pipeline,Nope,New,10,\n"  # unknown pipeline
        "6008,Ambiguous,,Closed Won,10,\n"  # stage in several pipelines
    )
    job = upload(agent, content)

    assert job.status == ImportStatus.INVALID
    assert lines_of(job) == [3, 4, 5, 6, 7, 8, 9]
    by_line = {e["line"]: e for e in job.errors}
    assert by_line[3]["column"] == "Deal Name" and "needs a name" in by_line[3]["message"]
    assert by_line[4]["column"] == "Deal Stage" and "Negotiation" in by_line[4]["message"]
    assert by_line[5]["column"] == "Amount" and "lots" in by_line[5]["message"]
    assert "also on line 2" in by_line[6]["message"]
    assert by_line[7]["column"] == "Record ID" and "empty" in by_line[7]["message"]
    assert by_line[8]["column"] == "Pipeline" and "Nope" in by_line[8]["message"]
    assert "Several pipelines" in by_line[9]["message"]
    assert not Deal.objects.exists()


def test_error_list_is_capped(agent, monkeypatch):
    monkeypatch.setattr(validation, "MAX_STORED_ERRORS", 5)
    rows = "".join(f"{n},,Website Creation,New\n" for n in range(1, 21))
    job = upload(agent, "Record ID,Deal Name,Pipeline,Deal Stage\n" + rows)

    assert len(job.errors) == 5
    assert job.mapping["error_count"] == 20
    assert job.mapping["bad_rows"] == 20


# ---------------------------------------------------------------- contacts


def test_contacts_with_associated_company(agent, run):
    acme = services.company_create(by=agent, name="Acme Srl", hubspot_record_id="1001")
    nile = services.company_create(by=agent, name="Nile Trading")
    content = (
        "Record ID,First Name,Last Name,Email,Phone Number,Job Title,Associated Company,"
        "Contact owner,Preferred language\n"
        "201,Maria,Rossi,Maria.Rossi@Acme.it,+39 06 123,CEO,1001,agent@example.com,Italian\n"
        "202,Omar,Hassan,omar@nile.eg,,,nile trading,,Arabic\n"
        "203,,,ops@acme.it,,,Acme Srl,,\n"
    )
    job = run(upload(agent, content), agent)

    assert job.status == ImportStatus.DONE, job.errors
    assert job.object_type == "contact"
    maria = Contact.objects.get(hubspot_record_id="201")
    assert (maria.company, maria.email, maria.owner) == (acme, "maria.rossi@acme.it", agent)
    assert maria.properties == {"preferred_language": "Italian"}
    assert Contact.objects.get(hubspot_record_id="202").company == nile  # by name, any case
    assert Contact.objects.get(hubspot_record_id="203").company == acme
    created = Event.objects.for_subject(maria).get(kind="record.imported")
    assert created.company_id == acme.pk  # on the company's timeline too


def test_contacts_unknown_company_and_bad_values_are_row_errors(agent):
    services.company_create(by=agent, name="Twin")
    services.company_create(by=agent, name="twin")
    content = (
        "Record ID,First Name,Email,Associated Company,Contact owner,Preferred language\n"
        "301,Ann,ann@example.com,Nowhere Inc,,\n"
        "302,Bob,not-an-email,,,\n"
        "303,Cy,cy@example.com,Twin,,\n"
        "304,Di,di@example.com,,nobody@example.com,Klingon\n"
        "305,,,,,\n"
    )
    job = upload(agent, content)

    assert job.status == ImportStatus.INVALID
    by_line: dict[int, list] = {}
    for error in job.errors:
        by_line.setdefault(error["line"], []).append(error)
    assert (
        "Nowhere Inc" in by_line[2][0]["message"]
        and "Import the companies" in by_line[2][0]["message"]
    )
    assert by_line[3][0]["column"] == "Email"
    assert "Several companies" in by_line[4][0]["message"]
    assert {e["column"] for e in by_line[5]} == {"Contact owner", "Preferred language"}
    assert "first name, a last name or an email" in by_line[6][0]["message"]
    assert not Contact.objects.exists()


# ---------------------------------------------------------------- deals and stage rules


def test_deal_entering_a_stage_needs_its_required_properties(agent):
    content = (
        "Record ID,Deal Name,Pipeline,Deal Stage,Domain name,Number of licences\n"
        # Email Subscription / Closed Won requires mailbox names, domain, licences, line items.
        "7001,Mail for Acme,Email Subscription,Closed Won,acme.it,5\n"
        # Website Annual Renewal / Renewed requires the website domain: no such column.
        "7002,Renewal Acme,Website Annual Renewal,Renewed,,\n"
    )
    job = upload(agent, content)

    assert job.status == ImportStatus.INVALID
    first = [e for e in job.errors if e["line"] == 2]
    messages = " | ".join(e["message"] for e in first)
    assert "line items cannot be imported from a CSV file" in messages
    assert "Purchased mailbox names is required" in messages
    second = [e for e in job.errors if e["line"] == 3]
    assert second[0]["column"] == "Deal Stage"
    assert "Website domain is required" in second[0]["message"]
    assert "add a “Website domain” column" in second[0]["message"]
    assert not Deal.objects.exists()


def test_existing_deal_with_line_items_can_be_moved_to_won(agent, run):
    content = (
        "Record ID,Deal Name,Pipeline,Deal Stage,Domain name,Purchased mailbox names,"
        "Number of licences,Registrar password\n"
        "7101,Mail for Acme,Email Subscription,Qualified,acme.it,info; sales,2,s3cret\n"
    )
    job = run(upload(agent, content), agent)
    assert job.status == ImportStatus.DONE, job.errors
    deal = Deal.objects.get(hubspot_record_id="7101")
    assert deal.secrets["registrar_password"] != "s3cret"
    assert crypto.decrypt(deal.secrets["registrar_password"]) == "s3cret"
    assert job.mapping["preview"]["rows"][0]["cells"][-1] == "••••••"

    won = content.replace("Qualified", "Closed Won")
    blocked = upload(agent, won)
    assert blocked.status == ImportStatus.INVALID
    assert "line items" in blocked.errors[0]["message"]

    LineItem.objects.create(deal=deal, product=Product.objects.first(), unit_price=Decimal("2"))
    moved = run(upload(agent, won), agent)

    assert moved.status == ImportStatus.DONE, moved.errors
    assert (moved.updated_count, moved.unchanged_count) == (1, 0)
    deal.refresh_from_db()
    assert deal.stage.name == "Closed Won" and deal.closed_at is not None
    assert Event.objects.for_subject(deal).filter(kind="deal.stage_changed").count() == 1
    assert not Event.objects.for_subject(deal).filter(kind="record.import_updated").exists()


def test_run_revalidates_and_writes_nothing_when_data_changed(
    agent, django_capture_on_commit_callbacks
):
    content = "Record ID,Deal Name,Pipeline,Deal Stage\n8001,Site,Website Creation,New\n"
    job = upload(agent, content)
    assert job.status == ImportStatus.READY
    Stage.objects.filter(
        pipeline__object_type="deal", pipeline__name="Website Creation", name="New"
    ).update(name="Intake")

    with django_capture_on_commit_callbacks(execute=True):
        importing.import_confirm(job=job, by=agent, enqueue=run_import.enqueue)
    job.refresh_from_db()

    assert job.status == ImportStatus.INVALID
    assert job.errors[0]["line"] == 2 and "Intake" in job.errors[0]["message"]
    assert not Deal.objects.exists()


def test_record_id_saved_by_someone_else_meanwhile_rolls_everything_back(agent, run, monkeypatch):
    content = (
        "Record ID,Deal Name,Pipeline,Deal Stage\n"
        "8101,First,Website Creation,New\n"
        "8102,Second,Website Creation,New\n"
    )
    job = upload(agent, content)
    real_prepare = importing.prepare

    def prepare_then_race(*args, **kwargs):
        prepared = real_prepare(*args, **kwargs)
        pipeline = Stage.objects.get(
            pipeline__object_type="deal", pipeline__name="Website Creation", name="New"
        ).pipeline
        services.deal_create(by=agent, name="Other", pipeline=pipeline, hubspot_record_id="8102")
        return prepared

    monkeypatch.setattr(jobs, "prepare", prepare_then_race)
    job = run(job, agent)

    assert job.status == ImportStatus.INVALID
    assert job.errors[0]["line"] == 3
    assert "Record ID was saved while the import ran" in job.errors[0]["message"]
    assert list(Deal.objects.values_list("name", flat=True)) == ["Other"]


def test_task_is_idempotent(agent, run):
    job = run(upload(agent, COMPANIES), agent)
    events = Event.objects.count()

    result = run_import.call(job.pk)  # a retried or duplicated task
    importing.import_confirm(job=job, by=agent, enqueue=run_import.enqueue)  # a second click

    job.refresh_from_db()
    assert result["status"] == "done"
    assert job.status == ImportStatus.DONE and job.created_count == 3
    assert Company.objects.filter(hubspot_record_id__isnull=False).count() == 3
    assert Event.objects.count() == events
    assert run_import.call(999_999)["status"] == "missing"


def test_unexpected_error_fails_the_job_and_writes_nothing(agent, run, monkeypatch):
    def explode(ctx, prepared, line, cells):
        raise RuntimeError("boom")

    job = upload(agent, COMPANIES)
    monkeypatch.setattr(validation, "check_row", explode)
    job = run(job, agent)  # the ImmediateBackend records the task's exception

    assert job.status == ImportStatus.FAILED
    assert "nothing was imported" in job.errors[0]["message"]
    assert not job.file
    assert not Company.objects.filter(hubspot_record_id__isnull=False).exists()


def test_run_reports_progress_while_checking_rows(agent, run, monkeypatch):
    monkeypatch.setattr(validation, "BATCH_SIZE", 2)
    seen = []
    real = jobs._set_progress
    monkeypatch.setattr(jobs, "_set_progress", lambda job_id, n: (seen.append(n), real(job_id, n)))
    job = run(upload(agent, COMPANIES), agent)

    assert seen == [2, 3]
    assert (job.processed_rows, job.total_rows, job.progress_percent) == (3, 3, 100)


def test_progress_is_written_per_batch(agent, monkeypatch):
    monkeypatch.setattr(validation, "BATCH_SIZE", 2)
    seen = []
    data = ("Record ID,Company name\n" + "".join(f"{n},Co {n}\n" for n in range(5))).encode()
    importing.prepare(data, progress=seen.append)
    assert seen == [2, 4, 5]


# ---------------------------------------------------------------- file-level problems


def test_bom_and_semicolon_delimiter(agent, run):
    content = "\ufeffRecord ID;Company name;Country/Region\r\n9001;Café Roma;Italia\r\n"
    job = upload(agent, content)

    assert job.status == ImportStatus.READY, job.errors
    assert (job.mapping["delimiter"], job.mapping["encoding"]) == (";", "utf-8-sig")
    run(job, agent)
    cafe = Company.objects.get(hubspot_record_id="9001")
    assert (cafe.name, cafe.country) == ("Café Roma", "IT")


def test_excel_separator_hint_line(agent):
    job = upload(agent, "sep=;\nRecord ID;Company name\n9201;Acme, Inc.\n")

    assert job.status == ImportStatus.READY, job.errors
    assert job.mapping["delimiter"] == ";"
    assert job.mapping["preview"]["rows"][0]["line"] == 3
    assert "Acme, Inc." in job.mapping["preview"]["rows"][0]["cells"]


def test_tab_delimited_windows_1252_file(agent):
    job = upload(agent, "Record ID\tCompany name\n9101\tCafé Noir\n", encoding="cp1252")

    assert job.status == ImportStatus.READY, job.errors
    assert (job.mapping["delimiter"], job.mapping["encoding"]) == ("\t", "cp1252")
    assert "Café Noir" in job.mapping["preview"]["rows"][0]["cells"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "import_empty"),
        (b"\xef\xbb\xbf\r\n  \n", "import_empty"),
        (b"Record ID,Company name\n", "import_no_rows"),
        (b"PK\x03\x04\x14\x00\x06\x00", "import_not_csv"),
        (b"Record ID,Company name\n1,\x00\x01\x02\n", "import_not_csv"),
        (b"Record ID,Company name\n1,\x81\x8d\x8f\n", "import_encoding"),
        (b"Name,Size\nfoo,3\n", "import_unknown_type"),
    ],
)
def test_unreadable_files_are_clear_errors(agent, content, code):
    with pytest.raises(DomainError) as exc:
        upload(agent, content)
    assert exc.value.code == code
    assert exc.value.message
    assert not ImportJob.objects.exists()


def test_file_over_the_size_limit(agent, settings):
    settings.IMPORT_MAX_BYTES = 20
    with pytest.raises(DomainError) as exc:
        upload(agent, COMPANIES)
    assert exc.value.code == "import_too_large"


def test_wrong_headers_for_the_chosen_type(agent):
    job = upload(
        agent, "Record ID,First Name,Email\n1,Ann,ann@example.com\n", object_type="company"
    )

    assert job.status == ImportStatus.INVALID
    assert job.errors[0]["line"] == 1
    assert "no “Company name” column" in job.errors[0]["message"]
    assert "looks like an export of contacts" in job.errors[0]["message"]

    job = upload(agent, "Company name,Company Domain Name\nAcme,acme.it\n")
    assert job.status == ImportStatus.INVALID
    assert "no “Record ID” column" in job.errors[0]["message"]


def test_broken_quoting_names_the_line(agent):
    job = upload(agent, 'Record ID,Company name\n1,Acme\n2,"Beta\n3,Gamma\n')
    assert job.status == ImportStatus.INVALID
    assert job.errors[0]["line"] is not None


# ---------------------------------------------------------------- pages


def test_client_user_gets_404_on_every_import_page(agent, client_user):
    job = upload(agent, COMPANIES)
    factory = RequestFactory()
    for view, args in (
        (import_views.import_upload, ()),
        (import_views.import_detail, (job.pk,)),
        (import_views.import_progress, (job.pk,)),
    ):
        request = factory.get("/")
        request.user = client_user
        with pytest.raises(Http404):
            view(request, *args)


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("crm:import_upload"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_upload_preview_confirm_and_progress_through_the_pages(
    client, agent, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    page = client.get(reverse("crm:import_upload"))
    assert page.status_code == 200

    response = client.post(
        reverse("crm:import_upload"),
        {"object_type": "", "file": SimpleUploadedFile("companies.csv", COMPANIES.encode())},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:import_detail", args=[job.pk])

    detail = client.get(response["Location"]).content.decode()
    assert 'id="import-mapping"' in detail and "Company Domain Name" in detail
    assert "Ignored: no field or property with this name" in detail  # Annual Revenue
    assert 'id="import-preview"' in detail and "Acme Srl" in detail
    assert "Import 3 records" in detail

    # While the import runs, the fragment polls every second and shows the progress.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=1)
    running = client.get(reverse("crm:import_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in running and "<progress" in running
    assert "Checked 1 of 3 rows" in running
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.READY, processed_rows=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("crm:import_detail", args=[job.pk]))
    assert response.status_code == 302

    done = client.get(reverse("crm:import_progress", args=[job.pk]))
    html = done.content.decode()
    assert done.status_code == 200
    assert "<html" not in html  # the fragment only
    assert "hx-trigger" not in html  # polling stops
    assert "3 records created" in html and "0 records unchanged" in html
    assert Company.objects.filter(hubspot_record_id__isnull=False).count() == 3


def test_upload_page_shows_file_errors_on_the_form(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("crm:import_upload"), {"file": SimpleUploadedFile("empty.csv", b"")}
    )
    # An empty upload is rejected by the form field itself; an unreadable one by the service.
    assert response.status_code == 400
    response = client.post(
        reverse("crm:import_upload"), {"file": SimpleUploadedFile("x.csv", b"Name,Size\na,1\n")}
    )
    assert response.status_code == 400
    assert "could not tell whether the file holds companies" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_invalid_job_page_lists_the_errors(client, agent):
    job = upload(agent, DEALS_BAD)
    client.force_login(agent)
    html = client.get(reverse("crm:import_detail", args=[job.pk])).content.decode()
    assert 'id="import-errors"' in html
    assert "31/02/2025" in html
    assert "1 row has problems, so nothing was imported" in html
    assert "Import 3 records" not in html
