"""Who hears about a task, and the links they follow: shared by the services, the session
invitations and the message emails (so none of them imports another for it)."""

from __future__ import annotations

from django.urls import reverse

from partnerdesk.accounts.models import ClientRole, Role, User

from .models import Task


def portal_url(task: Task) -> str:
    return reverse("portal:task_detail", kwargs={"pk": task.pk})


def staff_url(task: Task) -> str:
    return reverse("taskdesk:detail", kwargs={"pk": task.pk})


def client_recipients(task: Task) -> list[User]:
    """Who hears from the agency about a task: its requester, else the company's client
    admins, else every active user of the company."""
    if task.requested_by_id and task.requested_by.is_active:
        return [task.requested_by]
    users = list(User.objects.filter(company_id=task.company_id, is_active=True, role=Role.CLIENT))
    admins = [u for u in users if u.client_role == ClientRole.ADMIN]
    return admins or users


def agency_recipients(task: Task) -> list[User]:
    """Who hears from the client about a task: its assignee, else the admins and managers."""
    if task.assignee_id and task.assignee.is_active:
        return [task.assignee]
    return list(User.objects.agency_staff().filter(role__in=[Role.ADMIN, Role.MANAGER]))
