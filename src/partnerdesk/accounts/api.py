"""JSON API for the signed-in user, users, teams and invitations.

The same services as the user administration pages (Settings → Users, Teams) and the portal's
"Invite a colleague": staff read users and teams, admins change them; admins invite anyone,
a client admin invites colleagues of their own company (as the portal page does).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic_core import core_schema

from partnerdesk.core.api import (
    MAX_ID,
    Id,
    OneOf,
    Page,
    PageParams,
    Problem,
    Strict,
    UserRef,
    lookup,
    paginate,
    require_staff,
)
from partnerdesk.core.errors import DomainError, conflict, forbidden

from . import services
from .api_auth import ADMIN, STAFF, auth
from .models import ClientRole, Invitation, Role, Team, User

router = Router()

# The client's company: crm's model, reached through the field (accounts sits below crm).
Company = User._meta.get_field("company").related_model


class _Languages:
    """The language codes of ``settings.LANGUAGES``, validated and published as an enum."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.literal_schema([code for code, _name in settings.LANGUAGES])


Language = Annotated[str, _Languages()]
RoleName = Annotated[str, OneOf(Role)]
ClientRoleName = Annotated[str, OneOf(ClientRole)]
MemberIds = Annotated[int, Field(ge=1, le=MAX_ID)]
ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _inviter(user: User) -> None:
    # Admins invite anyone; a client admin invites colleagues of their own company (the
    # portal's "Invite a colleague"); everyone else is refused before the body is read.
    if user.is_admin or user.is_client_admin:
        return
    if user.is_client:
        raise forbidden(_("Only your company's client admin can invite colleagues."))
    raise forbidden(_("You cannot invite this kind of user."))


INVITER = auth(_inviter)


# ---------------------------------------------------------------- the signed-in user


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    company_id: int | None
    client_role: str
    language: str


@router.get("/me", response=MeOut, tags=["accounts"], summary="The signed-in user")
def me(request):
    return request.auth


# ---------------------------------------------------------------- users


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    company_id: int | None
    client_role: str
    language: str
    timezone: str
    is_active: bool
    date_joined: dt.datetime


class UserPage(Page):
    items: list[UserOut]


class UserFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Part of the name or email")
    role: RoleName | None = None
    company_id: int | None = Field(None, ge=1, le=MAX_ID)
    is_active: bool | None = None


class UserPatch(Strict):
    full_name: str | None = Field(None, max_length=150)
    role: RoleName | None = Field(
        None, description="Between agency roles only: a client user stays a client user"
    )
    client_role: ClientRoleName | None = Field(None, description="Client users only")
    is_active: bool | None = Field(None, description="false also revokes the user's API tokens")
    language: Language | None = Field(None, description="The language of pages and emails")


def _users() -> QuerySet[User]:
    # As the Users page lists them.
    return User.objects.order_by("role", "full_name", "email")


@router.get(
    "/users",
    auth=STAFF,
    response=UserPage,
    tags=["users"],
    summary="Users, agency and client",
    operation_id="partnerdesk_accounts_api_list_users",
)
def list_users(request, filters: Query[UserFilters], page: Query[PageParams]):
    require_staff(request)
    qs = _users()
    if filters.q:
        qs = qs.filter(Q(full_name__icontains=filters.q) | Q(email__icontains=filters.q))
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.company_id:
        qs = qs.filter(company_id=filters.company_id)
    if filters.is_active is not None:
        qs = qs.filter(is_active=filters.is_active)
    return paginate(qs, page, lambda user, _u: user)


@router.get(
    "/users/{user_id}",
    auth=STAFF,
    response={200: UserOut, 404: Problem},
    tags=["users"],
    summary="A user",
    operation_id="partnerdesk_accounts_api_get_user",
)
def get_user(request, user_id: int = Id):
    require_staff(request)
    return get_object_or_404(User, pk=user_id)


@router.patch(
    "/users/{user_id}",
    auth=ADMIN,
    response={200: UserOut, **ERRORS},
    tags=["users"],
    summary="Change a user's name, role, client role, language or active state (fields sent)",
    operation_id="partnerdesk_accounts_api_update_user",
)
def update_user(request, payload: UserPatch, user_id: int = Id):
    require_staff(request)
    user = get_object_or_404(User, pk=user_id)
    fields = payload.model_dump(exclude_unset=True, exclude_none=True)
    language = fields.pop("language", None)
    with transaction.atomic():
        # The Users page's service; the language is the profile's (the page has no field).
        user = services.user_update(user=user, by=request.auth, **fields)
        if language is not None:
            user = services.user_set_language(user=user, language=language)
    return user


# ---------------------------------------------------------------- teams


class TeamOut(Schema):
    id: int
    name: str
    lead: UserRef | None
    members: list[UserRef]


class TeamPage(Page):
    items: list[TeamOut]


class TeamIn(Strict):
    name: str = Field(..., min_length=1, max_length=100)
    member_ids: list[MemberIds] = Field([], max_length=500, description="Active agency users")
    lead_id: int | None = Field(None, ge=1, le=MAX_ID, description="One of the members")


class TeamPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    member_ids: list[MemberIds] | None = Field(
        None, max_length=500, description="The whole new list of members"
    )
    lead_id: int | None = Field(None, ge=1, le=MAX_ID, description="null: no lead")


def _teams() -> QuerySet[Team]:
    # As the Teams page lists them.
    return Team.objects.prefetch_related("members").select_related("lead")


def _team_out(team: Team, user=None) -> dict:
    return {"id": team.pk, "name": team.name, "lead": team.lead, "members": team.members.all()}


def _staff_users(ids: list[int], field: str) -> list[User]:
    """Active agency users by id (the page offers only those), or a 422 naming the missing."""
    found = {u.pk: u for u in User.objects.agency_staff().filter(pk__in=set(ids))}
    missing = [pk for pk in dict.fromkeys(ids) if pk not in found]
    if missing:
        raise DomainError(
            code="not_found",
            message=f"No active agency user with id {', '.join(map(str, missing))}.",
            field=field,
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def _lead(lead_id: int | None) -> User | None:
    return None if lead_id is None else _staff_users([lead_id], "lead_id")[0]


@router.get(
    "/teams",
    auth=STAFF,
    response=TeamPage,
    tags=["teams"],
    summary="Teams with their members and lead",
    operation_id="partnerdesk_accounts_api_list_teams",
)
def list_teams(request, page: Query[PageParams]):
    require_staff(request)
    return paginate(_teams(), page, _team_out)


@router.post(
    "/teams",
    auth=ADMIN,
    response={201: TeamOut, **ERRORS},
    tags=["teams"],
    summary="Create a team",
    operation_id="partnerdesk_accounts_api_create_team",
)
def create_team(request, payload: TeamIn):
    require_staff(request)
    team = services.team_save(
        by=request.auth,
        name=payload.name,
        members=_staff_users(payload.member_ids, "member_ids"),
        lead=_lead(payload.lead_id),
    )
    return Status(201, _team_out(_teams().get(pk=team.pk)))


@router.get(
    "/teams/{team_id}",
    auth=STAFF,
    response={200: TeamOut, 404: Problem},
    tags=["teams"],
    summary="A team",
    operation_id="partnerdesk_accounts_api_get_team",
)
def get_team(request, team_id: int = Id):
    require_staff(request)
    return _team_out(get_object_or_404(_teams(), pk=team_id))


@router.patch(
    "/teams/{team_id}",
    auth=ADMIN,
    response={200: TeamOut, **ERRORS},
    tags=["teams"],
    summary="Change a team's name, members or lead (fields sent)",
    operation_id="partnerdesk_accounts_api_update_team",
)
def update_team(request, payload: TeamPatch, team_id: int = Id):
    require_staff(request)
    team = get_object_or_404(_teams(), pk=team_id)
    sent = payload.model_fields_set
    members = (
        _staff_users(payload.member_ids or [], "member_ids")
        if "member_ids" in sent
        else list(team.members.all())
    )
    team = services.team_save(
        by=request.auth,
        team=team,
        name=payload.name if payload.name is not None else team.name,
        members=members,
        lead=_lead(payload.lead_id) if "lead_id" in sent else team.lead,
    )
    return _team_out(_teams().get(pk=team.pk))


# ---------------------------------------------------------------- invitations


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    company_id: int | None
    client_role: str
    invited_by_id: int | None
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None
    status: Literal["pending", "expired", "accepted", "revoked"]


class InvitationPage(Page):
    items: list[InvitationOut]


class InvitationIn(Strict):
    email: str = Field(..., min_length=1, max_length=254)
    role: RoleName | None = Field(None, description="Admins: required. Client admins: client")
    company_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Client users' company (a client admin: their own)"
    )
    client_role: ClientRoleName | None = Field(
        None, description="Client users: admin or member (a client admin invites members)"
    )
    language: Language | None = Field(
        None, description="The invitation email's language; omitted: the inviter's"
    )


class InvitationResendIn(Strict):
    language: Language | None = Field(
        None, description="The invitation email's language; omitted: the inviter's"
    )


def _invitation_out(invitation: Invitation, user=None) -> dict:
    if invitation.accepted_at is not None:
        state = "accepted"
    elif invitation.revoked_at is not None:
        state = "revoked"
    else:
        state = "pending" if invitation.expires_at > timezone.now() else "expired"
    return {
        **{
            name: getattr(invitation, name)
            for name in InvitationOut.model_fields
            if name != "status"
        },
        "status": state,
    }


def _invitation(invitation_id: int) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("company"), pk=invitation_id)


@router.get(
    "/invitations",
    auth=ADMIN,
    response=InvitationPage,
    tags=["invitations"],
    summary="Invitations not yet accepted or revoked (expired ones included)",
    operation_id="partnerdesk_accounts_api_list_invitations",
)
def list_invitations(request, page: Query[PageParams]):
    require_staff(request)
    # As the Users page lists them.
    qs = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return paginate(qs, page, _invitation_out)


@router.post(
    "/invitations",
    auth=INVITER,
    response={201: InvitationOut, **ERRORS},
    tags=["invitations"],
    summary="Invite someone by email (the link is emailed, never returned)",
    description=(
        "Admins invite agency users and client users of any company. A client admin invites "
        "colleagues of their own company as members (role, company_id and client_role may "
        "be left out). A new invitation replaces a pending one for the same address."
    ),
    operation_id="partnerdesk_accounts_api_create_invitation",
)
def create_invitation(request, payload: InvitationIn):
    by = request.auth
    role: str
    client_role: str
    if by.is_client:
        # The portal page's invitation: a member of the client admin's own company.
        own = by.company_id
        if (
            payload.role not in (None, Role.CLIENT)
            or payload.company_id not in (None, own)
            or payload.client_role not in (None, ClientRole.MEMBER)
        ):
            raise forbidden(_("You cannot invite this kind of user."))
        role, company, client_role = Role.CLIENT, by.company, ClientRole.MEMBER
    else:
        role = payload.role or ""
        company = lookup(Company, payload.company_id, "company")
        client_role = payload.client_role or ""
    invitation, _token = services.invitation_create(
        by=by,
        email=payload.email,
        role=role,
        company=company,
        client_role=client_role,
        language=payload.language,
    )
    return Status(201, _invitation_out(invitation))


@router.post(
    "/invitations/{invitation_id}/revoke",
    auth=ADMIN,
    response={200: InvitationOut, **ERRORS},
    tags=["invitations"],
    summary="Revoke an invitation (its link stops working)",
    operation_id="partnerdesk_accounts_api_revoke_invitation",
)
def revoke_invitation(request, invitation_id: int = Id):
    require_staff(request)
    invitation = _invitation(invitation_id)
    services.invitation_revoke(invitation=invitation, by=request.auth)
    return _invitation_out(_invitation(invitation_id))


@router.post(
    "/invitations/{invitation_id}/resend",
    auth=ADMIN,
    response={201: InvitationOut, **ERRORS},
    tags=["invitations"],
    summary="Send an invitation again: a new link, valid from now; the old link stops working",
    operation_id="partnerdesk_accounts_api_resend_invitation",
)
def resend_invitation(request, invitation_id: int = Id, payload: InvitationResendIn | None = None):
    require_staff(request)
    old = _invitation(invitation_id)
    if old.accepted_at is not None:
        raise conflict(
            "invitation_used", _("This invitation has already been used. Sign in instead.")
        )
    if old.revoked_at is not None:
        raise conflict(
            "invitation_revoked",
            "This invitation was revoked; invite the address again to send a new one.",
        )
    # Inviting the address again is what sends a new link: the service replaces the pending
    # invitation with a new one (new token, new expiry).
    invitation, _token = services.invitation_create(
        by=request.auth,
        email=old.email,
        role=old.role,
        company=old.company,
        client_role=old.client_role,
        language=payload.language if payload else None,
    )
    return Status(201, _invitation_out(invitation))
