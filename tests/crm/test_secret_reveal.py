"""Secret properties on pages (issue 15, item 12): masked for everybody; Reveal and Copy for the
roles that may see secrets (admins and managers), each recorded on the record's timeline and in
the log as "who revealed which property of which record" — never the value."""

from __future__ import annotations

import json
import logging

import pytest
from django.utils import timezone

from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe
from partnerdesk.core.models import Event
from partnerdesk.crm import services
from partnerdesk.crm.models import PropertyType
from partnerdesk.crm.services.secrets import secret_reveal
from tests.conftest import login
from tests.tickets import SECRET as TICKET_SECRET
from tests.tickets import open_ticket

pytestmark = pytest.mark.django_db

SECRET = "Vault-<b>&-9f3!"  # HTML-like, to show it is escaped on the way and copied as typed
MASK = "••••••"


@pytest.fixture
def vault(admin):
    return services.property_create(
        by=admin, object_type="company", label="Vault code", type=PropertyType.SECRET
    )


@pytest.fixture
def secret_company(admin, company, vault):
    return services.company_update(company=company, by=admin, properties={vault.name: SECRET})


def url(record, name="vault_code", object_type="company"):
    return f"/app/records/{object_type}/{record.pk}/secrets/{name}/"


def reveals():
    return Event.objects.filter(kind="secret.revealed")


# ---------------------------------------------------------------- the page


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_page_masks_the_secret_and_offers_reveal_and_copy(request, who, secret_company):
    body = login(request.getfixturevalue(who)).get(f"/app/companies/{secret_company.pk}/")
    body = body.content.decode()
    assert SECRET not in body and "Vault-" not in body
    assert MASK in body
    assert f'hx-post="{url(secret_company)}"' in body
    assert "Reveal" in body and "Copy" in body
    assert body.count("partnerdesk/secrets.js") == 1
    assert not reveals().exists()  # opening the page reads nothing


def test_agents_see_the_mask_without_buttons(agent, secret_company):
    body = login(agent).get(f"/app/companies/{secret_company.pk}/").content.decode()
    assert SECRET not in body
    assert MASK in body and "(hidden)" in body
    assert "secrets/vault_code" not in body
    assert "data-secret-copy" not in body and "secrets.js" not in body


def test_an_unset_secret_has_nothing_to_reveal(admin, company, vault):
    body = login(admin).get(f"/app/companies/{company.pk}/").content.decode()
    assert "secrets/vault_code" not in body


# ---------------------------------------------------------------- reveal and copy


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_reveal_answers_the_value_and_records_who_read_it(request, who, secret_company, caplog):
    user = request.getfixturevalue(who)
    caplog.set_level(logging.INFO)
    response = login(user).post(url(secret_company), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<code class="secret-value" data-secret-value>Vault-&lt;b&gt;&amp;-9f3!</code>' in body
    event = reveals().get()
    assert event.actor == user
    assert event.subject_id == secret_company.pk
    assert event.company_id == secret_company.pk
    assert event.data == {
        "property": "vault_code",
        "label": "Vault code",
        "record": "Acme Dental",
        "copied": False,
    }
    sentence = f"{user.display_name} revealed Vault code of Acme Dental"
    assert describe(event) == sentence
    # the new entry is swapped into the page's timeline, out of band
    assert 'hx-swap-oob="afterbegin:ol.timeline"' in body and sentence in body
    # logged, without the value
    assert "secret vault_code of company" in caplog.text and "revealed" in caplog.text
    assert "Vault-" not in caplog.text


def test_copy_is_recorded_as_copied(admin, secret_company):
    response = login(admin).post(url(secret_company), {"via": "copy"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    event = reveals().get()
    assert event.data["copied"] is True
    assert describe(event) == "Admin copied Vault code of Acme Dental"


def test_each_reveal_is_a_timeline_entry_and_never_holds_the_value(admin, secret_company):
    client = login(admin)
    client.post(url(secret_company))
    client.post(url(secret_company), {"via": "copy"})
    assert reveals().count() == 2
    for event in Event.objects.all():
        assert "Vault-" not in json.dumps(event.data)
    page = client.get(f"/app/companies/{secret_company.pk}/").content.decode()
    timeline = page[page.index('id="timeline-h"') :]
    assert "Admin revealed Vault code of Acme Dental" in timeline
    assert "Admin copied Vault code of Acme Dental" in timeline
    assert "Vault-" not in page


def test_agents_are_refused_and_nothing_is_recorded(agent, secret_company):
    response = login(agent).post(url(secret_company))
    assert response.status_code == 403
    assert "Vault-" not in response.content.decode()
    assert not reveals().exists()


def test_clients_and_anonymous_never_reach_it(client, client_user, secret_company):
    assert login(client_user).post(url(secret_company)).status_code == 404
    response = client.post(url(secret_company))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not reveals().exists()


def test_get_is_not_allowed(admin, secret_company):
    assert login(admin).get(url(secret_company)).status_code == 405


@pytest.mark.parametrize(
    ("object_type", "name"),
    [
        ("company", "no_such_property"),
        ("company", "industry"),  # a property, but not a secret
        ("planet", "vault_code"),  # not a record type with secrets
        ("contact", "vault_code"),  # the company's property asked of a contact
    ],
)
def test_unknown_names_are_a_404(admin, secret_company, object_type, name):
    response = login(admin).post(url(secret_company, name, object_type))
    assert response.status_code == 404
    assert not reveals().exists()


def test_a_missing_record_is_a_404(admin, vault):
    assert login(admin).post("/app/records/company/999999/secrets/vault_code/").status_code == 404


def test_a_secret_not_set_is_a_clear_error(admin, company, vault):
    response = login(admin).post(url(company), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Vault code is not set on this record." in response.content.decode()
    assert not reveals().exists()


def test_the_service_refuses_agents(agent, secret_company):
    with pytest.raises(DomainError) as info:
        secret_reveal(record=secret_company, name="vault_code", by=agent)
    assert info.value.status == 403


# ---------------------------------------------------------------- other record types


def test_a_deal_s_secret(admin, deal):
    services.deal_update(deal=deal, by=admin, properties={"registrar_password": SECRET})
    page = login(admin).get(f"/app/deals/{deal.pk}/").content.decode()
    assert SECRET not in page and url(deal, "registrar_password", "deal") in page
    response = login(admin).post(url(deal, "registrar_password", "deal"))
    assert "Vault-&lt;b&gt;" in response.content.decode()
    assert describe(reveals().get()) == "Admin revealed Registrar password of Acme mailboxes"


def test_a_ticket_s_secret(admin, company):
    ticket = open_ticket(
        admin,
        "Domain Related Requests",
        "Connect External Domain",
        now=timezone.now(),
        company=company,
        name="Connect acme.com",
    )
    page = login(admin).get(f"/app/tickets/{ticket.pk}/").content.decode()
    assert TICKET_SECRET not in page
    assert url(ticket, "registrar_password", "ticket") in page
    response = login(admin).post(url(ticket, "registrar_password", "ticket"))
    assert TICKET_SECRET in response.content.decode()
    event = reveals().get()
    assert event.company_id == company.pk
    assert describe(event) == "Admin revealed Registrar password of Connect acme.com"
