"""Permission-matrix routes of the reports app, and the fixtures they refer to (``Ref("...")``).

``tests/test_permission_matrix.py`` merges ``ROUTES`` into its MATRIX and imports this module's
fixtures, so every check there (refusal before validation, other company's object) covers them.
Reports are staff pages (agents see their own and their teams' work); through the API a client
user reads only the reports offered to clients (their company's figures): the others are a 404.
"""

from __future__ import annotations

from tests.matrix.vocab import API_READ, STAFF, E, Route, get, op

ROUTES: dict[str, Route] = {
    "reports:index": Route(checks=(get(STAFF),)),
    "reports:detail": Route(checks=(get(STAFF),), kwargs={"slug": "team-workload"}),
    "reports:export": Route(checks=(get(STAFF),), kwargs={"slug": "team-workload"}),
    "GET /api/reports": op(API_READ),
    "GET /api/reports/{slug}": op(E(401, 404, 404, 200, 200), slug="team-workload"),
    # The reports offered to clients (client-work, satisfaction: E(401, 200, 200, 200, 200))
    # share this route; one entry per route, so tests/reports/test_client_work.py checks them.
}
