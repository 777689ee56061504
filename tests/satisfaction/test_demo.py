"""The satisfaction demo: loaded once with ``demo_data``, a survey per completed task and closed
ticket with a contact, most answered, so the answers page and the report show figures."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils.functional import empty

from partnerdesk.accounts.models import User
from partnerdesk.portal import models as portal_models
from partnerdesk.satisfaction.models import Survey
from tests.conftest import login


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path / "private"
    portal_models.private_storage._wrapped = empty
    yield
    portal_models.private_storage._wrapped = empty


@pytest.mark.django_db
def test_the_demo_loads_answered_surveys_once():
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    assert "Satisfaction surveys loaded" in out.getvalue()
    surveys = Survey.objects.count()
    answered = Survey.objects.filter(score__isnull=False).count()
    assert surveys >= 3 and 0 < answered < surveys
    assert Survey.objects.filter(score__lte=2).exists()
    call_command("demo_data", stdout=io.StringIO())
    assert Survey.objects.count() == surveys
    manager = User.objects.get(email="manager@demo.partnerdesk.test")
    page = login(manager).get("/app/reports/satisfaction/?preset=90d")
    assert page.status_code == 200
    assert b"Nothing in this range" not in page.content.split(b"<table", 1)[1][:4000]
