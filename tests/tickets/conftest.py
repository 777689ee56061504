"""Fixtures of the ticket-by-email tests (tests/tickets/test_email_*.py): a contact and a
colleague at the client company, a ticket of theirs, the private root for files, the real SMTP
server the app sends through, and support mailboxes."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django.utils.functional import empty

from partnerdesk.core.files import private_storage
from partnerdesk.crm import services as crm_services
from partnerdesk.tickets.models import SupportMailbox, UnknownSenders
from tests.automation.conftest import mailbox, smtp_server  # noqa: F401 (the real SMTP server)
from tests.tickets import H, open_ticket, ticket_pipeline, ticket_stage


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.PARTNERDESK_PRIVATE_ROOT = root
    private_storage._wrapped = empty
    yield root
    private_storage._wrapped = empty


@pytest.fixture
def contact(admin, company):
    return crm_services.contact_create(
        by=admin,
        first_name="Mario",
        last_name="Rossi",
        email="mario@acme-dental.com",
        company=company,
    )


@pytest.fixture
def colleague(admin, company):
    return crm_services.contact_create(
        by=admin,
        first_name="Layla",
        last_name="Hassan",
        email="layla@acme-dental.com",
        company=company,
    )


@pytest.fixture
def outsider(admin, other_company):
    return crm_services.contact_create(
        by=admin, first_name="Olga", email="olga@other.example", company=other_company
    )


@pytest.fixture
def ticket(agent, company, contact):
    return open_ticket(
        agent,
        "Bug Investigation",
        now=timezone.now() - H,
        company=company,
        contact=contact,
        owner=agent,
        name="Invoice page error",
    )


@pytest.fixture
def support(db):
    """support@agency.test opens Bug Investigation tickets; unknown senders become contacts."""
    return SupportMailbox.objects.create(
        address="support@agency.test",
        pipeline=ticket_pipeline("Bug Investigation"),
        entry_stage=ticket_stage("Bug Investigation", "New"),
        unknown_senders=UnknownSenders.CREATE_CONTACT,
    )


@pytest.fixture
def held_mailbox(db):
    """help@agency.test holds mail from unknown senders in the queue."""
    return SupportMailbox.objects.create(
        address="help@agency.test",
        pipeline=ticket_pipeline("Bug Investigation"),
        entry_stage=ticket_stage("Bug Investigation", "New"),
        unknown_senders=UnknownSenders.HOLD,
    )
