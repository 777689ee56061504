"""The HubSpot team tab: the agency's Channel Account Manager and Channel Consultant, how each
supports the agency and a one-click email; admins edit them.

Photos: the CSP allows images from our own origin only, so a photo hosted elsewhere is not
shown: the member's initials stand in for it (an https address on our own host is shown)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.core.forms import submit

from .. import services
from ..forms import TeamMemberForm
from ..models import HubSpotTeamMember, TeamRole
from .common import dashboard_required


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:2]).upper() or "?"


def _card(request, role: str, label, member: HubSpotTeamMember | None) -> dict:
    photo = ""
    if member and member.photo_url:
        host = request.get_host()
        if member.photo_url.startswith(f"https://{host}/"):
            photo = member.photo_url
    return {
        "role": role,
        "label": label,
        "member": member,
        "photo": photo,
        "initials": _initials(member.name) if member else "",
    }


@dashboard_required
@require_GET
def team(request):
    members = {m.role: m for m in HubSpotTeamMember.objects.all()}
    return render(
        request,
        "dashboard/partner/team.html",
        {
            "tab": "team",
            "cards": [
                _card(request, value, label, members.get(value))
                for value, label in TeamRole.choices
            ],
        },
    )


@dashboard_required
@require_http_methods(["GET", "POST"])
def team_edit(request, role):
    if role not in TeamRole.values:
        raise Http404("Not found.")
    if not request.user.is_admin:
        raise PermissionDenied(_("Only an admin can change the HubSpot team."))
    member = HubSpotTeamMember.objects.filter(role=role).first()
    form = TeamMemberForm(
        request.POST or None,
        initial={
            "name": member.name if member else "",
            "email": member.email if member else "",
            "photo_url": member.photo_url if member else "",
            "description": member.description if member else "",
        },
    )
    if request.method == "POST":
        outcome = submit(
            form,
            lambda d: services.team_member_save(
                by=request.user,
                role=role,
                name=d["name"],
                email=d["email"],
                photo_url=d["photo_url"],
                description=d["description"],
            ),
        )
        if outcome.ok:
            messages.success(request, _("HubSpot team saved."))
            return redirect("dashboard:team")
    return render(
        request,
        "dashboard/partner/team_edit.html",
        {"tab": "team", "form": form, "role_label": TeamRole(role).label},
        status=400 if form.errors else 200,
    )
