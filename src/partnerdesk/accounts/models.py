import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.tenancy import TenantQuerySet


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    AGENT = "agent", _("Agent")
    CLIENT = "client", _("Client user")


class ClientRole(models.TextChoices):
    ADMIN = "admin", _("Client admin")
    MEMBER = "member", _("Member")


AGENCY_ROLES = (Role.ADMIN, Role.MANAGER, Role.AGENT)


class UserQuerySet(TenantQuerySet):
    def agency_staff(self):
        return self.filter(role__in=AGENCY_ROLES, is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email):
        # Addresses are stored lower-cased; sign-in ignores case.
        return self.get(email__iexact=email)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    client_role = models.CharField(
        _("client role"), max_length=16, choices=ClientRole.choices, blank=True
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("Blank: the server's time zone.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=dj_timezone.now)

    objects = UserManager()
    tenant_path = "company_id"

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["full_name", "email"]
        # The active agency staff in name order (pickers, the staff home's workload): read
        # from this index alone, however many client users the agency has.
        indexes = [
            models.Index(
                fields=["full_name", "email"],
                name="user_active_staff",
                condition=models.Q(role__in=AGENCY_ROLES, is_active=True),
            )
        ]
        constraints = [
            models.CheckConstraint(
                name="client_users_belong_to_one_company",
                condition=(
                    models.Q(role="client", company__isnull=False) & ~models.Q(client_role="")
                )
                | (~models.Q(role="client") & models.Q(company__isnull=True, client_role="")),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_agency_staff(self) -> bool:
        return self.role in AGENCY_ROLES

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager_or_admin(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    @property
    def is_client_admin(self) -> bool:
        return self.is_client and self.client_role == ClientRole.ADMIN

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    lead = models.ForeignKey(
        User,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Round-robin assignment continues after this member.
    last_assigned = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="team_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.name


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class Invitation(models.Model):
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    company = models.ForeignKey(
        "crm.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    client_role = models.CharField(max_length=16, choices=ClientRole.choices, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > dj_timezone.now()
        )


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=dj_timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > dj_timezone.now()
        )


class LoginThrottle(models.Model):
    """Failed sign-ins for one address, from any IP, and until when the next attempt for it
    must wait. Rows exist for any address typed in, an account's or not (so the answer never
    tells whether an account exists). See ``accounts.throttle``."""

    username = models.CharField(max_length=254, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(db_index=True)
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.username}: {self.failures} failures"
