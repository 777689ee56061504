"""The staff home's record counts (read per pipeline through its open stages, each up to the
cap) are the counts of one grouped query over the open deals."""

from __future__ import annotations

import pytest
from django.db.models import Count

from partnerdesk.crm import services as crm_services
from partnerdesk.crm.models import Company, Contact, Deal, Lifecycle, Pipeline, StageKind
from partnerdesk.dashboard import selectors
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_open_deals_per_pipeline_are_the_grouped_counts(admin, company):
    pipelines = list(Pipeline.objects.filter(object_type="deal").order_by("order", "id")[:2])
    for p, pipeline in enumerate(pipelines):
        stages = list(pipeline.stages.order_by("order", "id"))
        for i in range(4 + p):
            deal = crm_services.deal_create(
                by=admin, name=f"Deal {p}-{i}", pipeline=pipeline, company=company
            )
            Deal.objects.filter(pk=deal.pk).update(stage=stages[i % len(stages)])
    want = list(
        Deal.objects.filter(stage__kind=StageKind.OPEN)
        .values("pipeline_id", "pipeline__name")
        .annotate(n=Count("id"))
        .order_by("pipeline__name")
    )
    assert want  # some deals are open, some are not
    assert Deal.objects.exclude(stage__kind=StageKind.OPEN).exists()
    counts = selectors.record_counts()
    assert [
        {k: row[k] for k in ("pipeline_id", "pipeline__name", "n")} for row in counts["pipelines"]
    ] == want
    assert all(row["exact"] for row in counts["pipelines"])
    assert counts["open_deals"] == {"count": sum(row["n"] for row in want), "exact": True}
    clients = Company.objects.filter(lifecycle=Lifecycle.CLIENT).count()
    assert counts["companies"] == {"count": clients, "exact": True}
    assert counts["contacts"] == {"count": Contact.objects.count(), "exact": True}
    html = login(admin).get("/app/").content.decode()
    for row in want:
        assert f"{row['pipeline__name']}</a></td><td>{row['n']}</td>" in html
