"""The permission matrix's vocabulary: actors, expectations and route entries.

Shared by ``tests/test_permission_matrix.py`` and the per-app route lists in ``tests/matrix/``
(``ROUTES`` dicts the matrix merges), so an app adds its routes in its own file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ANON, OWN, OTHER, AGENT, ADMIN = "anonymous", "client_user", "other_client", "agent", "admin"
ACTORS = (ANON, OWN, OTHER, AGENT, ADMIN)
MISSING_ID = 999_999
LOGIN_PATH = "/accounts/login/"


# ---------------------------------------------------------------- matrix vocabulary


@dataclass(frozen=True)
class Ref:
    """The primary key of a fixture, resolved at test time (``Ref("deal")`` -> deal.pk)."""

    fixture: str


@dataclass(frozen=True)
class Redirect:
    """A 302 whose Location starts with ``to`` (or equals it when ``exact``)."""

    to: str
    exact: bool = False

    def __str__(self) -> str:
        return f"302 -> {self.to}{'' if self.exact else '...'}"


LOGIN = Redirect(LOGIN_PATH)
Expect = int | Redirect


def E(anonymous: Expect, client_user: Expect, other_client: Expect, agent: Expect, admin: Expect):
    return dict(zip(ACTORS, (anonymous, client_user, other_client, agent, admin), strict=True))


def ALL(status: Expect):
    return E(status, status, status, status, status)


# Web pages
STAFF = E(LOGIN, 404, 404, 200, 200)
ADMIN_ONLY = E(LOGIN, 404, 404, 403, 200)
CLIENT_ONLY = E(LOGIN, 200, 200, 404, 404)
SIGNED_IN = E(LOGIN, 200, 200, 200, 200)
# A staff form posted without its fields: invalid, the page comes back with 400.
STAFF_INVALID_FORM = E(LOGIN, 404, 404, 400, 400)
ADMIN_INVALID_FORM = E(LOGIN, 404, 404, 403, 400)
# Staff-only POST views opened with GET.
STAFF_POST_ONLY_GET = E(LOGIN, 404, 404, 405, 405)
# Pages for managers and admins (the partner program): agents 403, clients 404.
MANAGER_ONLY = E(LOGIN, 404, 404, 403, 200)
MANAGER_INVALID_FORM = E(LOGIN, 404, 404, 403, 400)
# The partner dashboard: managers and admins; agents get the 404 of a missing page, like clients.
DASHBOARD = E(LOGIN, 404, 404, 404, 200)
DASHBOARD_INVALID_FORM = E(LOGIN, 404, 404, 404, 400)

# API
API_READ = E(401, 200, 200, 200, 200)
API_OWNED_READ = E(401, 200, 404, 200, 200)
API_CRM_CREATE = E(401, 403, 403, 201, 201)
# Staff actions on records a client may read: refused for the role (403) before any lookup,
# so a foreign id and a missing one get the same 403.
API_OWNED_WRITE = E(401, 403, 403, 200, 200)
API_STAFF_READ = E(401, 404, 404, 200, 200)
API_ADMIN_CREATE = E(401, 404, 404, 403, 201)
API_ADMIN_WRITE = E(401, 404, 404, 403, 200)
API_ADMIN_READ = E(401, 404, 404, 403, 200)  # configuration only admins may see
# Managers and admins (the partner program): agents 403, clients 404.
API_MANAGER_READ = E(401, 404, 404, 403, 200)
API_MANAGER_CREATE = E(401, 404, 404, 403, 201)
API_MANAGER_WRITE = E(401, 404, 404, 403, 200)

# A workflow as the API takes it (create and replace).
WORKFLOW_PAYLOAD = {
    "name": "Matrix workflow (API)",
    "trigger": "deal_stage_entered",
    "trigger_config": {"pipeline_id": Ref("email_pipeline"), "stage_kind": "won"},
    "actions": [{"type": "notify", "config": {"include_owner": True, "title": "{{ deal.name }}"}}],
}


# A webhook endpoint as the API takes it.
WEBHOOK_PAYLOAD = {
    "name": "Matrix webhook (API)",
    "url": "https://hooks.example.com/partnerdesk",
    "event_kinds": ["deal.stage_changed"],
}


@dataclass(frozen=True)
class Check:
    method: str
    expect: dict[str, Expect]
    data: Any = None


@dataclass(frozen=True)
class Route:
    checks: tuple[Check, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    # The URL kwarg that holds an object owned by ``company`` (tenant data): for these routes a
    # client of another company must get the same 404 for it as for a missing id.
    owned: str | None = None

    @property
    def is_api_operation(self) -> bool:
        return False


@dataclass(frozen=True)
class Op(Route):
    """One operation of the Ninja API, called with an API token; keyed "METHOD /api/path"."""

    @property
    def is_api_operation(self) -> bool:
        return True


def get(expect, **kw) -> Check:
    return Check("GET", expect, **kw)


def post(expect, data=None) -> Check:
    return Check("POST", expect, data={} if data is None else data)


def post_form(expect) -> Check:
    """POST to a form page with no real field: the form is bound, invalid, shown again.

    (An empty body would not do: ``Form(request.POST or None)`` treats it as a GET.)
    """
    return Check("POST", expect, data={"submit": "1"})


def op(expect, data=None, owned=None, **kwargs) -> Op:
    return Op(checks=(Check("", expect, data),), kwargs=kwargs, owned=owned)
