"""Permission-matrix routes of the reports app, and the fixtures they refer to (``Ref("...")``).

``tests/test_permission_matrix.py`` merges ``ROUTES`` into its MATRIX and imports this module's
fixtures, so every check there (refusal before validation, other company's object) covers them.
"""

from __future__ import annotations

from tests.matrix.vocab import Route

ROUTES: dict[str, Route] = {}
