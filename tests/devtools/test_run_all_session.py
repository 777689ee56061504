"""benchmarks/run_all.py signs its client in with a session it writes to the database: that
session must be one the application accepts (it stopped being when the sign-in backend
changed, and every staff page of the benchmark answered 302 to the sign-in page)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from partnerdesk.accounts.models import Role, User

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"


@pytest.fixture(scope="module")
def run_all():
    sys.path.insert(0, str(PATH.parent))  # its sibling modules (_postgres, _report)
    try:
        spec = importlib.util.spec_from_file_location("bench_run_all", PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(PATH.parent))
    return module


@pytest.mark.django_db
def test_the_benchmark_session_signs_the_user_in(run_all, client):
    admin = User.objects.create_user("bench@agency.test", None, full_name="B", role=Role.ADMIN)
    client.cookies["sessionid"] = run_all.session_cookie(admin)
    response = client.get("/app/")
    assert response.status_code == 200
    assert response.wsgi_request.user == admin
