"""Sign-in, invitations, profile (language, API tokens) and user administration."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core.access import admin_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin

from . import services, throttle
from .middleware import CHOSEN_LANGUAGE
from .models import ApiToken, ClientRole, Invitation, Role, Team, User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=gettext_lazy("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    throttle_wait = 0  # seconds this attempt was told to wait (see accounts.throttle)

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        self.throttle_wait = throttle.login_attempt_wait(username)
        if self.throttle_wait:
            raise ValidationError(throttle.wait_message(self.throttle_wait), code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            if exc.code == "invalid_login":
                throttle.login_failed(username)
            raise
        throttle.login_succeeded(username)
        return cleaned


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttle_wait:
            response.status_code = 429
            response["Retry-After"] = str(form.throttle_wait)
        return response

    def form_valid(self, form):
        # A language picked on this page before signing in is the person's explicit choice: the
        # account keeps it (like choosing it in the profile). Without one the account's own
        # language stands, whatever the browser asked for or a previous visitor picked.
        chosen = self.request.session.pop(CHOSEN_LANGUAGE, None)
        response = super().form_valid(form)
        user = form.get_user()
        if chosen and chosen != user.language:
            user = services.user_set_language(user=user, language=chosen)
        translation.activate(user.language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response


class InvitationAcceptForm(DomainErrorFormMixin, forms.Form):
    full_name = forms.CharField(max_length=150, label=gettext_lazy("Your name"))
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label=gettext_lazy("Choose a password"),
    )
    language = forms.ChoiceField(choices=settings.LANGUAGES, label=gettext_lazy("Language"))


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    try:
        invitation = services.invitation_for_token(token)
    except DomainError as exc:
        return render(
            request, "accounts/invitation_invalid.html", {"error": exc}, status=exc.status
        )
    form = InvitationAcceptForm(
        request.POST or None, initial={"language": translation.get_language()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            login(request, user, backend="partnerdesk.accounts.auth.UserBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            response = redirect("home")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )


class TokenForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("Token name"))
    expires_at = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Expires (optional)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES, label=gettext_lazy("Language"))
    timezone = forms.ChoiceField(label=gettext_lazy("Time zone"), required=False)

    def __init__(self, *args, **kwargs):
        import zoneinfo

        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones())
        self.fields["timezone"].choices = [
            ("", gettext_lazy("Server default")),
            *[(z, z) for z in zones],
        ]


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    language_form = LanguageForm(
        initial={"language": request.user.language, "timezone": request.user.timezone}
    )
    token_form = TokenForm()
    new_token = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "language":
            language_form = LanguageForm(request.POST)
            if language_form.is_valid():
                user = services.user_set_language(
                    user=request.user,
                    language=language_form.cleaned_data["language"],
                    timezone=language_form.cleaned_data["timezone"],
                )
                translation.activate(user.language)
                messages.success(request, _("Language saved."))
                response = redirect("accounts:profile")
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
                return response
        elif action == "token":
            token_form = TokenForm(request.POST)
            if token_form.is_valid():
                try:
                    _token, new_token = services.api_token_create(
                        user=request.user, **token_form.cleaned_data
                    )
                    token_form = TokenForm()
                except DomainError as exc:
                    token_form.add_domain_error(exc)
        status = 400 if (language_form.errors or token_form.errors) else 200
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "accounts/profile.html",
        {
            "language_form": language_form,
            "token_form": token_form,
            "tokens": tokens,
            "new_token": new_token,
        },
        status=status,
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token revoked. Programs using it can no longer sign in."))
    return redirect("accounts:profile")


# ---------------------------------------------------------------- user administration


class InviteForm(DomainErrorFormMixin, forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"))
    role = forms.ChoiceField(choices=Role.choices, label=gettext_lazy("Role"))
    company = forms.ModelChoiceField(
        # The client's company: crm's model, reached through the field (accounts sits below crm).
        queryset=User._meta.get_field("company").related_model.objects.order_by("name"),
        required=False,
        label=gettext_lazy("Company (client users)"),
    )
    client_role = forms.ChoiceField(
        choices=[("", "—"), *ClientRole.choices], required=False, label=gettext_lazy("Client role")
    )
    language = forms.ChoiceField(choices=settings.LANGUAGES, label=gettext_lazy("Email language"))


class UserEditForm(DomainErrorFormMixin, forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label=gettext_lazy("Full name"))
    role = forms.ChoiceField(choices=Role.choices, label=gettext_lazy("Role"))
    client_role = forms.ChoiceField(
        choices=[("", "—"), *ClientRole.choices], required=False, label=gettext_lazy("Client role")
    )
    is_active = forms.BooleanField(required=False, label=gettext_lazy("Active"))


@admin_required
@require_GET
def user_list(request):
    users = User.objects.select_related("company").order_by("role", "full_name", "email")
    role = request.GET.get("role", "")
    if role in Role.values:
        users = users.filter(role=role)
    invitations = Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("company", "invited_by")
    return render(
        request,
        "accounts/user_list.html",
        {"users": users, "invitations": invitations, "roles": Role.choices, "role": role},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def user_invite(request):
    initial = {"language": request.user.language}
    if request.GET.get("company", "").isdigit():
        initial.update(
            company=request.GET["company"], role=Role.CLIENT, client_role=ClientRole.MEMBER
        )
    form = InviteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(by=request.user, **form.cleaned_data)
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("crm:user_list")
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request, "accounts/user_invite.html", {"form": form}, status=400 if form.errors else 200
    )


@admin_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk):
    user = get_object_or_404(User.objects.select_related("company"), pk=pk)
    form = UserEditForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "role": user.role,
            "client_role": user.client_role,
            "is_active": user.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=user, by=request.user, **form.cleaned_data)
            messages.success(request, _("User saved."))
            return redirect("crm:user_list")
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "accounts/user_edit.html",
        {"form": form, "subject": user},
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk)
    services.invitation_revoke(invitation=invitation, by=request.user)
    messages.success(request, _("Invitation revoked."))
    return redirect("crm:user_list")


class TeamForm(DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Members"),
    )
    lead = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=gettext_lazy("Lead"),
        help_text=gettext_lazy(
            "Automations can assign to the lead; round-robin goes through the members."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.agency_staff()
        self.fields["lead"].queryset = User.objects.agency_staff()


@admin_required
@require_http_methods(["GET", "POST"])
def team_list(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_save(by=request.user, **form.cleaned_data)
            messages.success(request, _("Team saved."))
            return redirect("crm:team_list")
        except DomainError as exc:
            form.add_domain_error(exc)
    teams = Team.objects.prefetch_related("members").select_related("lead")
    return render(
        request,
        "accounts/team_list.html",
        {"teams": teams, "form": form},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def team_edit(request, pk):
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(
        request.POST or None,
        initial={"name": team.name, "members": team.members.all(), "lead": team.lead_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.team_save(by=request.user, team=team, **form.cleaned_data)
            messages.success(request, _("Team saved."))
            return redirect("crm:team_list")
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "accounts/team_edit.html",
        {"team": team, "form": form},
        status=400 if form.errors else 200,
    )
