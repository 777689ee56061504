"""Every partner program event kind has a sentence, and it reads the data its service records."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.core.events import describe
from partnerdesk.core.models import Event
from partnerdesk.partner_program import services
from partnerdesk.partner_program.events import PartnerEvent

from .conftest import TODAY, act, connect, relate, subscribe

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", list(PartnerEvent), ids=str)
def test_every_kind_has_a_sentence_even_without_data(kind):
    sentence = describe(Event(kind=kind, data={}))
    assert sentence and sentence != kind


def test_the_account_timeline_reads_as_sentences(manager, agent, account):
    subscription = subscribe(manager, account)
    services.subscription_change_mrr(
        by=manager, subscription=subscription, mrr="1200", effective_on=TODAY
    )
    relate(manager, account)
    connect(manager, account, agent, complete=False)
    act(manager, account, agent, TODAY - dt.timedelta(days=1))
    services.services_end(by=manager, account=account, reason="Moved agency")
    sentences = [describe(e) for e in Event.objects.for_subject(account).order_by("pk")]
    assert sentences == [
        "HubSpot account Acme Dental (hub id 4417286) added",
        "Subscription Marketing Hub Professional added: 1000.00 USD MRR from 2024-01-01",
        "Marketing Hub Professional MRR changed from 1000.00 to 1200.00 USD, from 2025-03-14",
        "Managed relationship from 2024-01-01",
        "Agent is not correctly connected: not a user in the client's account",
        "Qualifying activity by Agent on 2025-03-13: Published a blog post",
        "The managed relationship ended on 2025-03-14 (services ended): Moved agency",
        "Services ended on 2025-03-14: Moved agency",
    ]
