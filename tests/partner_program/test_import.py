"""CSV import of accounts with subscriptions, and of qualifying activities: preview (nothing
written), line-numbered errors, all or nothing at confirm; the page and the API alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnerdesk.core.errors import DomainError
from partnerdesk.partner_program import importing, services
from partnerdesk.partner_program.models import (
    ActivitySource,
    HubSpotAccount,
    QualifyingActivity,
    Relationship,
    Subscription,
)
from tests.conftest import login

pytestmark = pytest.mark.django_db

ACCOUNTS = (
    "Hub ID,Account name,Company,Opened on,Growth market,Product,Seats,MRR,Currency,Start date\n"
    "4417286,Acme Dental,Acme Dental,2020-01-01,no,Marketing Hub Professional,3,800,USD,2024-01-01\n"
    "4417286,Acme Dental,Acme Dental,2020-01-01,no,Sales Hub Starter,2,88,EUR,2024-02-01\n"
    "5550001,Other portal,other.example,2021-05-01,yes,,,,,\n"
)


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path


def upload(text: str, name: str = "file.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), "text/csv")


def test_accounts_preview_writes_nothing_then_confirm_writes_all(
    manager, company, other_company, set_today
):
    outcome = importing.import_preview(by=manager, kind="accounts", uploaded_file=upload(ACCOUNTS))
    assert outcome.is_valid, outcome.errors
    assert outcome.counts == {"create": 3, "update": 0, "unchanged": 0}
    assert [r["line"] for r in outcome.rows] == [2, 3, 4]
    assert not HubSpotAccount.objects.exists()
    assert not Subscription.objects.exists()
    done = importing.import_confirm(by=manager, token=outcome.token)
    assert done.committed
    acme = HubSpotAccount.objects.get(hub_id="4417286")
    assert sorted(acme.subscriptions.values_list("product", "mrr", "currency")) == [
        ("Marketing Hub Professional", 800, "USD"),
        ("Sales Hub Starter", 88, "EUR"),
    ]
    other = HubSpotAccount.objects.get(hub_id="5550001")
    assert (other.company, other.growth_market) == (other_company, True)
    # A token is confirmed once.
    with pytest.raises(DomainError) as gone:
        importing.import_confirm(by=manager, token=outcome.token)
    assert gone.value.status == 404
    # The same file again changes nothing; a new MRR becomes a change from today.
    again = importing.import_preview(
        by=manager, kind="accounts", uploaded_file=upload(ACCOUNTS.replace(",800,", ",900,"))
    )
    assert again.counts == {"create": 0, "update": 1, "unchanged": 2}
    importing.import_confirm(by=manager, token=again.token)
    pro = acme.subscriptions.get(product="Marketing Hub Professional")
    assert pro.mrr == 900
    assert pro.changes.order_by("effective_on").last().effective_on == dt.date(2025, 3, 14)


def test_a_bad_row_is_named_by_line_and_column_and_nothing_is_written(manager, company, set_today):
    text = (
        "Hub ID,Account name,Company,Opened on,Product,MRR,Currency,Start date\n"
        "1001,Good,Acme Dental,2020-01-01,Marketing Hub,100,USD,2024-01-01\n"
        "1002,Negative,Acme Dental,2020-01-01,Sales Hub,-5,USD,2024-01-01\n"
        "1003,Unknown currency,Acme Dental,2020-01-01,Sales Hub,10,XYZ,2024-01-01\n"
        "1004,No company,Nobody Inc,2020-01-01,,,,\n"
        "1005,Early,Acme Dental,2020-01-01,CMS Hub,10,USD,2019-06-01\n"
        "1006,Bad date,Acme Dental,2020-13-01,,,,\n"
    )
    outcome = importing.import_preview(by=manager, kind="accounts", uploaded_file=upload(text))
    assert not outcome.is_valid and outcome.token is None
    found = {(e["line"], e["column"], e["code"]) for e in outcome.errors}
    assert found == {
        (3, "MRR", "negative_mrr"),
        (4, "Currency", "unknown_currency"),
        (5, "Company", "unknown_company"),
        (6, "Start date", "before_account_opened"),
        (7, "Opened on", "invalid_date"),
    }
    assert outcome.counts["create"] == 1  # what the good row would do
    assert not HubSpotAccount.objects.exists()
    storage = importing._storage()
    assert not storage.exists("") or storage.listdir("") == ([], [])  # no file kept


def test_a_file_without_the_required_columns_is_refused(manager, set_today):
    with pytest.raises(DomainError) as refused:
        importing.import_preview(
            by=manager, kind="activities", uploaded_file=upload("Hub ID,Note\n1,x\n")
        )
    assert refused.value.field == "file"
    assert "Employee" in refused.value.message


def test_activities_import(manager, agent, account, set_today):
    text = (
        "Hub ID;Employee;Activity;Tool;Date;Note\n"
        "4417286;agent@agency.test;Published a blog post;Marketing;2025-03-01;Spring\n"
        "4417286;AGENT@agency.test;created a workflow;;2025-03-02;\n"
    )
    outcome = importing.import_preview(by=manager, kind="activities", uploaded_file=upload(text))
    assert outcome.is_valid, outcome.errors
    assert not QualifyingActivity.objects.exists()
    importing.import_confirm(by=manager, token=outcome.token)
    rows = QualifyingActivity.objects.order_by("occurred_on")
    assert [(a.activity_type.key, a.source, a.employee) for a in rows] == [
        ("marketing-blog-post", ActivitySource.IMPORT, agent),
        ("operations-workflow", ActivitySource.IMPORT, agent),
    ]
    assert Relationship.objects.get(account=account).started_on == dt.date(2025, 3, 1)
    # Importing them again leaves them as they are.
    again = importing.import_preview(by=manager, kind="activities", uploaded_file=upload(text))
    assert again.counts == {"create": 0, "update": 0, "unchanged": 2}


def test_activity_rows_with_errors(manager, client_user, account, set_today):
    text = (
        "Hub ID,Employee,Activity,Date\n"
        "4417286,agent-nobody@agency.test,Published a blog post,2025-03-01\n"
        "999,manager@agency.test,Published a blog post,2025-03-01\n"
        "4417286,manager@agency.test,Published a blog post,2025-04-01\n"
        "4417286,manager@agency.test,Danced,2025-03-01\n"
        "4417286,client@acme-dental.com,Published a blog post,2025-03-01\n"
        "4417286,manager@agency.test,Published a blog post,2025-03-02\n"
    )
    outcome = importing.import_preview(by=manager, kind="activities", uploaded_file=upload(text))
    found = {(e["line"], e["column"], e["code"]) for e in outcome.errors}
    assert found == {
        (2, "Employee", "invalid_employee"),
        (3, "Hub ID", "unknown_account"),
        (4, "Date", "date_in_future"),
        (5, "Activity", "unknown_activity"),
        (6, "Employee", "invalid_employee"),
    }
    assert not QualifyingActivity.objects.exists()


def test_confirm_writes_nothing_when_a_row_no_longer_passes(
    manager, company, other_company, set_today
):
    outcome = importing.import_preview(by=manager, kind="accounts", uploaded_file=upload(ACCOUNTS))
    assert outcome.is_valid
    # Meanwhile someone adds the file's first account, opened after its subscriptions start.
    services.account_create(
        by=manager, company=company, hub_id="4417286", name="Acme", opened_on=dt.date(2024, 6, 1)
    )
    done = importing.import_confirm(by=manager, token=outcome.token)
    assert not done.committed
    assert {(e["line"], e["code"]) for e in done.errors} == {
        (2, "before_account_opened"),
        (3, "before_account_opened"),
    }
    # The good row is not written either.
    assert not HubSpotAccount.objects.filter(hub_id="5550001").exists()
    assert not Subscription.objects.exists()


def test_only_managers_import_and_only_their_own_token(manager, admin, agent, company, set_today):
    with pytest.raises(DomainError) as refused:
        importing.import_preview(by=agent, kind="accounts", uploaded_file=upload(ACCOUNTS))
    assert refused.value.status == 403
    outcome = importing.import_preview(by=manager, kind="accounts", uploaded_file=upload(ACCOUNTS))
    with pytest.raises(DomainError) as other:
        importing.import_confirm(by=admin, token=outcome.token)
    assert other.value.status == 404


def test_import_pages(manager, company, other_company, set_today):
    client = login(manager)
    response = client.post(
        reverse("partner_program:import_upload"), {"kind": "accounts", "file": upload(ACCOUNTS)}
    )
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "3 new, 0 updated, 0 unchanged" in preview.content.decode()
    assert not HubSpotAccount.objects.exists()
    confirmed = client.post(response["Location"])
    assert confirmed.status_code == 302
    assert HubSpotAccount.objects.count() == 2
    bad = client.post(
        reverse("partner_program:import_upload"),
        {"kind": "accounts", "file": upload(ACCOUNTS.replace(",800,", ",-800,"))},
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "nothing is imported" in body
    assert "<td>2</td><td>MRR</td>" in body


def test_import_api(api_client_for, manager, company, other_company, set_today):
    api = api_client_for(manager)
    response = api.post("/api/partner/imports", {"kind": "accounts", "file": upload(ACCOUNTS)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["valid"] and body["token"] and body["committed"] is False
    assert body["columns"]["mrr"] == "MRR"
    assert not HubSpotAccount.objects.exists()
    done = api.post(f"/api/partner/imports/{body['token']}/confirm")
    assert done.status_code == 200 and done.json()["committed"] is True
    assert HubSpotAccount.objects.count() == 2
    assert api.post(f"/api/partner/imports/{body['token']}/confirm").status_code == 404
    bad = api.post(
        "/api/partner/imports",
        {"kind": "accounts", "file": upload(ACCOUNTS.replace("USD", "XYZ"))},
    ).json()
    assert bad["valid"] is False and bad["token"] is None
    assert bad["errors"][0]["line"] == 2 and bad["errors"][0]["column"] == "Currency"
    unknown = api.post(
        "/api/partner/imports", {"kind": "accounts", "file": upload(ACCOUNTS), "mode": "x"}
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "mode"
