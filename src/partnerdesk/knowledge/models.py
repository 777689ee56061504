"""The knowledge base: articles in categories, written in Markdown by the agency's staff, linked
to the request types they help with (ticket pipelines and their entry stages, the portal's task
categories), and the requests they deflected.

Fields and constraints only; the rules are in ``services``, the reads in ``selectors`` and the
full-text search in ``search``.

Articles are agency-wide, not tenant data: staff read every article, client users the published
ones (``selectors.articles_for``), so ``Article`` has no ``tenant_path``. A ``Deflection`` is a
client company's ("this solved it" instead of a request): its ``tenant_path`` is the company.

Translations. An article may be the translation of another (``translation_of``, always the
original, never a translation of a translation): the original and its translations are one
*family*, at most one article per language, and a client sees the family's version in their
language first and can switch to the others.

Search. On PostgreSQL a GIN index per text-search configuration (English, Italian, and
``simple`` for Arabic and any other language) is an expression index created by migration
0002 on PostgreSQL only; SQLite searches with ``LIKE`` (see ``search.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.tenancy import TenantQuerySet

# At most this many tags per article, each at most TAG_MAX characters (see services.clean_tags).
TAGS_MAX = 10
TAG_MAX = 40
QUERY_MAX = 500  # what a client typed, as a deflection keeps it


class Category(models.Model):
    """A section of the help center (*Email & domains*, *Getting started*)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # A default's stable key (blank on the rows staff add), see core.defaults.
    key = models.SlugField(max_length=64, blank=True, editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.TextField(_("description"), max_length=1000, blank=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="knowledge_category_unique_key"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200)
    # Unique per language; made from the title (Unicode kept: Arabic titles have Arabic slugs).
    slug = models.SlugField(_("slug"), max_length=220, allow_unicode=True, db_index=False)
    body = models.TextField(_("body (Markdown)"), max_length=100_000, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="articles",
        db_index=False,
    )
    # Normalised: lower case, comma-separated without spaces around the commas, no duplicates
    # ("billing,email setup"); ``tag_list`` splits it. Searched and filtered like a column.
    tags = models.CharField(_("tags"), max_length=500, blank=True)
    # What it helps with: ticket pipelines, their request types (entry stages only) and the
    # portal's task categories (the new-request form suggests the articles of the category).
    pipelines = models.ManyToManyField(
        "crm.Pipeline", verbose_name=_("ticket pipelines"), blank=True, related_name="+"
    )
    request_types = models.ManyToManyField(
        "crm.Stage", verbose_name=_("request types"), blank=True, related_name="+"
    )
    task_categories = models.ManyToManyField(
        "portal.TaskCategory", verbose_name=_("task categories"), blank=True, related_name="+"
    )
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    # When it was last published (None while a draft).
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Counters, raised with F() (never read-modify-write): client views and answers to "Was
    # this article helpful?".
    views = models.PositiveIntegerField(_("views"), default=0)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="knowledge_article_slug"),
            # One translation per language of an original.
            models.UniqueConstraint(
                fields=["translation_of", "language"],
                condition=Q(translation_of__isnull=False),
                name="knowledge_article_one_translation_per_language",
            ),
        ]
        indexes = [
            # The help center and the suggestions: published articles of a language, newest.
            models.Index(
                fields=["status", "language", "-published_at"], name="knowledge_article_public"
            ),
            models.Index(fields=["category", "status"], name="knowledge_article_category"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def family_id(self) -> int:
        """The original's id: the same for an article and all its translations."""
        return self.translation_of_id or self.pk


class Deflection(models.Model):
    """A client found the answer in an article and did not submit their request."""

    article = models.ForeignKey(
        Article,
        verbose_name=_("article"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deflections",
        db_index=False,
    )
    task_category = models.ForeignKey(
        "portal.TaskCategory",
        verbose_name=_("task category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    company = models.ForeignKey(
        "crm.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What they had typed (title and details of the request they did not submit), truncated.
    query = models.CharField(_("what they typed"), max_length=QUERY_MAX, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = TenantQuerySet.as_manager()
    tenant_path = "company_id"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        indexes = [
            models.Index(fields=["created_at"], name="knowledge_deflection_created"),
            models.Index(
                fields=["task_category", "created_at"], name="knowledge_deflection_category"
            ),
            models.Index(fields=["article", "created_at"], name="knowledge_deflection_article"),
        ]

    def __str__(self) -> str:
        return f"deflection #{self.pk}"
