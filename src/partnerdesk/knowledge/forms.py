"""Forms of the knowledge base's pages: they parse input; the services check the rules and their
``DomainError`` lands beside the field (``core.forms.submit``)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partnerdesk.core.forms import DomainErrorFormMixin

from . import selectors
from .models import Article, ArticleStatus, Category


class Form(DomainErrorFormMixin, forms.Form):
    """A form whose service errors land beside its fields."""


class RequestTypeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.pipeline.name} → {obj.request_name or obj.name}"


class ArticleForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), empty_label="—"
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=ArticleStatus.choices,
        help_text=_("Clients see published articles only."),
    )
    body = forms.CharField(
        label=_("Body"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 16, "class": "markdown"}),
        help_text=_(
            "Markdown: **bold**, *italic*, # headings, - lists, [links](https://…), tables. "
            "HTML is shown as text."
        ),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. mailbox, dns"),
    )
    task_categories = forms.ModelMultipleChoiceField(
        label=_("Portal task categories"),
        queryset=selectors.task_categories(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A client starting a request of these categories is shown this article."),
    )
    pipelines = forms.ModelMultipleChoiceField(
        label=_("Ticket pipelines"),
        queryset=selectors.ticket_pipelines(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    request_types = RequestTypeField(
        label=_("Request types"),
        queryset=selectors.request_types(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The ticket requests (entry stages) it helps with."),
    )
    translation_of = forms.ModelChoiceField(
        label=_("Translation of"),
        queryset=selectors.originals(),
        required=False,
        empty_label=_("— (an original article)"),
        help_text=_("The same article in another language: clients can switch between them."),
    )
    slug = forms.SlugField(
        label=_("Slug"),
        required=False,
        max_length=200,
        allow_unicode=True,
        help_text=_("Its name in links; made from the title when left empty."),
    )

    def __init__(self, *args, article: Article | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if article is not None:
            self.fields["translation_of"].queryset = selectors.originals(exclude=article.pk)  # type: ignore[attr-defined]


def article_initial(article: Article) -> dict:
    return {
        "title": article.title,
        "category": article.category_id,
        "language": article.language,
        "status": article.status,
        "body": article.body,
        "tags": ", ".join(article.tag_list),
        "task_categories": list(article.task_categories.all()),
        "pipelines": list(article.pipelines.all()),
        "request_types": list(article.request_types.all()),
        "translation_of": article.translation_of_id,
        "slug": article.slug,
    }


class CategoryForm(Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, required=False)
