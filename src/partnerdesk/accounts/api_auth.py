"""Who may call an API operation, decided before anything else (issue 9, point 10).

Every operation authenticates with a personal API token (``Authorization: Bearer pd_…``) or the
browser session. An operation that only some roles may call also names a *gate*: the gate
refuses the caller for their role before the body is validated or any id in it is looked up,
so a malformed body never turns a refusal into a 422 and a refused caller learns nothing
about what exists. Object-level checks (tenancy: "not yours" is a 404) stay in the handlers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer

from partnerdesk.core.errors import forbidden

from .models import User
from .services import api_token_authenticate

Gate = Callable[[User], None]


class TokenAuth(HttpBearer):
    """``Authorization: Bearer pd_…`` with a personal API token."""

    def __init__(self, gate: Gate | None = None) -> None:
        super().__init__()
        self.gate = gate

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
            if self.gate is not None:
                self.gate(user)
        return user


class SessionAuth(APIKeyCookie):
    """The browser session (for the docs page and htmx); CSRF-checked for writes."""

    param_name = "sessionid"

    def __init__(self, gate: Gate | None = None) -> None:
        super().__init__()
        self.gate = gate

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            if self.gate is not None:
                self.gate(user)
            return user
        return None


def auth(gate: Gate | None = None) -> list:
    """The ``auth=`` of an operation: a token or the session, then the gate."""
    return [TokenAuth(gate), SessionAuth(gate)]


# ---------------------------------------------------------------- gates


def _staff_resource(user: User) -> None:
    # Staff-only resources (pipelines, tickets, SLA, automations) do not exist for clients.
    if not user.is_agency_staff:
        raise Http404


def _no_client_writes(user: User) -> None:
    # Clients read their company's records here but change nothing.
    if not user.is_agency_staff:
        raise forbidden(_("Only the agency's staff can do this."))


def _admin_resource(user: User) -> None:
    _staff_resource(user)
    if not user.is_admin:
        raise forbidden(_("Only an admin can change the configuration."))


def _admin_write(user: User) -> None:
    if not user.is_admin:
        raise forbidden(_("Only an admin can change the configuration."))


def _manager_write(user: User) -> None:
    if not user.is_manager_or_admin:
        raise forbidden(_("Only an admin or a manager can do this."))


def _manager_resource(user: User) -> None:
    _staff_resource(user)
    _manager_write(user)


def _clients_only(user: User) -> None:
    if not user.is_client:
        raise forbidden(_("Only a user of the client's company can do this."))


ANY_USER = auth()
STAFF = auth(_staff_resource)  # clients: 404
STAFF_WRITE = auth(_no_client_writes)  # clients: 403
ADMIN = auth(_admin_resource)  # clients: 404; agents and managers: 403
ADMIN_WRITE = auth(_admin_write)  # everyone but admins: 403
MANAGER_WRITE = auth(_manager_write)  # clients and agents: 403
MANAGER = auth(_manager_resource)  # clients: 404; agents: 403
CLIENT = auth(_clients_only)  # staff: 403
