"""The list pages and the API's list operations return the same rows for the same search and
filters: both go through ``crm.selectors.filter_*`` (one definition per list)."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.models import ClientRole, Role
from partnerdesk.crm import services
from partnerdesk.crm.models import Pipeline
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db

# The page's query parameter -> the API's.
API_NAMES = {
    "owner": "owner_id",
    "company": "company_id",
    "pipeline": "pipeline_id",
    "stage": "stage_id",
}


@pytest.fixture
def world(admin, agent, email_pipeline, product):
    """Companies, contacts and deals whose names, domains and owners overlap on purpose."""
    acme = services.company_create(
        by=admin, name="Acme Dental", domain="acme-dental.com", country="EG", hub_id="2410001"
    )
    nile = services.company_create(
        by=admin,
        name="Nile Trading",
        domain="niletrading.eg",
        country="EG",
        owner=agent,
        lifecycle="prospect",
    )
    roma = services.company_create(
        by=admin, name="Roma Clinics", domain="acme-roma.it", country="IT", owner=agent
    )
    services.company_create(by=admin, name="Gamma GmbH", lifecycle="former", country="DE")
    services.contact_create(by=admin, first_name="Mona", last_name="Adel", company=acme)
    services.contact_create(by=admin, first_name="Omar", email="omar@nile.eg", company=nile)
    services.contact_create(by=admin, first_name="Acme", last_name="Fan", owner=agent)
    services.contact_create(by=admin, last_name="Rossi", company=roma, owner=agent)
    services.contact_create(by=admin, email="nobody@example.com")
    website = Pipeline.objects.get(object_type="deal", name="Website Creation")
    won = email_pipeline.stages.get(name="Closed Won")
    services.deal_create(by=admin, name="Mailboxes", pipeline=email_pipeline, company=acme)
    services.deal_create(
        by=admin, name="Website", pipeline=website, company=nile, owner=agent, amount="900"
    )
    services.deal_create(by=admin, name="Acme renewal", pipeline=website, company=roma)
    services.deal_create(by=admin, name="Nothing to see", pipeline=email_pipeline, owner=agent)
    lost = email_pipeline.stages.get(name="Closed Lost")
    services.deal_create(by=admin, name="Lost mailboxes", pipeline=email_pipeline, stage=lost)
    return {
        "acme": acme,
        "nile": nile,
        "agent": agent,
        "email": email_pipeline,
        "website": website,
        "won": won,
    }


def page_ids(client, path, params):
    response = client.get(path, params)
    assert response.status_code == 200
    assert not response.context["page"].has_next(), "the test expects one page of rows"
    return [row.pk for row in response.context["objects"]]


def api_ids(client, path, params):
    api_params = {API_NAMES.get(k, k): v for k, v in params.items()}
    response = client.get(f"/api{path}", {**api_params, "limit": 200})
    assert response.status_code == 200, response.content[:300]
    return [item["id"] for item in response.json()["items"]]


def check(admin, api_client_for, page_path, api_path, cases):
    page, api = login(admin), api_client_for(admin)
    for params in cases:
        on_page = page_ids(page, page_path, params)
        assert on_page == api_ids(api, api_path, params), params
    return page


def test_companies(admin, api_client_for, world):
    agent = world["agent"].pk
    cases = [
        {},
        {"q": "acme"},
        {"q": "  ACME  "},
        {"q": "dental.com"},
        {"q": "2410"},
        {"q": "nothing matches this"},
        {"lifecycle": "prospect"},
        {"lifecycle": "former", "country": "de"},
        {"country": "EG"},
        {"country": "eg", "owner": agent},
        {"owner": agent, "q": "roma"},
    ]
    check(admin, api_client_for, "/app/companies/", "/companies", cases)


def test_contacts(admin, api_client_for, world):
    agent, acme, nile = world["agent"].pk, world["acme"].pk, world["nile"].pk
    cases = [
        {},
        {"q": "acme"},  # the company's name and a contact's first name
        {"q": "Trading"},  # only the company's name
        {"q": "nile.eg"},
        {"q": "rossi"},
        {"company": acme},
        {"company": nile, "q": "omar"},
        {"owner": agent},
        {"owner": agent, "q": "roma clinics"},
    ]
    page = check(admin, api_client_for, "/app/contacts/", "/contacts", cases)
    # The company's name is searched (it was only on the page before the selectors).
    assert len(page_ids(page, "/app/contacts/", {"q": "Trading"})) == 1


def test_deals(admin, api_client_for, world):
    agent = world["agent"].pk
    cases = [
        {},
        {"q": "acme"},  # a deal's name, a company's name and a company's domain
        {"q": "niletrading"},  # only the company's domain
        {"q": "mailboxes"},
        {"pipeline": world["email"].pk},
        {"pipeline": world["website"].pk, "q": "acme"},
        {"stage": world["won"].pk},
        {"owner": agent},
        {"company": world["nile"].pk},
        {"kind": "open"},
        {"kind": "lost"},
        {"kind": "won", "pipeline": world["email"].pk},
    ]
    page = check(admin, api_client_for, "/app/deals/", "/deals", cases)
    # The company's domain is searched (it was only on the page before the selectors).
    assert len(page_ids(page, "/app/deals/", {"q": "niletrading"})) == 1


def test_the_board_searches_like_the_list(admin, world):
    page = login(admin)
    response = page.get(f"/app/deals/board/{world['website'].pk}/", {"q": "acme-roma"})
    assert response.status_code == 200
    names = [d.name for column in response.context["columns"] for d in column["deals"]]
    assert names == ["Acme renewal"]


def test_client_users_get_their_company_rows_through_the_same_filters(api_client_for, world):
    """The shared filters narrow the caller's rows: a client user never sees another company's."""
    acme = world["acme"]
    member = make_user(
        "member@acme-dental.com", Role.CLIENT, company=acme, client_role=ClientRole.MEMBER
    )
    api = api_client_for(member)
    assert api_ids(api, "/companies", {"q": "acme"}) == [acme.pk]
    assert api_ids(api, "/companies", {"q": "roma"}) == []
    contacts = list(
        acme.contacts.order_by("last_name", "first_name", "id").values_list("pk", flat=True)
    )
    assert api_ids(api, "/contacts", {"q": "acme"}) == contacts
    assert api_ids(api, "/deals", {"q": "acme"}) == list(acme.deals.values_list("pk", flat=True))
