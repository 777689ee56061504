from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.models import TimeStampedModel
from partnerdesk.core.tenancy import TenantQuerySet
from partnerdesk.core.translated import TranslatedNameField


class ObjectType(models.TextChoices):
    COMPANY = "company", _("Company")
    CONTACT = "contact", _("Contact")
    DEAL = "deal", _("Deal")
    TICKET = "ticket", _("Ticket")


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CLIENT = "client", _("Client")
    FORMER = "former", _("Former client")


class PropertyRecord(TimeStampedModel):
    """A record with custom property values (plain in ``properties``, secrets encrypted)."""

    properties = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True, editable=False)
    hubspot_record_id = models.CharField(max_length=32, null=True, blank=True, unique=True)

    object_type: str

    class Meta:
        abstract = True


class Company(PropertyRecord):
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("primary domain"), max_length=253, blank=True, db_index=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    hub_id = models.CharField(_("HubSpot hub id"), max_length=32, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_companies",
        db_index=False,
    )
    lifecycle = models.CharField(
        _("lifecycle"), max_length=16, choices=Lifecycle.choices, default=Lifecycle.CLIENT
    )

    objects = TenantQuerySet.as_manager()
    tenant_path = "pk"
    object_type = ObjectType.COMPANY

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["lifecycle", "name"]),
            models.Index(fields=["owner", "name"]),
            # The first companies by name (the record pickers' first options, the list): read
            # in order, not every company sorted (6.5 ms at 20,000 companies).
            models.Index(fields=["name", "id"], name="company_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def company_id(self):
        return self.pk


class Contact(PropertyRecord):
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        db_index=False,
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    # The language emails to the contact are written in; blank: that of the contact's portal
    # account, else the agency's (tickets.mail.contact_language).
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Emails to this contact are written in it."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
    )

    objects = TenantQuerySet.as_manager()
    tenant_path = "company_id"
    object_type = ObjectType.CONTACT

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["company", "last_name"]),
            # The first contacts by name (the record pickers' first options, the list): read
            # in order, not every contact sorted (23 ms at 60,000 contacts).
            models.Index(fields=["last_name", "first_name", "id"], name="contact_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


class Pipeline(models.Model):
    object_type = models.CharField(
        _("object"),
        max_length=16,
        choices=[(ObjectType.DEAL, _("Deal")), (ObjectType.TICKET, _("Ticket"))],
    )
    name = TranslatedNameField(_("name"), max_length=100)
    # The name in other languages ({"it": …, "ar": …}); ``name`` reads in the reader's
    # language, queries use the base name (see core.translated).
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    order = models.PositiveIntegerField(default=0)
    archived = models.BooleanField(default=False)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pipelines",
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["object_type", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "name"], name="pipeline_unique_name"),
            models.UniqueConstraint(
                fields=["object_type", "key"],
                condition=~models.Q(key=""),
                name="pipeline_unique_key",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    CLOSED = "closed", _("Closed")


class Stage(models.Model):
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", db_index=False
    )
    name = TranslatedNameField(_("name"), max_length=100)
    # The name in other languages ({"it": …, "ar": …}); ``name`` reads in the reader's
    # language, queries use the base name (see core.translated).
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=StageKind.choices, default="open")
    # Tickets: entry stages are where a ticket of a request type is opened; the request name
    # starts the ticket's name ("<request name> For <domain>").
    is_entry = models.BooleanField(_("tickets can be opened here"), default=False)
    request_name = models.CharField(_("request name"), max_length=100, blank=True)
    waiting_on_customer = models.BooleanField(_("waiting on customer (pauses SLAs)"), default=False)
    # Tickets: the stage as the customer reads it (the client portal, emails to the customer);
    # blank: a label by kind (``customer_status``).
    customer_label = models.CharField(_("label for the customer"), max_length=100, blank=True)
    required_properties = models.ManyToManyField(
        "PropertyDefinition",
        verbose_name=_("required to enter"),
        blank=True,
        related_name="required_for_stages",
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["pipeline", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name"),
            models.UniqueConstraint(
                fields=["pipeline", "key"], condition=~models.Q(key=""), name="stage_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN

    @property
    def customer_status(self) -> str:
        """The stage as the customer reads it: its customer label, else Resolved (closed),
        Waiting on you (waiting on the customer) or Open, in the active language."""
        if self.customer_label:
            return self.customer_label
        if self.is_closed:
            return gettext("Resolved")
        if self.waiting_on_customer:
            return gettext("Waiting on you")
        return gettext("Open")


class PropertyType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    ENUM = "enum", _("Dropdown (one value)")
    MULTI_ENUM = "multi_enum", _("Checkboxes (several values)")
    USER = "user", _("User")
    URL = "url", _("URL")
    EMAIL = "email", _("Email")
    SECRET = "secret", _("Secret")
    ASSOCIATION = "association", _("Association")  # built-in only (e.g. a deal's line items)


class PropertyDefinition(models.Model):
    object_type = models.CharField(_("object"), max_length=16, choices=ObjectType.choices)
    name = models.SlugField(_("internal name"), max_length=64)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=PropertyType.choices)
    options = models.JSONField(_("options"), default=list, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    group = models.CharField(_("group"), max_length=60, blank=True)
    order = models.PositiveIntegerField(default=0)
    is_builtin = models.BooleanField(default=False, editable=False)
    archived = models.BooleanField(_("archived"), default=False)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["object_type", "order", "label"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "name"], name="property_unique_name"),
            models.UniqueConstraint(
                fields=["object_type", "key"],
                condition=~models.Q(key=""),
                name="property_unique_key",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def option_values(self) -> list[str]:
        return [o["value"] for o in self.options]

    def option_label(self, value) -> str:
        for option in self.options:
            if option["value"] == value:
                return option["label"]
        return str(value)


class ProductCategory(models.TextChoices):
    EMAIL = "email", _("Business email")
    STORAGE = "storage", _("Extra storage")
    DOMAIN = "domain", _("Domain services")
    WEBSITE = "website", _("Website")
    HUBSPOT = "hubspot", _("HubSpot")
    SERVICE = "service", _("Service")


class Billing(models.TextChoices):
    ONE_OFF = "one_off", _("One-off")
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class Product(models.Model):
    name = TranslatedNameField(_("name"), max_length=150)
    # The name in other languages ({"it": …, "ar": …}); ``name`` reads in the reader's
    # language, queries use the base name (see core.translated).
    name_translations = models.JSONField(_("name in other languages"), default=dict, blank=True)
    sku = models.SlugField(_("SKU"), max_length=64, unique=True)
    # A default's stable key (blank on the rows admins add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    category = models.CharField(_("category"), max_length=16, choices=ProductCategory.choices)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    billing = models.CharField(_("billing"), max_length=8, choices=Billing.choices)
    mailbox_gb = models.PositiveIntegerField(_("storage (GB)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="product_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Deal(PropertyRecord):
    name = models.CharField(_("name"), max_length=200)
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    close_date = models.DateField(_("close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_deals",
        db_index=False,
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("contacts"), blank=True, related_name="deals"
    )
    stage_entered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "company_id"
    object_type = ObjectType.DEAL

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["pipeline", "stage", "-created_at"]),
            models.Index(fields=["company", "-created_at"]),
            models.Index(fields=["owner", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.name


class LineItem(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="line_items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="line_items")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "deal__company_id"

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="line_item_quantity_positive", condition=models.Q(quantity__gte=1)
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class ImportStatus(models.TextChoices):
    INVALID = "invalid", _("Has errors")
    READY = "ready", _("Ready to import")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded HubSpot CSV file: its mapping preview, row errors and progress."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    object_type = models.CharField(max_length=16, choices=ObjectType.choices[:3])
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/")
    status = models.CharField(max_length=16, choices=ImportStatus.choices)
    mapping = models.JSONField(default=dict, blank=True)
    unmapped_columns = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 100
