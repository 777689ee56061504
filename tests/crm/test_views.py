"""Staff CRM pages: forms show service errors beside fields, the move form, lists, exports."""

from __future__ import annotations

import csv
import io

import pytest

from partnerdesk.crm import services
from partnerdesk.crm.models import Company, Contact, Deal, Pipeline
from tests.conftest import login

pytestmark = pytest.mark.django_db

SECRET = "registrar-Pa55word"
HTMX = {"HTTP_HX_REQUEST": "true"}


def won_stage():
    return Pipeline.objects.get(object_type="deal", name="Email Subscription").stages.get(
        name="Closed Won"
    )


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    "path",
    ["/app/", "/app/companies/", "/app/deals/", "/app/contacts/", "/app/deals/board/"],
)
def test_pages_render_for_staff(path, agent, deal):
    assert login(agent).get(path).status_code == 200


def test_client_users_do_not_see_staff_pages(client_user, deal, company):
    client = login(client_user)
    for path in (
        "/app/",
        "/app/companies/",
        f"/app/companies/{company.pk}/",
        f"/app/deals/{deal.pk}/",
        "/app/deals/export.csv",
    ):
        assert client.get(path).status_code == 404


def test_anonymous_redirected_to_login(client):
    response = client.get("/app/companies/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# ---------------------------------------------------------------- forms


class TestCompanyForm:
    def test_bad_domain_shown_beside_field_and_nothing_written(self, agent):
        before = Company.objects.count()
        response = login(agent).post(
            "/app/companies/new/",
            {"name": "Broken", "domain": "not a domain", "lifecycle": "client"},
        )
        assert response.status_code == 400
        body = response.content.decode()
        assert 'id="err-domain"' in body
        error_html = body[body.index('id="err-domain"') :]
        assert "is not a domain name" in error_html[:300]
        assert response.context["form"].errors["domain"]
        assert Company.objects.count() == before

    def test_bad_property_shown_beside_its_field(self, agent):
        response = login(agent).post(
            "/app/companies/new/",
            {"name": "Props", "lifecycle": "client", "prop__employees": "lots"},
        )
        assert response.status_code == 400
        assert 'id="err-prop__employees"' in response.content.decode()
        assert not Company.objects.filter(name="Props").exists()

    def test_create_and_edit(self, agent):
        client = login(agent)
        response = client.post(
            "/app/companies/new/",
            {
                "name": "Good Co",
                "domain": "https://www.good.example/",
                "country": "it",
                "lifecycle": "prospect",
                "prop__industry": "Retail",
            },
        )
        company = Company.objects.get(name="Good Co")
        assert response.status_code == 302
        assert response["Location"] == f"/app/companies/{company.pk}/"
        assert (company.domain, company.country) == ("good.example", "IT")
        assert company.properties == {"industry": "Retail"}
        response = client.post(
            f"/app/companies/{company.pk}/edit/",
            {"name": "Good Co", "domain": "good.example", "lifecycle": "client", "timezone": "X"},
        )
        assert response.status_code == 400
        assert 'id="err-timezone"' in response.content.decode()
        company.refresh_from_db()
        assert company.lifecycle == "prospect"

    def test_detail_shows_timeline(self, agent, company):
        response = login(agent).get(f"/app/companies/{company.pk}/")
        assert response.status_code == 200
        assert "Company created" in response.content.decode()


class TestContactAndDealForms:
    def test_contact_needs_name_or_email(self, agent):
        response = login(agent).post("/app/contacts/new/", {"phone": "123"})
        assert response.status_code == 400
        assert 'id="err-first_name"' in response.content.decode()

    def test_contact_language_of_emails(self, agent):
        response = login(agent).post(
            "/app/contacts/new/", {"first_name": "Mona", "language": "ar"}, follow=True
        )
        assert response.status_code == 200
        assert Contact.objects.get(first_name="Mona").language == "ar"
        assert "<dd>Arabic</dd>" in response.content.decode()  # the contact page names it
        response = login(agent).post("/app/contacts/new/", {"first_name": "Luca", "language": "xx"})
        assert response.status_code == 400
        assert 'id="err-language"' in response.content.decode()

    def test_deal_create_bad_currency(self, agent, email_pipeline):
        before = Deal.objects.count()
        response = login(agent).post(
            "/app/deals/new/",
            {"name": "D", "pipeline": email_pipeline.pk, "currency": "EURO", "amount": "1"},
        )
        assert response.status_code == 400
        assert Deal.objects.count() == before

    def test_deal_create_into_won_stage_names_missing(self, agent, email_pipeline):
        response = login(agent).post(
            "/app/deals/new/",
            {
                "name": "D",
                "pipeline": email_pipeline.pk,
                "stage": won_stage().pk,
                "currency": "USD",
            },
        )
        assert response.status_code == 400
        body = response.content.decode()
        for label in ("Purchased mailbox names", "Domain name", "Number of licences"):
            assert label in body
        assert not Deal.objects.filter(name="D").exists()


# ---------------------------------------------------------------- deal move


class TestDealMove:
    def test_missing_properties_named_and_stage_unchanged(self, agent, deal):
        response = login(agent).post(f"/app/deals/{deal.pk}/move/", {"stage": won_stage().pk})
        assert response.status_code == 422
        body = response.content.decode()
        assert "<html" in body
        for label in ("Purchased mailbox names", "Domain name", "Number of licences"):
            assert label in body
        # The prompted fields are in the move form.
        for name in ("purchased_mailbox_names", "domain_name", "number_of_licences"):
            assert f'name="prop__{name}"' in body
        deal.refresh_from_db()
        assert deal.stage.name == "New"

    def test_htmx_gets_the_fragment(self, agent, deal):
        response = login(agent).post(
            f"/app/deals/{deal.pk}/move/", {"stage": won_stage().pk}, **HTMX
        )
        assert response.status_code == 422
        body = response.content.decode()
        assert "<html" not in body
        assert body.lstrip().startswith("<form")
        assert 'id="move-form"' in body
        assert "Purchased mailbox names" in body
        deal.refresh_from_db()
        assert deal.stage.name == "New"

    def test_filling_prompted_fields_moves_the_deal(self, agent, deal):
        won = won_stage()
        response = login(agent).post(
            f"/app/deals/{deal.pk}/move/",
            {
                "stage": won.pk,
                "prop__purchased_mailbox_names": "info@acme-dental.com",
                "prop__domain_name": "acme-dental.com",
                "prop__number_of_licences": "5",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == f"/app/deals/{deal.pk}/"
        deal.refresh_from_db()
        assert deal.stage == won
        assert deal.properties["number_of_licences"] == 5
        assert deal.properties["domain_name"] == "acme-dental.com"

    def test_filling_some_fields_keeps_errors_and_writes_nothing(self, agent, deal):
        response = login(agent).post(
            f"/app/deals/{deal.pk}/move/",
            {"stage": won_stage().pk, "prop__domain_name": "acme-dental.com"},
        )
        assert response.status_code == 422
        body = response.content.decode()
        assert "Purchased mailbox names" in body
        deal.refresh_from_db()
        assert deal.stage.name == "New"
        # The partial input was not saved on its own (the move and the values are one step).
        assert "domain_name" not in deal.properties

    def test_invalid_prompted_value(self, agent, deal):
        response = login(agent).post(
            f"/app/deals/{deal.pk}/move/",
            {
                "stage": won_stage().pk,
                "prop__purchased_mailbox_names": "info@acme-dental.com",
                "prop__domain_name": "acme-dental.com",
                "prop__number_of_licences": "five",
            },
        )
        assert response.status_code == 422
        assert 'id="err-prop__number_of_licences"' in response.content.decode()
        deal.refresh_from_db()
        assert deal.stage.name == "New"

    def test_htmx_success_refreshes(self, agent, deal, email_pipeline):
        qualified = email_pipeline.stages.get(name="Qualified")
        response = login(agent).post(f"/app/deals/{deal.pk}/move/", {"stage": qualified.pk}, **HTMX)
        assert response.status_code in (200, 204)
        assert response["HX-Refresh"] == "true"
        deal.refresh_from_db()
        assert deal.stage == qualified

    def test_choosing_a_stage_prompts_its_missing_fields(self, agent, deal):
        response = login(agent).get(
            f"/app/deals/{deal.pk}/move/", {"stage": won_stage().pk}, **HTMX
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body
        for name in ("purchased_mailbox_names", "domain_name", "number_of_licences"):
            assert f'name="prop__{name}"' in body
        deal.refresh_from_db()
        assert deal.stage.name == "New"

    @pytest.mark.parametrize("stage", ["", "abc", "1" * 30])
    def test_choosing_a_bad_stage_does_not_fail(self, agent, deal, stage):
        response = login(agent).get(f"/app/deals/{deal.pk}/move/", {"stage": stage})
        assert response.status_code == 200

    @pytest.mark.parametrize("stage", ["", "abc", "999999999", "-1", "1" * 30])
    def test_bad_stage_value(self, agent, deal, stage):
        response = login(agent).post(f"/app/deals/{deal.pk}/move/", {"stage": stage})
        assert response.status_code == 422
        deal.refresh_from_db()
        assert deal.stage.name == "New"

    def test_move_records_timeline(self, agent, deal, email_pipeline):
        client = login(agent)
        client.post(
            f"/app/deals/{deal.pk}/move/",
            {"stage": email_pipeline.stages.get(name="Qualified").pk},
        )
        body = client.get(f"/app/deals/{deal.pk}/").content.decode()
        assert "Stage moved from New to Qualified" in body


class TestLineItemViews:
    def test_add_invalid_quantity(self, agent, deal, product):
        response = login(agent).post(
            f"/app/deals/{deal.pk}/line-items/", {"product": product.pk, "quantity": "0"}
        )
        assert response.status_code == 422
        assert deal.line_items.count() == 1

    def test_add_and_remove(self, agent, deal, product):
        client = login(agent)
        response = client.post(
            f"/app/deals/{deal.pk}/line-items/", {"product": product.pk, "quantity": "2"}
        )
        assert response.status_code == 302
        assert deal.line_items.count() == 2
        item = deal.line_items.last()
        response = client.post(f"/app/deals/{deal.pk}/line-items/{item.pk}/delete/")
        assert response.status_code == 302
        assert deal.line_items.count() == 1

    def test_remove_item_of_another_deal_is_404(self, agent, deal, other_deal, product):
        item = deal.line_items.first()
        response = login(agent).post(f"/app/deals/{other_deal.pk}/line-items/{item.pk}/delete/")
        assert response.status_code == 404
        assert deal.line_items.count() == 1


# ---------------------------------------------------------------- lists


@pytest.fixture
def many_companies(db, agent):
    Company.objects.bulk_create(
        [
            Company(
                name=f"Bulk {i:02d}",
                domain=f"bulk{i:02d}.example",
                lifecycle="prospect" if i % 2 else "client",
                owner=agent if i < 5 else None,
                country="IT",
            )
            for i in range(30)
        ]
    )


class TestLists:
    def test_search(self, agent, many_companies, company):
        response = login(agent).get("/app/companies/", {"q": "acme-DENTAL"})
        assert [c.name for c in response.context["objects"]] == ["Acme Dental"]

    def test_filters(self, agent, many_companies):
        client = login(agent)
        response = client.get("/app/companies/", {"lifecycle": "prospect"})
        assert response.context["page"].paginator.count == 15
        response = client.get("/app/companies/", {"owner": agent.pk})
        assert response.context["page"].paginator.count == 5

    def test_sort_and_pagination(self, agent, many_companies):
        client = login(agent)
        page1 = client.get("/app/companies/", {"sort": "-name"})
        names = [c.name for c in page1.context["objects"]]
        assert len(names) == 25
        assert names[0] == "Bulk 29"
        page2 = client.get("/app/companies/", {"sort": "-name", "page": 2})
        assert [c.name for c in page2.context["objects"]] == [
            f"Bulk {i:02d}" for i in range(4, -1, -1)
        ]
        assert "sort=-name" in page2.context["querystring"]
        assert "page" not in page2.context["querystring"]

    @pytest.mark.parametrize(
        "params",
        [
            {"page": "abc"},
            {"page": "-1"},
            {"page": "99999"},
            {"page": "0"},
            {"page": "1e3"},
            {"owner": "xyz"},
            {"owner": "99999999999999999999999"},
            {"sort": "password"},
            {"sort": "__class__"},
            {"lifecycle": "' OR 1=1 --"},
            {"country": "ZZZ"},
            {"q": "x" * 5000},
        ],
    )
    def test_bad_params_do_not_fail(self, agent, many_companies, params):
        response = login(agent).get("/app/companies/", params)
        assert response.status_code == 200

    def test_out_of_range_page_shows_last_page(self, agent, many_companies):
        response = login(agent).get("/app/companies/", {"page": "99"})
        assert response.context["page"].number == 2

    @pytest.mark.parametrize(
        "params",
        [
            {"pipeline": "abc"},
            {"stage": "xyz"},
            {"kind": "won"},
            {"kind": "nonsense"},
            {"company": "1.5"},
            {"sort": "-amount"},
            {"page": "abc"},
            {"owner": "99999999999999999999999"},
        ],
    )
    def test_deal_list_bad_params(self, agent, deal, params):
        assert login(agent).get("/app/deals/", params).status_code == 200

    @pytest.mark.parametrize("params", [{"company": "abc"}, {"owner": "x"}, {"sort": "zzz"}])
    def test_contact_list_bad_params(self, agent, params):
        assert login(agent).get("/app/contacts/", params).status_code == 200

    def test_deal_list_filters(self, agent, deal, other_deal, email_pipeline):
        client = login(agent)
        response = client.get("/app/deals/", {"company": deal.company_id})
        assert list(response.context["objects"]) == [deal]
        response = client.get("/app/deals/", {"kind": "won"})
        assert list(response.context["objects"]) == []
        response = client.get("/app/deals/", {"pipeline": email_pipeline.pk, "q": "other"})
        assert list(response.context["objects"]) == [other_deal]

    def test_htmx_list_returns_results_partial(self, agent, company):
        response = login(agent).get(
            "/app/companies/", {"q": "acme"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in body
        assert body.lstrip().startswith('<div id="results"')
        assert "Acme Dental" in body

    def test_board_search_and_bad_pipeline(self, agent, deal):
        client = login(agent)
        assert client.get("/app/deals/board/", {"q": "acme"}).status_code == 200
        assert client.get("/app/deals/board/99999999/").status_code == 404


# ---------------------------------------------------------------- exports


class TestExports:
    def test_company_export_headers(self, agent, company):
        rows = csv_rows(login(agent).get("/app/companies/export.csv"))
        header = rows[0]
        assert header[:3] == ["Record ID", "Company name", "Company Domain Name"]
        assert "Industry" in header
        assert rows[1][:3] == [str(company.pk), "Acme Dental", "acme-dental.com"]

    def test_company_export_follows_filters(self, agent, company, other_company):
        rows = csv_rows(login(agent).get("/app/companies/export.csv", {"q": "other"}))
        assert [r[1] for r in rows[1:]] == ["Other Co"]

    def test_contact_export_headers(self, agent, admin, company):
        services.contact_create(
            by=admin, first_name="Mona", last_name="Zaki", email="mona@acme.com", company=company
        )
        rows = csv_rows(login(agent).get("/app/contacts/export.csv"))
        assert rows[0][:7] == [
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Phone Number",
            "Job Title",
            "Associated Company",
        ]
        assert rows[1][1:4] == ["Mona", "Zaki", "mona@acme.com"]
        assert rows[1][6] == "Acme Dental"

    @pytest.mark.parametrize("who", ["admin", "agent"])
    def test_deal_export_excludes_secrets(self, who, request, admin, deal):
        services.deal_update(
            deal=deal,
            by=admin,
            properties={"registrar_password": SECRET, "email_services": "Mailboxes;Migration"},
        )
        user = request.getfixturevalue(who)
        response = login(user).get("/app/deals/export.csv")
        rows = csv_rows(response)
        header = rows[0]
        assert header[:4] == ["Record ID", "Deal Name", "Pipeline", "Deal Stage"]
        assert "Amount" in header
        assert "Deal owner" in header
        assert "Registrar password" not in header
        assert "Email services" in header
        assert SECRET not in "\n".join(",".join(r) for r in rows)
        row = rows[1]
        assert row[header.index("Deal Name")] == "Acme mailboxes"
        assert row[header.index("Email services")] == "Mailboxes, Migration"
        assert row[header.index("Amount")] == "50.00"

    def test_hubspot_record_id_preferred(self, agent, admin):
        services.company_create(by=admin, name="From HubSpot", hubspot_record_id="987654")
        rows = csv_rows(login(agent).get("/app/companies/export.csv", {"q": "hubspot"}))
        assert rows[1][0] == "987654"


# ---------------------------------------------------------------- client portal


class TestPortal:
    def test_home_shows_only_own_company(self, client_user, deal, other_deal):
        response = login(client_user).get("/portal/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "Acme mailboxes" in body
        assert "Other mailboxes" not in body

    def test_other_company_deal_is_404(self, client_user, deal, other_deal):
        client = login(client_user)
        assert client.get(f"/portal/deals/{deal.pk}/").status_code == 200
        assert client.get(f"/portal/deals/{other_deal.pk}/").status_code == 404
        assert client.get("/portal/deals/99999999999999999999999/").status_code == 404

    def test_contact_export_only_own(self, client_user, admin, company, other_company):
        services.contact_create(by=admin, first_name="Mine", company=company)
        services.contact_create(by=admin, first_name="Theirs", company=other_company)
        services.contact_create(by=admin, first_name="Nobody")
        rows = csv_rows(login(client_user).get("/portal/contacts/export.csv"))
        assert rows[0][:2] == ["First Name", "Last Name"]
        assert [r[0] for r in rows[1:]] == ["Mine"]

    def test_staff_do_not_use_the_portal(self, agent):
        assert login(agent).get("/portal/").status_code == 404

    def test_board_of_a_ticket_pipeline_is_404(self, agent, admin):
        pipeline = services.pipeline_create(
            by=admin, object_type="ticket", name="Zz View Tickets", stages=[{"name": "Open"}]
        )
        assert login(agent).get(f"/app/deals/board/{pipeline.pk}/").status_code == 404
