import pytest

from partnerdesk.core.errors import DomainError
from partnerdesk.portal import selectors, services
from partnerdesk.portal.models import Status
from tests.portal.conftest import accepted

pytestmark = pytest.mark.django_db


def test_the_whole_lifecycle_respects_the_plan(client_user, agent, on_duo):
    tasks = [accepted(client_user, agent, f"T{i}") for i in range(4)]
    assert [t.queue_position for t in tasks] == [1, 2, 3, 4]
    services.task_start(by=agent, task=tasks[0])
    services.task_start(by=agent, task=tasks[1])
    with pytest.raises(DomainError) as exc:
        services.task_start(by=agent, task=tasks[2])
    assert exc.value.code == "no_free_slot"
    forecast = selectors.queue_forecast(on_duo.pk)
    assert [f.task.pk for f in forecast] == [tasks[2].pk, tasks[3].pk]
    services.task_deliver(by=agent, task=tasks[0])
    services.task_approve(by=client_user, task=tasks[0])
    tasks[2].refresh_from_db()
    assert tasks[2].status == Status.WORKING and tasks[2].estimated_completion
    services.message_post(by=client_user, task=tasks[3], body="Any news?")
