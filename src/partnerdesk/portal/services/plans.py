"""Plans, subscriptions and the task settings: how many tasks the agency works at once for a
client, and the admin's choices for the queue."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Team
from partnerdesk.core import clock
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import record_event
from partnerdesk.core.permissions import SYSTEM, require_admin, require_manager
from partnerdesk.core.translated import clean_translations
from partnerdesk.crm.models import Company

from ..events import PortalEvent
from ..models import Plan, PortalSettings, Subscription, TaskCategory
from .queue import _start_next


@transaction.atomic
def plan_save(
    *, by, name: str, concurrent_tasks: int, is_active: bool = True, plan: Plan | None = None
) -> Plan:
    require_admin(by, _("Only an admin can change the task settings."))
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("Give the plan a name."), field="name")
    if Plan.objects.filter(name__iexact=name).exclude(pk=getattr(plan, "pk", None)).exists():
        raise DomainError(
            code="duplicate", message=_("A plan with this name exists."), field="name"
        )
    try:
        limit = int(concurrent_tasks)
    except (TypeError, ValueError, OverflowError):
        limit = 0
    if not 1 <= limit <= 50:
        raise DomainError(
            code="invalid_limit",
            message=_("A plan works between 1 and 50 tasks at once."),
            field="concurrent_tasks",
        )
    plan = plan or Plan()
    plan.name, plan.concurrent_tasks, plan.is_active = name, limit, bool(is_active)
    plan.save()
    return plan


@transaction.atomic
def subscription_set(*, by, company: Company, plan: Plan, now: dt.datetime | None = None):
    """Put a company on a plan from now on; the previous plan is kept as history."""
    require_manager(by)
    if plan is None or plan.pk is None:
        raise DomainError(code="required", message=_("Choose a plan."), field="plan")
    now = now or clock.now()
    Company.objects.select_for_update().filter(pk=company.pk).first()
    current = Subscription.objects.filter(company=company, ended_at__isnull=True).first()
    if current is not None:
        if current.plan_id == plan.pk:
            return current
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    sub = Subscription.objects.create(company=company, plan=plan, started_at=now, changed_by=by)
    record_event(
        kind=PortalEvent.PLAN_CHANGED,
        subject=company,
        actor=by,
        company_id=company.pk,
        data={"plan": plan.name, "previous": current.plan.name if current else None},
    )
    # A larger plan frees slots: let the queue move on as it would after an approval.
    _start_next(company.pk, by=SYSTEM, now=now)
    return sub


@transaction.atomic
def settings_save(
    *, by, auto_start_next: bool, approval_reminder_days, consultants: Team | None
) -> PortalSettings:
    require_admin(by, _("Only an admin can change the task settings."))
    try:
        if isinstance(approval_reminder_days, str):  # "2, 5" from a form (not "25" -> 2, 5)
            approval_reminder_days = re.split(r"[\s,;]+", approval_reminder_days.strip())
            approval_reminder_days = [d for d in approval_reminder_days if d]
        days = sorted({int(d) for d in approval_reminder_days})
    except (TypeError, ValueError, OverflowError):
        days = None
    if days is None or any(d < 1 or d > 60 for d in days) or len(days) > 5:
        raise DomainError(
            code="invalid_reminders",
            message=_("Reminders are up to five numbers of working days between 1 and 60."),
            field="approval_reminder_days",
        )
    obj = PortalSettings.load()
    obj.auto_start_next = bool(auto_start_next)
    obj.approval_reminder_days = days
    obj.consultants = consultants
    obj.save()
    return obj


@transaction.atomic
def category_save(
    *,
    by,
    name: str,
    is_consultation: bool = False,
    is_active: bool = True,
    category: TaskCategory | None = None,
    translations: Mapping[str, str] | None = None,
) -> TaskCategory:
    """Add a task category (``category`` None) or change ``category``. ``translations``: the
    name in other languages (``{"it": …}``), replacing the ones set (None: leave them)."""
    require_admin(by, _("Only an admin can change the task settings."))
    name = (name or "").strip()[:100]
    if not name:
        raise DomainError(code="required", message=_("Give the category a name."), field="name")
    name_translations = (
        None if translations is None else clean_translations(translations, TaskCategory)
    )
    if (
        TaskCategory.objects.filter(name__iexact=name)
        .exclude(pk=getattr(category, "pk", None))
        .exists()
    ):
        raise DomainError(
            code="duplicate", message=_("A category with this name exists."), field="name"
        )
    category = category or TaskCategory(order=TaskCategory.objects.count())
    category.name, category.is_consultation, category.is_active = (
        name,
        bool(is_consultation),
        bool(is_active),
    )
    if name_translations is not None:
        category.name_translations = name_translations
    category.save()
    return category
