"""Sign-in, lockout, password reset, invitations, profile (tokens, language), user admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts import services
from partnerdesk.accounts.models import ApiToken, ClientRole, Invitation, Role, User
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

STRONG = "violet-Lantern-42-orbit"
LOGIN = "/accounts/login/"


def sign_in(client, email, password=PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# ---------------------------------------------------------------- sign in


class TestLogin:
    def test_login_by_email_sets_language_cookie(self, client, agent):
        agent.language = "it"
        agent.save()
        response = sign_in(client, agent.email)
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert is_signed_in(client)
        cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
        assert cookie.value == "it"
        assert cookie["samesite"] == "Lax"

    def test_a_language_chosen_on_the_sign_in_page_becomes_the_accounts(self, client, agent):
        assert agent.language == "en"
        client.get(LOGIN)
        client.post("/i18n/setlang/", {"language": "it", "next": LOGIN})
        assert 'lang="it"' in client.get(LOGIN).content.decode()
        response = sign_in(client, agent.email)
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "it"
        agent.refresh_from_db()
        assert agent.language == "it"
        assert 'lang="it"' in client.get("/app/companies/").content.decode()
        # Chosen once: signing in again later keeps the account's (now Italian) language.
        client.logout()
        sign_in(client, agent.email)
        agent.refresh_from_db()
        assert agent.language == "it"

    def test_without_a_choice_the_account_keeps_its_language(self, agent):
        agent.language = "it"
        agent.save()
        # The browser asks for Arabic, and a previous visitor of this browser left Arabic in
        # the cookie: neither is this person's choice.
        client = Client(headers={"Accept-Language": "ar"})
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
        assert 'lang="ar"' in client.get(LOGIN).content.decode()
        response = sign_in(client, agent.email)
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "it"
        agent.refresh_from_db()
        assert agent.language == "it"

    def test_an_unknown_language_on_the_sign_in_page_changes_nothing(self, client, agent):
        client.post("/i18n/setlang/", {"language": "xx", "next": LOGIN})
        sign_in(client, agent.email)
        agent.refresh_from_db()
        assert agent.language == "en"

    def test_email_is_case_insensitive(self, client, agent):
        # Phones capitalise the first letter; stored emails are lower-case.
        response = sign_in(client, "Agent@Agency.TEST")
        assert response.status_code == 302
        assert is_signed_in(client)

    def test_wrong_password(self, client, agent):
        response = sign_in(client, agent.email, "wrong")
        assert response.status_code == 200
        assert not is_signed_in(client)
        assert response.context["form"].errors

    def test_inactive_user_cannot_sign_in(self, client, agent):
        agent.is_active = False
        agent.save()
        sign_in(client, agent.email)
        assert not is_signed_in(client)

    def test_next_is_honoured_but_not_offsite(self, client, agent):
        response = client.post(
            LOGIN, {"username": agent.email, "password": PASSWORD, "next": "/app/deals/"}
        )
        assert response["Location"] == "/app/deals/"
        client.logout()
        response = client.post(
            LOGIN, {"username": agent.email, "password": PASSWORD, "next": "https://evil.test/"}
        )
        assert response["Location"] == "/"

    def test_logout_is_post(self, agent):
        client = login(agent)
        response = client.post("/accounts/logout/")
        assert response.status_code == 302
        assert not is_signed_in(client)


class TestLockout:
    def lock(self, client, email):
        responses = [
            sign_in(client, email, f"wrong-{i}") for i in range(settings.AXES_FAILURE_LIMIT)
        ]
        assert all(r.status_code == 200 for r in responses[:-1])
        return responses[-1]

    def test_locked_out_page_after_failure_limit(self, client, agent):
        response = self.lock(client, agent.email)
        # django-axes 8 answers a lockout with 429 Too Many Requests.
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.content.decode()
        assert not is_signed_in(client)

    def test_correct_password_refused_while_locked(self, client, agent):
        self.lock(client, agent.email)
        response = sign_in(client, agent.email)
        assert response.status_code == 429
        assert not is_signed_in(client)
        # Another browser from the same address is refused too.
        other = Client()
        assert sign_in(other, agent.email).status_code == 429
        assert not is_signed_in(other)

    def test_case_variants_share_one_lockout(self, client, agent):
        variants = [
            "agent@agency.test",
            "Agent@agency.test",
            "AGENT@AGENCY.TEST",
            " agent@agency.test",
        ]
        for i in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, variants[i % len(variants)], "wrong")
        assert sign_in(client, "Agent@Agency.test").status_code == 429
        assert not is_signed_in(client)

    def test_other_accounts_not_locked(self, client, agent, manager):
        self.lock(client, agent.email)
        response = sign_in(Client(), manager.email)
        assert response.status_code == 302

    def test_reset_unlocks(self, client, agent):
        self.lock(client, agent.email)
        axes_reset()
        response = sign_in(client, agent.email)
        assert response.status_code == 302
        assert is_signed_in(client)


class TestPasswordReset:
    def test_email_link_sets_a_new_password(self, client, agent):
        response = client.post("/accounts/password-reset/", {"email": "AGENT@agency.test"})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/password-reset/sent/"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [agent.email]
        path = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)
        response = client.get(path)
        assert response.status_code == 302  # to the set-password URL
        set_password_url = response["Location"]
        response = client.post(set_password_url, {"new_password1": STRONG, "new_password2": STRONG})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/reset/done/"
        agent.refresh_from_db()
        assert agent.check_password(STRONG)
        # The link works once.
        assert "validlink" in client.get(path, follow=True).context
        assert not client.get(path, follow=True).context["validlink"]

    def test_unknown_email_sends_nothing_but_looks_the_same(self, client):
        response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/password-reset/sent/"
        assert mail.outbox == []


# ---------------------------------------------------------------- invitations


@pytest.fixture
def invitation(admin, company, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.invitation_create(
            by=admin,
            email="bob@acme-dental.com",
            role=Role.CLIENT,
            company=company,
            client_role=ClientRole.MEMBER,
        )


class TestInvitationAcceptPage:
    def test_valid_link(self, client, invitation):
        _inv, token = invitation
        response = client.get(f"/accounts/invite/{token}/")
        assert response.status_code == 200
        assert "bob@acme-dental.com" in response.content.decode()

    def test_link_in_email_works(self, client, invitation):
        _inv, token = invitation
        path = re.search(r"https?://[^/\s]+(/accounts/invite/\S+/)", mail.outbox[0].body).group(1)
        assert path == f"/accounts/invite/{token}/"
        assert client.get(path).status_code == 200

    def test_bad_token_404(self, client):
        response = client.get("/accounts/invite/inv_not-a-token/")
        assert response.status_code == 404
        assert "cannot be used" in response.content.decode()

    def test_expired_410(self, client, invitation):
        inv, token = invitation
        Invitation.objects.filter(pk=inv.pk).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
        response = client.get(f"/accounts/invite/{token}/")
        assert response.status_code == 410
        assert "expired" in response.content.decode()

    def test_weak_password_shown_beside_field(self, client, invitation):
        _inv, token = invitation
        response = client.post(
            f"/accounts/invite/{token}/",
            {"full_name": "Bob", "password": "password", "language": "en"},
        )
        assert response.status_code == 400
        assert 'id="err-password"' in response.content.decode()
        assert not User.objects.filter(email="bob@acme-dental.com").exists()

    def test_accept_signs_in(self, client, invitation, company):
        _inv, token = invitation
        response = client.post(
            f"/accounts/invite/{token}/",
            {"full_name": "Bob", "password": STRONG, "language": "ar"},
        )
        assert response.status_code == 302
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
        user = User.objects.get(email="bob@acme-dental.com")
        assert (user.role, user.company, user.language) == (Role.CLIENT, company, "ar")
        assert client.session["_auth_user_id"] == str(user.pk)
        # Used: a second visit is refused.
        response = Client().get(f"/accounts/invite/{token}/")
        assert response.status_code == 410


# ---------------------------------------------------------------- profile


class TestProfile:
    def test_token_shown_once(self, agent):
        client = login(agent)
        response = client.post("/accounts/profile/", {"action": "token", "name": "Zapier"})
        assert response.status_code == 200
        body = response.content.decode()
        plain = re.search(r'id="new-token">([^<]+)<', body).group(1)
        token = ApiToken.objects.get(user=agent)
        assert plain.startswith(token.prefix)
        assert services.api_token_authenticate(plain) == agent
        later = client.get("/accounts/profile/").content.decode()
        assert plain not in later
        assert token.prefix in later
        assert "Zapier" in later

    def test_token_form_errors(self, agent):
        client = login(agent)
        response = client.post("/accounts/profile/", {"action": "token", "name": ""})
        assert response.status_code == 400
        past = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = client.post(
            "/accounts/profile/", {"action": "token", "name": "x", "expires_at": past}
        )
        assert response.status_code == 400
        assert 'id="err-expires_at"' in response.content.decode()
        assert not ApiToken.objects.exists()

    def test_revoke(self, agent):
        token, plain = services.api_token_create(user=agent, name="ci")
        client = login(agent)
        response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
        assert response.status_code == 302
        assert services.api_token_authenticate(plain) is None
        assert token.prefix not in client.get("/accounts/profile/").content.decode()

    def test_cannot_revoke_someone_elses_token(self, agent, manager):
        token, plain = services.api_token_create(user=manager, name="ci")
        response = login(agent).post(f"/accounts/tokens/{token.pk}/revoke/")
        assert response.status_code == 404
        assert services.api_token_authenticate(plain) == manager

    def test_revoke_needs_post(self, agent):
        token, _plain = services.api_token_create(user=agent, name="ci")
        assert login(agent).get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405

    def test_language_switch_to_arabic_renders_rtl(self, agent):
        client = login(agent)
        before = client.get("/app/").content.decode()
        assert 'dir="ltr"' in before
        assert 'lang="en"' in before
        response = client.post("/accounts/profile/", {"action": "language", "language": "ar"})
        assert response.status_code == 302
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
        agent.refresh_from_db()
        assert agent.language == "ar"
        for path in ("/app/", "/app/companies/", "/accounts/profile/"):
            body = client.get(path).content.decode()
            assert 'dir="rtl"' in body, path
            assert 'lang="ar"' in body, path

    def test_user_language_wins_in_a_fresh_browser(self, agent):
        agent.language = "ar"
        agent.save()
        body = login(agent).get("/app/").content.decode()
        assert 'dir="rtl"' in body

    def test_bad_language(self, agent):
        response = login(agent).post("/accounts/profile/", {"action": "language", "language": "xx"})
        assert response.status_code == 400
        agent.refresh_from_db()
        assert agent.language == "en"

    def test_anonymous_language_switch(self, client):
        client.post("/i18n/setlang/", {"language": "ar", "next": "/accounts/login/"})
        body = client.get(LOGIN).content.decode()
        assert 'dir="rtl"' in body
        assert 'lang="ar"' in body

    def test_profile_needs_login(self, client):
        assert client.get("/accounts/profile/").status_code == 302


# ---------------------------------------------------------------- user administration


class TestUserAdmin:
    def test_admin_invites(self, admin, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = login(admin).post(
                "/app/settings/users/invite/",
                {"email": "new@agency.test", "role": "agent", "language": "it"},
            )
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        assert Invitation.objects.filter(email="new@agency.test").exists()

    def test_invite_errors_beside_fields(self, admin, agent):
        response = login(admin).post(
            "/app/settings/users/invite/",
            {"email": agent.email, "role": "agent", "language": "en"},
        )
        assert response.status_code == 400
        assert 'id="err-email"' in response.content.decode()

    @pytest.mark.parametrize("who", ["manager", "agent"])
    def test_non_admin_staff_forbidden(self, who, request):
        client = login(request.getfixturevalue(who))
        assert client.get("/app/settings/users/").status_code == 403
        response = client.post(
            "/app/settings/users/invite/",
            {"email": "x@agency.test", "role": "agent", "language": "en"},
        )
        assert response.status_code == 403
        assert not Invitation.objects.exists()

    def test_client_gets_404(self, client_user):
        assert login(client_user).get("/app/settings/users/").status_code == 404

    def test_last_admin_protection_on_page(self, admin):
        response = login(admin).post(
            f"/app/settings/users/{admin.pk}/",
            {"full_name": "Admin", "role": "manager", "is_active": "on"},
        )
        assert response.status_code == 400
        admin.refresh_from_db()
        assert admin.role == Role.ADMIN

    def test_deactivate_user_revokes_tokens(self, admin, agent):
        _token, plain = services.api_token_create(user=agent, name="ci")
        response = login(admin).post(
            f"/app/settings/users/{agent.pk}/", {"full_name": "Agent", "role": "agent"}
        )
        assert response.status_code == 302
        agent.refresh_from_db()
        assert not agent.is_active
        assert services.api_token_authenticate(plain) is None


class TestPortalInvite:
    def test_client_admin_invites_colleague(
        self, client_user, company, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = login(client_user).post(
                "/portal/team/invite/", {"email": "colleague@acme-dental.com", "language": "en"}
            )
        assert response.status_code == 302
        invitation = Invitation.objects.get(email="colleague@acme-dental.com")
        assert invitation.company == company
        assert invitation.role == Role.CLIENT
        assert len(mail.outbox) == 1

    def test_member_cannot_invite(self, other_client):
        response = login(other_client).post(
            "/portal/team/invite/", {"email": "x@other.example", "language": "en"}
        )
        assert response.status_code == 302
        assert not Invitation.objects.exists()

    def test_staff_get_404_on_portal(self, agent):
        assert login(agent).get("/portal/team/invite/").status_code == 404
