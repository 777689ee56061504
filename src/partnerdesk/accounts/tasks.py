"""Background jobs of accounts (enqueued by the scheduler, see ``core.periodic``)."""

from django.tasks import task

from . import throttle


@task
def prune_login_throttles() -> int:
    """Forget sign-in failure counts that have expired."""
    return throttle.prune()
