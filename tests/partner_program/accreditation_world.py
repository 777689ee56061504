"""Issue 11's rows of the query-budget World (tests/budgets/world.py): a focus accreditation and
a focus complaint whose pages are measured, and per unit a row more in every list —
accreditation types, accreditations, complaints, marks on record — and in the focus
accreditation's evaluations and the focus complaint's steps."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from partnerdesk.partner_program import services
from partnerdesk.partner_program.models import (
    AccreditationEvaluation,
    ComplaintSource,
    EvaluationResult,
)
from partnerdesk.partner_program.services.common import today


def setup(world) -> None:
    admin = world.admin
    kind = services.accreditation_type_create(by=admin, name="Focus accreditation")
    application = services.accreditation_apply(by=admin, accreditation_type=kind)
    world.pp_accreditation = services.accreditation_issue(
        by=admin, accreditation=application, issued_on=today()
    )
    world.pp_complaint = services.complaint_open(
        by=admin,
        summary="Focus complaint",
        source=ComplaintSource.CUSTOMER,
        company=world.company,
        owner=world.agent,
    )


def unit(world, i: int) -> None:
    admin = world.admin
    company = world.company.__class__.objects.get(name=f"Company {i:03}")
    # the catalogue and an accreditation of each type (every other one lapsed)
    kind = services.accreditation_type_create(
        by=admin,
        name=f"Accreditation {i:03}",
        required_certifications=[{"name": f"Cert {i:03}", "employees": 1}],
        order=10 + i,
    )
    accreditation = services.accreditation_apply(by=admin, accreditation_type=kind)
    accreditation = services.accreditation_issue(
        by=admin, accreditation=accreditation, issued_on=today()
    )
    if i % 2:
        services.accreditation_lapse(by=admin, accreditation=accreditation, reason="Budget")
    # an evaluation more of the focus accreditation, with its figures (as the job keeps them)
    AccreditationEvaluation.objects.create(
        accreditation=world.pp_accreditation,
        due_on=dt.date(2000 + i, 3, 15),
        evaluated_at=timezone.now(),
        result=EvaluationResult.AT_RISK if i % 2 else EvaluationResult.RENEWED,
        figures={
            "credited_tier": "Gold",
            "minimum_tier": "Platinum",
            "certifications": [{"name": f"Cert {i:03}", "required": 2, "held": 1}],
            "marks": i,
            "reasons": [{"code": "marks", "count": i, "max": 3}],
        },
    )
    # a complaint about the unit's company, and a serious one the board found at fault (a mark)
    services.complaint_open(
        by=admin,
        summary=f"Complaint {i:03}",
        source=ComplaintSource.HUBSPOT_CS,
        company=company,
        owner=admin,
    )
    serious = services.complaint_open(
        by=admin,
        summary=f"Serious {i:03}",
        source=ComplaintSource.OTHER,
        serious_infringement=True,
    )
    services.complaint_finding(
        by=admin, complaint=serious, fault=True, decision_date=today(), director_approved=True
    )
    # a step more of the focus complaint: resolved with a note, then reopened
    services.complaint_resolve(by=admin, complaint=world.pp_complaint, notes=f"Step note {i:03}")
    services.complaint_reopen(by=admin, complaint=world.pp_complaint, reason="Back again")
