"""Accounts services: invitations, user administration, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.utils import timezone

from partnerdesk.accounts import services
from partnerdesk.accounts.models import ApiToken, ClientRole, Invitation, Role, User
from partnerdesk.core.errors import DomainError
from partnerdesk.core.models import Event
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

STRONG = "violet-Lantern-42-orbit"


def error_of(call, code, status=None) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    assert info.value.code == code, (info.value.code, info.value.message)
    if status is not None:
        assert info.value.status == status
    return info.value


@pytest.fixture
def invite(admin, django_capture_on_commit_callbacks):
    """invite(**kwargs) -> (invitation, token), sending the email."""

    def make(by=admin, email="new@agency.test", role=Role.AGENT, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.invitation_create(by=by, email=email, role=role, **kwargs)

    return make


# ---------------------------------------------------------------- invitations


class TestInvitationCreate:
    def test_sends_one_email_with_a_link(self, invite, settings):
        invitation, token = invite(email="  New@Agency.TEST ")
        assert invitation.email == "new@agency.test"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["new@agency.test"]
        link = f"{settings.SITE_URL}/accounts/invite/{token}/"
        assert link in message.body
        html = message.alternatives[0]
        html_body = html.content if hasattr(html, "content") else html[0]
        assert token in html_body
        # Only the hash is stored.
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert not Invitation.objects.filter(token_hash=token).exists()

    def test_no_email_when_the_transaction_fails(self, admin, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.invitation_create(by=admin, email="a@agency.test", role=Role.AGENT)
        assert len(callbacks) == 1
        assert mail.outbox == []

    def test_email_in_chosen_language(self, invite):
        invite(language="it")
        assert len(mail.outbox) == 1

    def test_client_invitation(self, invite, company):
        invitation, _token = invite(
            email="bob@acme-dental.com",
            role=Role.CLIENT,
            company=company,
            client_role=ClientRole.MEMBER,
        )
        assert invitation.company == company
        assert invitation.client_role == ClientRole.MEMBER

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"email": "not-an-email"}, "invalid_email"),
            ({"email": ""}, "invalid_email"),
            ({"role": "owner"}, "invalid_role"),
            ({"role": Role.CLIENT}, "company_required"),
        ],
    )
    def test_validation(self, admin, kwargs, code):
        data = {"email": "x@agency.test", "role": Role.AGENT, **kwargs}
        error_of(lambda: services.invitation_create(by=admin, **data), code)
        assert not Invitation.objects.exists()

    def test_client_needs_client_role(self, admin, company):
        error_of(
            lambda: services.invitation_create(
                by=admin, email="x@a.com", role=Role.CLIENT, company=company, client_role="boss"
            ),
            "invalid_client_role",
        )

    def test_agency_user_has_no_company(self, admin, company):
        error_of(
            lambda: services.invitation_create(
                by=admin, email="x@a.com", role=Role.AGENT, company=company
            ),
            "company_not_allowed",
        )

    def test_existing_user_conflict(self, admin, agent):
        error = error_of(
            lambda: services.invitation_create(by=admin, email="AGENT@agency.test", role="agent"),
            "user_exists",
            409,
        )
        assert error.field == "email"

    def test_new_invitation_replaces_pending_one(self, invite):
        first, first_token = invite()
        _second, second_token = invite()
        first.refresh_from_db()
        assert first.revoked_at is not None
        error_of(lambda: services.invitation_for_token(first_token), "invalid_invitation", 404)
        assert services.invitation_for_token(second_token).email == "new@agency.test"

    @pytest.mark.parametrize("who", ["manager", "agent"])
    def test_staff_other_than_admin_cannot_invite(self, who, request, company):
        user = request.getfixturevalue(who)
        error_of(
            lambda: services.invitation_create(by=user, email="x@agency.test", role=Role.AGENT),
            "forbidden",
            403,
        )
        error_of(
            lambda: services.invitation_create(
                by=user,
                email="x@acme-dental.com",
                role=Role.CLIENT,
                company=company,
                client_role=ClientRole.MEMBER,
            ),
            "forbidden",
            403,
        )
        assert mail.outbox == []

    def test_client_admin_invites_only_to_own_company(
        self, client_user, company, other_company, invite
    ):
        invitation, _token = invite(
            by=client_user,
            email="colleague@acme-dental.com",
            role=Role.CLIENT,
            company=company,
            client_role=ClientRole.MEMBER,
        )
        assert invitation.invited_by == client_user
        error_of(
            lambda: services.invitation_create(
                by=client_user,
                email="spy@other.example",
                role=Role.CLIENT,
                company=other_company,
                client_role=ClientRole.MEMBER,
            ),
            "forbidden",
            403,
        )
        error_of(
            lambda: services.invitation_create(by=client_user, email="x@x.com", role=Role.AGENT),
            "forbidden",
        )

    def test_client_member_cannot_invite(self, other_client, other_company):
        error_of(
            lambda: services.invitation_create(
                by=other_client,
                email="x@other.example",
                role=Role.CLIENT,
                company=other_company,
                client_role=ClientRole.MEMBER,
            ),
            "forbidden",
            403,
        )

    def test_revoke(self, invite, admin, agent):
        invitation, token = invite()
        error_of(lambda: services.invitation_revoke(invitation=invitation, by=agent), "forbidden")
        services.invitation_revoke(invitation=invitation, by=admin)
        error_of(lambda: services.invitation_for_token(token), "invalid_invitation", 404)


class TestInvitationAccept:
    def test_creates_user_with_role_and_company(self, invite, company):
        _invitation, token = invite(
            email="bob@acme-dental.com",
            role=Role.CLIENT,
            company=company,
            client_role=ClientRole.ADMIN,
        )
        user = services.invitation_accept(
            token=token, full_name=" Bob Smith ", password=STRONG, language="ar"
        )
        assert user.email == "bob@acme-dental.com"
        assert user.full_name == "Bob Smith"
        assert user.role == Role.CLIENT
        assert user.company == company
        assert user.client_role == ClientRole.ADMIN
        assert user.language == "ar"
        assert user.check_password(STRONG)
        event = Event.objects.get(kind="user.joined")
        assert event.company_id == company.pk
        assert event.actor == user

    def test_agency_user(self, invite):
        _invitation, token = invite(role=Role.MANAGER)
        user = services.invitation_accept(token=token, full_name="M", password=STRONG)
        assert user.role == Role.MANAGER
        assert user.company is None
        assert user.client_role == ""

    def test_unknown_language_falls_back(self, invite):
        _invitation, token = invite()
        user = services.invitation_accept(
            token=token, full_name="A", password=STRONG, language="xx"
        )
        assert user.language == "en"

    @pytest.mark.parametrize("password", ["password", "12345678901", "short", "new@agency.test"])
    def test_weak_password(self, invite, password):
        _invitation, token = invite()
        error = error_of(
            lambda: services.invitation_accept(token=token, full_name="A", password=password),
            "weak_password",
        )
        assert error.field == "password"
        assert error.errors
        assert all(e.field == "password" for e in error.errors)
        assert not User.objects.filter(email="new@agency.test").exists()
        # The invitation is still usable.
        assert services.invitation_for_token(token)

    def test_name_required(self, invite):
        _invitation, token = invite()
        error = error_of(
            lambda: services.invitation_accept(token=token, full_name="  ", password=STRONG),
            "required",
        )
        assert error.field == "full_name"

    def test_token_reuse(self, invite):
        _invitation, token = invite()
        services.invitation_accept(token=token, full_name="A", password=STRONG)
        error_of(
            lambda: services.invitation_accept(token=token, full_name="B", password=STRONG),
            "invitation_used",
            410,
        )
        assert User.objects.filter(email="new@agency.test").count() == 1

    def test_expired(self, invite):
        invitation, token = invite()
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        error_of(
            lambda: services.invitation_accept(token=token, full_name="A", password=STRONG),
            "invitation_expired",
            410,
        )
        assert not User.objects.filter(email="new@agency.test").exists()

    @pytest.mark.parametrize("token", ["", "inv_nope", "x" * 500])
    def test_bad_token(self, token):
        error_of(
            lambda: services.invitation_accept(token=token, full_name="A", password=STRONG),
            "invalid_invitation",
            404,
        )

    def test_expiry_uses_setting(self, invite, settings):
        settings.INVITATION_VALID_DAYS = 2
        invitation, _token = invite()
        delta = invitation.expires_at - invitation.created_at
        assert dt.timedelta(days=2) - delta < dt.timedelta(seconds=5)


# ---------------------------------------------------------------- user administration


class TestUserUpdate:
    def test_last_admin_cannot_be_demoted_or_deactivated(self, admin, manager):
        error = error_of(
            lambda: services.user_update(user=admin, by=admin, role=Role.MANAGER), "last_admin"
        )
        assert error.field == "role"
        admin.refresh_from_db()
        assert admin.role == Role.ADMIN

    def test_other_admin_can_be_demoted_when_one_remains(self, admin):
        second = make_user("second@agency.test", Role.ADMIN)
        services.user_update(user=second, by=admin, role=Role.MANAGER)
        second.refresh_from_db()
        assert second.role == Role.MANAGER
        error_of(lambda: services.user_update(user=admin, by=admin, role="agent"), "last_admin")

    def test_deactivating_the_last_other_admin(self, admin):
        second = make_user("second@agency.test", Role.ADMIN)
        services.user_update(user=second, by=admin, is_active=False)
        # Now `admin` is the last active admin and `second` is inactive.
        error_of(lambda: services.user_update(user=admin, by=admin, role="agent"), "last_admin")

    def test_inactive_admins_do_not_count(self, admin):
        make_user("second@agency.test", Role.ADMIN, is_active=False)
        error_of(
            lambda: services.user_update(user=admin, by=admin, role=Role.AGENT),
            "last_admin",
        )

    def test_cannot_deactivate_self(self, admin):
        make_user("second@agency.test", Role.ADMIN)
        error_of(
            lambda: services.user_update(user=admin, by=admin, is_active=False),
            "cannot_deactivate_self",
        )

    def test_deactivating_revokes_api_tokens(self, admin, agent):
        token, plain = services.api_token_create(user=agent, name="ci")
        assert services.api_token_authenticate(plain) == agent
        services.user_update(user=agent, by=admin, is_active=False)
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert services.api_token_authenticate(plain) is None
        # Reactivating does not bring the old token back.
        services.user_update(user=agent, by=admin, is_active=True)
        assert services.api_token_authenticate(plain) is None

    def test_records_event(self, admin, agent):
        services.user_update(user=agent, by=admin, role=Role.MANAGER, full_name=" Ann ")
        event = Event.objects.get(kind="user.updated")
        assert event.actor == admin
        assert {c["field"]: c["new"] for c in event.data["changes"]} == {
            "role": "manager",
            "full_name": "Ann",
        }
        services.user_update(user=agent, by=admin, role=Role.MANAGER)
        assert Event.objects.filter(kind="user.updated").count() == 1

    def test_role_cannot_cross_agency_client_line(self, admin, agent, client_user):
        error_of(
            lambda: services.user_update(user=agent, by=admin, role=Role.CLIENT),
            "role_change_not_allowed",
        )
        error_of(
            lambda: services.user_update(user=client_user, by=admin, role=Role.AGENT),
            "role_change_not_allowed",
        )

    @pytest.mark.parametrize("who", ["manager", "agent"])
    def test_only_admin_manages_staff(self, who, request, agent):
        user = request.getfixturevalue(who)
        target = make_user("target@agency.test", Role.AGENT)
        error_of(lambda: services.user_update(user=target, by=user, full_name="X"), "forbidden")

    def test_client_admin_manages_own_colleagues_only(self, client_user, other_client, company):
        colleague = make_user(
            "m@acme-dental.com", Role.CLIENT, company=company, client_role=ClientRole.MEMBER
        )
        services.user_update(user=colleague, by=client_user, client_role=ClientRole.ADMIN)
        colleague.refresh_from_db()
        assert colleague.client_role == ClientRole.ADMIN
        error_of(
            lambda: services.user_update(user=other_client, by=client_user, is_active=False),
            "forbidden",
        )
        error_of(
            lambda: services.user_update(user=colleague, by=client_user, role=Role.AGENT),
            "forbidden",
        )

    def test_invalid_client_role(self, admin, client_user):
        error_of(
            lambda: services.user_update(user=client_user, by=admin, client_role="owner"),
            "invalid_client_role",
        )

    def test_set_language(self, agent):
        services.user_set_language(user=agent, language="it")
        agent.refresh_from_db()
        assert agent.language == "it"
        error_of(lambda: services.user_set_language(user=agent, language="fr"), "invalid_language")


# ---------------------------------------------------------------- API tokens


class TestApiTokens:
    def test_plain_token_returned_once_and_only_hash_stored(self, agent):
        token, plain = services.api_token_create(user=agent, name=" CI ")
        assert plain.startswith("pd_")
        assert len(plain) > 30
        assert token.name == "CI"
        assert token.prefix == plain[:10]
        assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
        stored = ApiToken.objects.filter(pk=token.pk).values().get()
        assert plain not in str(stored)
        event = Event.objects.get(kind="api_token.created")
        assert plain not in str(event.data)
        _token2, plain2 = services.api_token_create(user=agent, name="CI")
        assert plain2 != plain

    def test_authenticate(self, agent):
        token, plain = services.api_token_create(user=agent, name="ci")
        assert services.api_token_authenticate(plain) == agent
        token.refresh_from_db()
        assert token.last_used_at is not None
        for bad in ("", "pd_nope", plain + "x", plain[:-1], token.token_hash):
            assert services.api_token_authenticate(bad) is None

    def test_revoked_token_fails(self, agent):
        token, plain = services.api_token_create(user=agent, name="ci")
        services.api_token_revoke(token=token, by=agent)
        assert services.api_token_authenticate(plain) is None
        assert Event.objects.filter(kind="api_token.revoked").count() == 1
        services.api_token_revoke(token=token, by=agent)
        assert Event.objects.filter(kind="api_token.revoked").count() == 1

    def test_expired_token_fails(self, agent):
        token, plain = services.api_token_create(
            user=agent, name="ci", expires_at=timezone.now() + dt.timedelta(hours=1)
        )
        assert services.api_token_authenticate(plain) == agent
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
        assert services.api_token_authenticate(plain) is None

    def test_inactive_user_token_fails(self, agent):
        _token, plain = services.api_token_create(user=agent, name="ci")
        User.objects.filter(pk=agent.pk).update(is_active=False)
        assert services.api_token_authenticate(plain) is None

    def test_validation(self, agent):
        error_of(lambda: services.api_token_create(user=agent, name="  "), "required")
        error_of(lambda: services.api_token_create(user=agent, name="x" * 101), "too_long")
        error_of(
            lambda: services.api_token_create(
                user=agent, name="old", expires_at=timezone.now() - dt.timedelta(minutes=1)
            ),
            "invalid_expiry",
        )
        assert not ApiToken.objects.exists()

    def test_active_token_limit(self, agent):
        tokens = [
            services.api_token_create(user=agent, name=f"t{i}")[0]
            for i in range(services.MAX_ACTIVE_TOKENS)
        ]
        error_of(
            lambda: services.api_token_create(user=agent, name="one more"), "too_many_tokens", 409
        )
        services.api_token_revoke(token=tokens[0], by=agent)
        services.api_token_create(user=agent, name="one more")

    def test_revoke_someone_elses_token(self, agent, manager, admin):
        token, _plain = services.api_token_create(user=agent, name="ci")
        error_of(lambda: services.api_token_revoke(token=token, by=manager), "forbidden", 403)
        services.api_token_revoke(token=token, by=admin)
        token.refresh_from_db()
        assert token.revoked_at is not None


def test_create_user_normalizes_email(db):
    user = User.objects.create_user("Mixed@Example.COM", PASSWORD)
    assert user.email == "mixed@example.com"
    with pytest.raises(ValueError):
        User.objects.create_user("", PASSWORD)
