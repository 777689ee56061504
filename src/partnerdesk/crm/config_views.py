"""Admin pages: pipelines and stages, properties, products.

The names of pipelines, stages and products are edited as their base names, each with a
"Name in <language>" field per other language (``core.translated``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.accounts.models import Team
from partnerdesk.core.access import admin_required, staff_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.translated import TranslatedNameFormMixin, base_name

from . import services
from .forms import DomainErrorFormMixin
from .models import (
    Billing,
    ObjectType,
    Pipeline,
    Product,
    ProductCategory,
    PropertyDefinition,
    PropertyType,
    Stage,
    StageKind,
)


class PipelineForm(TranslatedNameFormMixin, DomainErrorFormMixin, forms.Form):
    object_type = forms.ChoiceField(
        choices=[("deal", gettext_lazy("Deal")), ("ticket", gettext_lazy("Ticket"))],
        label=gettext_lazy("Object"),
    )
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))
    stages = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label=gettext_lazy("Stages"),
        help_text=gettext_lazy(
            "One per line, in order. End a line with “| won”, “| lost” or “| closed” for closing stages."
        ),
    )

    def stage_list(self) -> list[dict]:
        stages = []
        for line in self.cleaned_data["stages"].splitlines():
            name, _sep, kind = line.partition("|")
            if name.strip():
                stages.append(
                    {"name": name.strip(), "kind": kind.strip().lower() or StageKind.OPEN}
                )
        return stages


class PipelineEditForm(TranslatedNameFormMixin, DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        empty_label="—",
        label=gettext_lazy("Team"),
        help_text=gettext_lazy(
            "Notified about this pipeline's SLAs; the ticket list can filter by it."
        ),
    )
    archived = forms.BooleanField(
        required=False, label=gettext_lazy("Archived (hidden when creating records)")
    )


class StageForm(TranslatedNameFormMixin, DomainErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("Name"))
    kind = forms.ChoiceField(choices=StageKind.choices, label=gettext_lazy("Kind"))


class TicketStageForm(StageForm):
    is_entry = forms.BooleanField(
        required=False, label=gettext_lazy("Tickets can be opened here (a request type)")
    )
    request_name = forms.CharField(
        max_length=100,
        required=False,
        label=gettext_lazy("Request name"),
        help_text=gettext_lazy("Starts the ticket name: “<request name> For <domain>”."),
    )
    waiting_on_customer = forms.BooleanField(
        required=False, label=gettext_lazy("Waiting on customer (pauses SLAs)")
    )
    customer_label = forms.CharField(
        max_length=100,
        required=False,
        label=gettext_lazy("Label for the customer"),
        help_text=gettext_lazy(
            "How the client portal and emails to the customer name this stage. Left blank: "
            "“Open”, “Waiting on you” (waiting on the customer) or “Resolved” (closed)."
        ),
    )


class RequirementsForm(DomainErrorFormMixin, forms.Form):
    required_properties = forms.ModelMultipleChoiceField(
        queryset=PropertyDefinition.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Required to enter this stage"),
    )

    def __init__(self, *args, stage: Stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_properties"].queryset = PropertyDefinition.objects.filter(
            object_type=stage.pipeline.object_type, archived=False
        )


@admin_required
@require_http_methods(["GET", "POST"])
def pipeline_list(request):
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_create(
                by=request.user,
                object_type=form.cleaned_data["object_type"],
                name=form.cleaned_data["name"],
                stages=form.stage_list(),
                translations=form.cleaned_translations(),
            )
            messages.success(request, _("Pipeline created."))
            return redirect("crm:pipeline_detail", pk=pipeline.pk)
        except DomainError as exc:
            form.add_domain_error(exc)
    pipelines = Pipeline.objects.prefetch_related("stages")
    return render(
        request,
        "crm/config/pipeline_list.html",
        {"pipelines": pipelines, "form": form},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def pipeline_detail(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    action = request.POST.get("action")
    stage_form = StageForm(request.POST if action == "add_stage" else None)
    pipeline_form = PipelineEditForm(
        request.POST if action == "rename" else None,
        prefix="pipeline",
        initial={
            "name": base_name(pipeline),
            "team": pipeline.team_id,
            "archived": pipeline.archived,
        },
        translations=pipeline.name_translations,
    )
    if request.method == "POST":
        try:
            if action == "rename" and pipeline_form.is_valid():
                services.pipeline_update(
                    pipeline=pipeline,
                    by=request.user,
                    name=pipeline_form.cleaned_data["name"],
                    archived=pipeline_form.cleaned_data["archived"],
                    team=pipeline_form.cleaned_data["team"],
                    translations=pipeline_form.cleaned_translations(),
                )
                messages.success(request, _("Pipeline saved."))
                return redirect("crm:pipeline_detail", pk=pk)
            if action == "add_stage" and stage_form.is_valid():
                services.stage_add(
                    pipeline=pipeline,
                    by=request.user,
                    name=stage_form.cleaned_data["name"],
                    kind=stage_form.cleaned_data["kind"],
                    translations=stage_form.cleaned_translations(),
                )
                messages.success(request, _("Stage added."))
                return redirect("crm:pipeline_detail", pk=pk)
            if action == "reorder":
                ids = [int(i) for i in request.POST.getlist("stage_ids") if i.isdigit()]
                services.stage_reorder(pipeline=pipeline, by=request.user, stage_ids=ids)
                messages.success(request, _("Stage order saved."))
                return redirect("crm:pipeline_detail", pk=pk)
        except DomainError as exc:
            if action == "add_stage":
                stage_form.add_domain_error(exc)
            elif action == "rename":
                pipeline_form.add_domain_error(exc)
            else:
                messages.error(request, str(exc))
    stages = pipeline.stages.order_by("order", "id").prefetch_related("required_properties")
    return render(
        request,
        "crm/config/pipeline_detail.html",
        {
            "pipeline": pipeline,
            "pipeline_form": pipeline_form,
            "stages": stages,
            "stage_form": stage_form,
        },
        status=400 if stage_form.errors or pipeline_form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def stage_edit(request, pk):
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form_class = TicketStageForm if stage.pipeline.object_type == ObjectType.TICKET else StageForm
    form = form_class(
        request.POST or None,
        translations=stage.name_translations,
        initial={
            "name": base_name(stage),
            "kind": stage.kind,
            "is_entry": stage.is_entry,
            "request_name": stage.request_name,
            "waiting_on_customer": stage.waiting_on_customer,
            "customer_label": stage.customer_label,
        },
    )
    req_form = RequirementsForm(
        request.POST or None,
        stage=stage,
        initial={"required_properties": stage.required_properties.all()},
    )
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            try:
                services.stage_delete(stage=stage, by=request.user)
                messages.success(request, _("Stage deleted."))
                return redirect("crm:pipeline_detail", pk=stage.pipeline_id)
            except DomainError as exc:
                messages.error(request, str(exc))
        elif form.is_valid() and req_form.is_valid():
            try:
                data = form.cleaned_data  # a deal stage's form has no ticket settings: None
                services.stage_save(
                    stage=stage,
                    by=request.user,
                    name=data["name"],
                    kind=data["kind"],
                    is_entry=data.get("is_entry"),
                    request_name=data.get("request_name"),
                    waiting_on_customer=data.get("waiting_on_customer"),
                    customer_label=data.get("customer_label"),
                    required_properties=req_form.cleaned_data["required_properties"],
                    translations=form.cleaned_translations(),
                )
                messages.success(request, _("Stage saved."))
                return redirect("crm:pipeline_detail", pk=stage.pipeline_id)
            except DomainError as exc:
                form.add_domain_error(exc)
    return render(
        request,
        "crm/config/stage_form.html",
        {"stage": stage, "form": form, "req_form": req_form},
        status=400 if form.errors else 200,
    )


class PropertyForm(DomainErrorFormMixin, forms.Form):
    object_type = forms.ChoiceField(choices=ObjectType.choices, label=gettext_lazy("Object"))
    label = forms.CharField(max_length=100, label=gettext_lazy("Label"))
    name = forms.CharField(
        max_length=64,
        required=False,
        label=gettext_lazy("Internal name"),
        help_text=gettext_lazy("Left blank, it is made from the label. It cannot change later."),
    )
    type = forms.ChoiceField(
        choices=[c for c in PropertyType.choices if c[0] != PropertyType.ASSOCIATION],
        label=gettext_lazy("Type"),
    )
    options = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label=gettext_lazy("Options"),
        help_text=gettext_lazy(
            "For dropdowns and checkboxes: one per line, as “value” or “value | label”."
        ),
    )
    description = forms.CharField(max_length=300, required=False, label=gettext_lazy("Description"))
    group = forms.CharField(max_length=60, required=False, label=gettext_lazy("Group"))
    archived = forms.BooleanField(required=False, label=gettext_lazy("Archived"))

    def option_lines(self) -> list[str]:
        return [line for line in self.cleaned_data.get("options", "").splitlines() if line.strip()]


@admin_required
@require_GET
def property_list(request):
    object_type = request.GET.get("object", "")
    qs = PropertyDefinition.objects.prefetch_related("required_for_stages__pipeline")
    if object_type in ObjectType.values:
        qs = qs.filter(object_type=object_type)
    return render(
        request,
        "crm/config/property_list.html",
        {"definitions": qs, "object_type": object_type, "object_types": ObjectType.choices},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def property_form(request, pk=None):
    definition = get_object_or_404(PropertyDefinition, pk=pk, is_builtin=False) if pk else None
    initial = {}
    if definition:
        initial = {
            "object_type": definition.object_type,
            "label": definition.label,
            "name": definition.name,
            "type": definition.type,
            "options": "\n".join(f"{o['value']} | {o['label']}" for o in definition.options),
            "description": definition.description,
            "group": definition.group,
            "archived": definition.archived,
        }
    form = PropertyForm(
        request.POST or None, initial=initial or {"object_type": request.GET.get("object", "deal")}
    )
    if definition:
        for name in ("object_type", "name", "type"):
            form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if definition:
                services.property_update(
                    definition=definition,
                    by=request.user,
                    label=data["label"],
                    options=form.option_lines()
                    if definition.type in (PropertyType.ENUM, PropertyType.MULTI_ENUM)
                    else [],
                    description=data["description"],
                    group=data["group"],
                    archived=data["archived"],
                )
            else:
                services.property_create(
                    by=request.user,
                    object_type=data["object_type"],
                    label=data["label"],
                    name=data["name"],
                    type=data["type"],
                    options=form.option_lines(),
                    description=data["description"],
                    group=data["group"],
                )
            messages.success(request, _("Property saved."))
            return redirect("crm:property_list")
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "crm/config/property_form.html",
        {"form": form, "definition": definition},
        status=400 if form.errors else 200,
    )


class ProductForm(TranslatedNameFormMixin, DomainErrorFormMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "name",
            "sku",
            "category",
            "unit_price",
            "currency",
            "billing",
            "mailbox_gb",
            "active",
        ]

    def _post_clean(self):
        pass


@staff_required
@require_GET
def product_list(request):
    return render(
        request,
        "crm/config/product_list.html",
        {
            "products": Product.objects.all(),
            "categories": dict(ProductCategory.choices),
            "billing": dict(Billing.choices),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def product_form(request, pk=None):
    product = get_object_or_404(Product, pk=pk) if pk else None
    form = ProductForm(
        request.POST or None,
        instance=product,
        translations=product.name_translations if product else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.product_save(
                by=request.user,
                product=product,
                **{k: form.cleaned_data[k] for k in ProductForm.Meta.fields},
                translations=form.cleaned_translations(),
            )
            messages.success(request, _("Product saved."))
            return redirect("crm:product_list")
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "crm/record_form.html",
        {"form": form, "record": product, "kind": _("product")},
        status=400 if form.errors else 200,
    )
