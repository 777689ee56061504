"""Shared fixtures: one user of every role, two client companies, API clients."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from partnerdesk.accounts.models import ClientRole, Role, User
from partnerdesk.accounts.services import api_token_create
from partnerdesk.crm import services
from partnerdesk.crm.models import Pipeline, Product


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a page rendered in Arabic by one test (the
    locale middleware activates the user's language in this thread) must not leak into the
    messages the next test checks."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def dispatch(settings):
    """Hand committed events to the workers (the test settings turn it off)."""
    settings.PARTNERDESK_DISPATCH_EVENTS = True


PASSWORD = "correct-horse-battery-staple"


def make_user(email, role, company=None, client_role="", **extra):
    return User.objects.create_user(
        email,
        PASSWORD,
        full_name=email.split("@")[0].title(),
        role=role,
        company=company,
        client_role=client_role if role == Role.CLIENT else "",
        **extra,
    )


@pytest.fixture
def admin(db):
    return make_user("admin@agency.test", Role.ADMIN)


@pytest.fixture
def manager(db):
    return make_user("manager@agency.test", Role.MANAGER)


@pytest.fixture
def agent(db):
    return make_user("agent@agency.test", Role.AGENT)


@pytest.fixture
def company(admin):
    return services.company_create(
        by=admin,
        name="Acme Dental",
        domain="acme-dental.com",
        country="EG",
        timezone="Africa/Cairo",
    )


@pytest.fixture
def other_company(admin):
    return services.company_create(by=admin, name="Other Co", domain="other.example", country="IT")


@pytest.fixture
def client_user(company):
    return make_user(
        "client@acme-dental.com", Role.CLIENT, company=company, client_role=ClientRole.ADMIN
    )


@pytest.fixture
def other_client(other_company):
    return make_user(
        "client@other.example", Role.CLIENT, company=other_company, client_role=ClientRole.MEMBER
    )


@pytest.fixture
def email_pipeline(db):
    return Pipeline.objects.get(object_type="deal", name="Email Subscription")


@pytest.fixture
def product(db):
    return Product.objects.get(sku="email-10gb")


@pytest.fixture
def deal(admin, company, email_pipeline, product):
    return services.deal_create(
        by=admin,
        name="Acme mailboxes",
        pipeline=email_pipeline,
        company=company,
        amount="50",
        line_items=[{"product": product, "quantity": 5}],
    )


@pytest.fixture
def other_deal(admin, other_company, email_pipeline):
    return services.deal_create(
        by=admin, name="Other mailboxes", pipeline=email_pipeline, company=other_company
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api_client_for():
    """api_client_for(user) -> a test client that sends that user's API token."""

    def make(user):
        _token, plain = api_token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {plain}"})

    return make
