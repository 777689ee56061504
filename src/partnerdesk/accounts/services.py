"""Users, invitations and API tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerdesk.core.errors import DomainError, FieldError, conflict, forbidden
from partnerdesk.core.events import record_event
from partnerdesk.core.records import single

from .models import ApiToken, ClientRole, Invitation, Role, Team, User, hash_token, new_token

MAX_ACTIVE_TOKENS = 20


def _can_manage_users(by: User, *, role: str, company) -> bool:
    if by.is_admin:
        return True
    # A client admin may invite colleagues of their own company.
    return (
        by.is_client_admin
        and role == Role.CLIENT
        and company is not None
        and company.pk == by.company_id
    )


def _validate_membership(role: str, company, client_role: str) -> None:
    if role not in Role.values:
        raise DomainError(code="invalid_role", message=_("Unknown role."), field="role")
    if role == Role.CLIENT:
        if company is None:
            raise DomainError(
                code="company_required",
                message=_("A client user belongs to exactly one company: choose it."),
                field="company",
            )
        if client_role not in ClientRole.values:
            raise DomainError(
                code="invalid_client_role",
                message=_("Choose client admin or member."),
                field="client_role",
            )
    elif company is not None:
        raise DomainError(
            code="company_not_allowed",
            message=_("Agency users do not belong to a client company."),
            field="company",
        )


def send_mail_in_language(
    *, to: str, language: str, subject: str, template: str, context: dict
) -> None:
    """Render ``template`` (.txt and .html) in ``language`` and send it."""
    with translation.override(language):
        context = {
            **context,
            "agency_name": settings.PARTNERDESK["AGENCY_NAME"],
            "site_url": settings.SITE_URL,
        }
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
        message = EmailMultiAlternatives(str(subject), text, settings.DEFAULT_FROM_EMAIL, [to])
        message.attach_alternative(html, "text/html")
        message.send()


@transaction.atomic
def invitation_create(
    *,
    by: User,
    email: str,
    role: str,
    company=None,
    client_role: str = "",
    language: str | None = None,
) -> tuple[Invitation, str]:
    email = (email or "").strip().lower()
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            code="invalid_email", message=_("Enter a valid email address."), field="email"
        ) from None
    if role != Role.CLIENT:
        client_role = ""
    _validate_membership(role, company, client_role)
    if not _can_manage_users(by, role=role, company=company):
        raise forbidden(_("You cannot invite this kind of user."))
    if User.objects.filter(email__iexact=email).exists():
        raise conflict(
            "user_exists", _("%(email)s already has an account.") % {"email": email}, "email"
        )
    # A new invitation replaces any pending one for the same address.
    Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = new_token("inv")
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        company=company,
        client_role=client_role,
        token_hash=hash_token(token),
        invited_by=by,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    url = settings.SITE_URL + reverse("accounts:invitation_accept", args=[token])
    lang = language or by.language
    transaction.on_commit(
        lambda: send_mail_in_language(
            to=email,
            language=lang,
            subject=_("You are invited to %(agency)s")
            % {"agency": settings.PARTNERDESK["AGENCY_NAME"]},
            template="accounts/email/invitation",
            context={
                "invitation": invitation,
                "url": url,
                "inviter": by,
                "days": settings.INVITATION_VALID_DAYS,
            },
        )
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("company")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise DomainError(
            code="invalid_invitation",
            message=_("This invitation link is not valid. Ask for a new invitation."),
            status=404,
        )
    if invitation.accepted_at is not None:
        raise DomainError(
            code="invitation_used",
            message=_("This invitation has already been used. Sign in instead."),
            status=410,
        )
    if invitation.expires_at <= timezone.now():
        raise DomainError(
            code="invitation_expired",
            message=_("This invitation has expired. Ask for a new invitation."),
            status=410,
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str, language: str = "en") -> User:
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise DomainError(
            code="invitation_used",
            message=_("This invitation has already been used. Sign in instead."),
            status=410,
        )
    full_name = (full_name or "").strip()
    if not full_name:
        raise DomainError(code="required", message=_("Tell us your name."), field="full_name")
    candidate = User(email=invitation.email, full_name=full_name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        errors = [FieldError("password", "weak_password", m) for m in exc.messages]
        raise DomainError(
            code="weak_password", message=" ".join(exc.messages), field="password", errors=errors
        ) from None
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                invitation.email,
                password,
                full_name=full_name,
                role=invitation.role,
                company=invitation.company,
                client_role=invitation.client_role,
                language=language,
            )
    except IntegrityError:
        raise conflict(
            "user_exists",
            _("%(email)s already has an account. Sign in instead.") % {"email": invitation.email},
        ) from None
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    record_event(
        kind="user.joined",
        subject=user,
        actor=user,
        company_id=user.company_id,
        data={"role": user.role},
    )
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> None:
    if not _can_manage_users(by, role=invitation.role, company=invitation.company):
        raise forbidden()
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


@transaction.atomic
def user_update(
    *,
    user: User,
    by: User,
    role: str | None = None,
    client_role: str | None = None,
    is_active: bool | None = None,
    full_name: str | None = None,
) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if not _can_manage_users(by, role=user.role, company=user.company):
        raise forbidden()
    changes = {}
    if role is not None and role != user.role:
        if not by.is_admin:
            raise forbidden()
        if (role == Role.CLIENT) != (user.role == Role.CLIENT):
            raise DomainError(
                code="role_change_not_allowed",
                message=_(
                    "An agency user cannot become a client user or the reverse; invite a new account instead."
                ),
                field="role",
            )
        changes["role"] = role
    if client_role is not None and user.is_client and client_role != user.client_role:
        if client_role not in ClientRole.values:
            raise DomainError(
                code="invalid_client_role",
                message=_("Choose client admin or member."),
                field="client_role",
            )
        changes["client_role"] = client_role
    if is_active is not None and is_active != user.is_active:
        if user.pk == by.pk:
            raise DomainError(
                code="cannot_deactivate_self",
                message=_("You cannot deactivate your own account."),
                field="is_active",
            )
        changes["is_active"] = is_active
    if full_name is not None and full_name.strip() != user.full_name:
        changes["full_name"] = full_name.strip()
    losing_admin = (
        changes.get("role", Role.ADMIN) != Role.ADMIN or changes.get("is_active") is False
    )
    other_admins = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk)
    if user.is_admin and losing_admin and not other_admins.exists():
        raise DomainError(
            code="last_admin",
            message=_("This is the last active admin; make someone else admin first."),
            field="role",
        )
    for key, value in changes.items():
        setattr(user, key, value)
    if changes:
        user.save()
        if changes.get("is_active") is False:
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
        record_event(
            kind="user.updated",
            subject=user,
            actor=by,
            company_id=user.company_id,
            data={
                "changes": [
                    {"field": k, "label": k, "old": None, "new": v} for k, v in changes.items()
                ]
            },
        )
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str, timezone: str | None = None) -> User:
    if language not in dict(settings.LANGUAGES):
        raise DomainError(
            code="invalid_language",
            message=_("Choose one of the offered languages."),
            field="language",
        )
    user.language = language
    fields = ["language"]
    if timezone is not None:
        import zoneinfo

        if timezone and timezone not in zoneinfo.available_timezones():
            raise DomainError(
                code="invalid_timezone",
                message=_("Choose a time zone from the list."),
                field="timezone",
            )
        user.timezone = timezone
        fields.append("timezone")
    user.save(update_fields=fields)
    return user


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError(
            code="required",
            message=_("Give the token a name, such as the tool that will use it."),
            field="name",
        )
    if len(name) > 100:
        raise DomainError(
            code="too_long",
            message=_("The name is too long (at most 100 characters)."),
            field="name",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            code="invalid_expiry",
            message=_("The expiry date must be in the future."),
            field="expires_at",
        )
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise conflict(
            "too_many_tokens",
            _("You have %(n)d active tokens; revoke one first.") % {"n": MAX_ACTIVE_TOKENS},
        )
    plain = new_token("pd")
    token = ApiToken.objects.create(
        user=user, name=name, prefix=plain[:10], token_hash=hash_token(plain), expires_at=expires_at
    )
    record_event(
        kind="api_token.created",
        subject=user,
        actor=user,
        company_id=user.company_id,
        data={"name": name, "prefix": token.prefix},
    )
    return token, plain


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> None:
    if token.user_id != by.pk and not by.is_admin:
        raise forbidden()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            kind="api_token.revoked",
            subject=token.user,
            actor=by,
            company_id=token.user.company_id,
            data={"name": token.name, "prefix": token.prefix},
        )


def api_token_authenticate(plain: str) -> User | None:
    token = single(
        ApiToken.objects.select_related("user").filter(
            token_hash=hash_token(plain or ""), revoked_at__isnull=True
        )
    )
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def team_save(*, by: User, team=None, name: str, members=(), lead=None):
    """Create or change a team: its name, members (agency users) and lead (one of them)."""
    if not by.is_admin:
        raise forbidden(_("Only an admin can change teams."))
    name = (name or "").strip()
    if not name:
        raise DomainError(code="required", message=_("A team needs a name."), field="name")
    if Team.objects.filter(name__iexact=name).exclude(pk=getattr(team, "pk", None)).exists():
        raise conflict(
            "duplicate_team", _("A team named “%(n)s” already exists.") % {"n": name}, "name"
        )
    members = list(members)
    if any(not m.is_agency_staff for m in members):
        raise DomainError(
            code="invalid_member",
            message=_("Only agency users can be team members."),
            field="members",
        )
    if lead is not None and lead not in members:
        raise DomainError(
            code="invalid_lead", message=_("The lead must be a member of the team."), field="lead"
        )
    team = team or Team()
    team.name, team.lead = name, lead
    team.save()
    team.members.set(members)
    record_event(
        kind="team.saved",
        subject=team,
        actor=by,
        data={"name": name, "members": [m.pk for m in members]},
    )
    return team
