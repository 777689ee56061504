"""Permission-matrix routes of the CRM's record pages, and the fixtures they refer to
(``Ref("...")``).

``tests/test_permission_matrix.py`` merges ``ROUTES`` into its MATRIX and imports this module's
fixtures, so every check there (the other company's object looks like a missing one) covers
them.

Revealing a secret property (issue 15) is for the roles that may see secrets: admins and
managers get the value; agents are refused (403) before any look-up; clients never see the
staff app (404); anonymous visitors are sent to sign in. Only POST reveals (and records it).
"""

from __future__ import annotations

import pytest

from partnerdesk.crm import services
from partnerdesk.crm.models import PropertyType
from tests.matrix.vocab import LOGIN, STAFF_POST_ONLY_GET, E, Ref, Route, get, post

__all__ = ["ROUTES", "secret_company"]

ROUTES: dict[str, Route] = {
    "crm:secret_reveal": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, 403, 200))),
        kwargs={"object_type": "company", "pk": Ref("secret_company"), "name": "vault_code"},
        owned="pk",
    ),
}


@pytest.fixture
def secret_company(admin, company):
    """The company with a secret property set."""
    definition = services.property_create(
        by=admin, object_type="company", label="Vault code", type=PropertyType.SECRET
    )
    return services.company_update(
        company=company, by=admin, properties={definition.name: "matrix-secret"}
    )
