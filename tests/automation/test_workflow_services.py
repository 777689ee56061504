"""One code path per change to a workflow, under the workflow's row lock: the page and the API
call the same services, and two admins editing one workflow keep each other's changes."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from partnerdesk.automation import services
from partnerdesk.automation.models import Action, ActionType, Trigger, Workflow
from partnerdesk.core.errors import DomainError
from tests.conftest import login

pytestmark = pytest.mark.django_db

AMOUNT = {"field": "deal.amount", "op": "gte", "value": 100}
COUNTRY = {"field": "company.country", "op": "equals", "value": "EG"}
DOMAIN = {"field": "deal.properties.domain_name", "op": "is_set"}


@pytest.fixture
def workflow(admin):
    return services.workflow_create(by=admin, name="Won deals", trigger=Trigger.TICKET_CREATED)


def test_two_condition_adds_from_the_same_stale_workflow_keep_both(admin, workflow):
    # Both admins opened the page before either added anything.
    first, second = Workflow.objects.get(pk=workflow.pk), Workflow.objects.get(pk=workflow.pk)

    services.workflow_condition_add(by=admin, workflow=first, condition=AMOUNT)
    services.workflow_condition_add(by=admin, workflow=second, condition=COUNTRY)
    services.workflow_condition_add(by=admin, workflow=second, condition=DOMAIN)

    assert Workflow.objects.get(pk=workflow.pk).conditions == {"all": [AMOUNT, COUNTRY, DOMAIN]}
    assert first.conditions == second.conditions == {}  # the callers' copies are not relied on


def test_a_condition_is_added_to_the_top_group_whatever_its_shape(admin, workflow):
    services.workflow_replace(
        by=admin,
        workflow=workflow,
        name="Won deals",
        trigger=Trigger.TICKET_CREATED,
        conditions_tree=AMOUNT,  # a lone condition (the API allows it)
    )
    services.workflow_condition_add(by=admin, workflow=workflow, condition=COUNTRY)
    assert Workflow.objects.get(pk=workflow.pk).conditions == {"all": [AMOUNT, COUNTRY]}


def test_removing_a_condition_removes_the_one_the_admin_saw(admin, workflow):
    for leaf in (AMOUNT, COUNTRY):
        services.workflow_condition_add(by=admin, workflow=workflow, condition=leaf)
    # Admin A sees [AMOUNT, COUNTRY] and removes COUNTRY (index 1); meanwhile admin B removed
    # AMOUNT, so index 1 is no longer there: A's click still removes COUNTRY.
    services.workflow_condition_remove(by=admin, workflow=workflow, index=0, condition=AMOUNT)
    services.workflow_condition_remove(by=admin, workflow=workflow, index=1, condition=COUNTRY)
    assert Workflow.objects.get(pk=workflow.pk).conditions == {}

    # A condition removed meanwhile is not "removed" a second time, and nothing else goes.
    services.workflow_condition_add(by=admin, workflow=workflow, condition=DOMAIN)
    with pytest.raises(DomainError) as gone:
        services.workflow_condition_remove(by=admin, workflow=workflow, index=0, condition=AMOUNT)
    assert (gone.value.code, gone.value.status) == ("condition_gone", 409)
    assert Workflow.objects.get(pk=workflow.pk).conditions == {"all": [DOMAIN]}


def test_saving_the_page_keeps_conditions_added_meanwhile(admin, workflow):
    stale = Workflow.objects.get(pk=workflow.pk)
    services.workflow_condition_add(by=admin, workflow=workflow, condition=AMOUNT)

    services.workflow_update(
        by=admin,
        workflow=stale,
        name="Renamed",
        trigger=Trigger.TICKET_CREATED,
        match="any",
    )

    saved = Workflow.objects.get(pk=workflow.pk)
    assert (saved.name, saved.conditions) == ("Renamed", {"any": [AMOUNT]})


def test_the_page_adds_and_removes_conditions_through_the_services(admin, workflow):
    web = login(admin)
    page = f"/app/settings/automations/{workflow.pk}/"
    for leaf in (AMOUNT, COUNTRY):
        web.post(page, {"action": "add_condition", **leaf})
    assert Workflow.objects.get(pk=workflow.pk).conditions == {
        "all": [{**AMOUNT, "value": "100"}, COUNTRY]
    }
    # The remove button posts the condition it shows: stale indexes cannot remove another one.
    body = web.get(page).content.decode()
    assert 'name="field" value="company.country"' in body
    services.workflow_condition_remove(by=admin, workflow=workflow, index=0)  # another admin
    web.post(page, {"action": "remove_condition", "index": 1, **COUNTRY})  # COUNTRY, now at 0
    assert Workflow.objects.get(pk=workflow.pk).conditions == {}


def test_actions_are_replaced_all_or_nothing(admin, workflow, agent):
    services.action_add(
        by=admin, workflow=workflow, type=ActionType.ASSIGN_OWNER, config={"user_id": agent.pk}
    )
    with pytest.raises(DomainError):
        services.workflow_replace(
            by=admin,
            workflow=workflow,
            name="Won deals",
            trigger=Trigger.TICKET_CREATED,
            actions=[
                services.ActionSpec(type=ActionType.NOTIFY, config={"user_ids": [agent.pk]}),
                services.ActionSpec(type=ActionType.MOVE_STAGE, config={}),  # needs a stage
            ],
        )
    assert list(workflow.actions.values_list("type", flat=True)) == [ActionType.ASSIGN_OWNER]


def test_a_trigger_without_a_producer_cannot_be_chosen(admin, api_client_for):
    with pytest.raises(DomainError) as refused:
        services.workflow_create(by=admin, name="Renewals", trigger=Trigger.RENEWAL_APPROACHING)
    assert (refused.value.code, refused.value.field) == ("invalid_trigger", "trigger")
    response = api_client_for(admin).post(
        "/api/workflows",
        {"name": "Renewals", "trigger": "renewal_approaching"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Workflow.objects.filter(name="Renewals").exists()


def test_a_missing_actor_is_refused(admin):
    with pytest.raises(DomainError) as refused:
        services.workflow_create(by=None, name="Nobody", trigger=Trigger.TICKET_CREATED)
    assert refused.value.status == 403


# ---------------------------------------------------------------- PostgreSQL: real races


def _race(count: int, work):
    """Run ``work(i)`` in ``count`` threads that all read the workflow before any can write:
    the test holds the workflow's row lock until every thread has started."""
    errors: list[Exception] = []
    started = threading.Barrier(count + 1)

    def worker(i: int):
        try:
            started.wait()
            work(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    return errors, threads, started


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_admins_adding_conditions_and_steps_at_once_keep_all_of_them(admin, agent):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")
    workflow = services.workflow_create(by=admin, name="Race", trigger=Trigger.TICKET_CREATED)
    stale = Workflow.objects.get(pk=workflow.pk)
    admins = 6

    def edit(i: int):
        services.workflow_condition_add(
            by=admin,
            workflow=stale,
            condition={"field": "deal.amount", "op": "gte", "value": i},
        )
        services.action_add(
            by=admin,
            workflow=stale,
            type=ActionType.NOTIFY,
            config={"user_ids": [agent.pk], "title": f"step {i}"},
        )

    with transaction.atomic():
        Workflow.objects.select_for_update().get(pk=workflow.pk)  # everyone waits on this
        errors, threads, started = _race(admins, edit)
        started.wait()
        threading.Event().wait(0.5)  # let them all reach the lock
    for thread in threads:
        thread.join(60)

    assert errors == []
    saved = Workflow.objects.get(pk=workflow.pk)
    assert sorted(leaf["value"] for leaf in saved.conditions["all"]) == list(range(admins))
    orders = list(Action.objects.filter(workflow=workflow).values_list("order", flat=True))
    assert sorted(orders) == list(range(admins))
