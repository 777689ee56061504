"""Default pipelines, products and properties from PRODUCT.md.

Each is installed once per stable key (``core.defaults``): a default an admin renamed, edited
or deleted is left that way by every later ``migrate``.

The names of the default pipelines, stages and products are marked with ``gettext_noop``: a
default is installed with its English name as the base name and the message catalogue's
Italian and Arabic names as its translations (``core.translated``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext_noop

from partnerdesk.core.defaults import adopt_or_create, install_once
from partnerdesk.core.translated import catalogue_translations

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
from .properties import BUILTIN_PROPERTIES

DEAL_STAGES = [
    (gettext_noop("New"), StageKind.OPEN),
    (gettext_noop("Qualified"), StageKind.OPEN),
    (gettext_noop("Proposal Sent"), StageKind.OPEN),
    (gettext_noop("Closed Won"), StageKind.WON),
    (gettext_noop("Closed Lost"), StageKind.LOST),
]
RENEWAL_STAGES = [
    (gettext_noop("Upcoming Renewal"), StageKind.OPEN),
    (gettext_noop("Renewal Offer Sent"), StageKind.OPEN),
    (gettext_noop("Renewed"), StageKind.WON),
    (gettext_noop("Not Renewed"), StageKind.LOST),
]

# key: (name, stages, required properties by stage name)
DEAL_PIPELINES = {
    "email-subscription": (
        gettext_noop("Email Subscription"),
        DEAL_STAGES,
        {
            "Closed Won": [
                "purchased_mailbox_names",
                "domain_name",
                "line_items",
                "number_of_licences",
            ]
        },
    ),
    "website-creation": (
        gettext_noop("Website Creation"),
        DEAL_STAGES,
        {"Closed Won": ["line_items"]},
    ),
    "website-annual-renewal": (
        gettext_noop("Website Annual Renewal"),
        RENEWAL_STAGES,
        {"Renewed": ["website_domain"]},
    ),
    "domain-services": (
        gettext_noop("Domain Services"),
        DEAL_STAGES,
        {"Closed Won": ["domain_name", "line_items"]},
    ),
    "hubspot-services": (
        gettext_noop("HubSpot Services"),
        DEAL_STAGES,
        {"Closed Won": ["line_items"]},
    ),
}

CUSTOM_PROPERTIES = [
    # object, name, label, type, options, group
    (
        "company",
        "industry",
        "Industry",
        PropertyType.ENUM,
        [
            "Retail",
            "Real estate",
            "Education",
            "Healthcare",
            "Hospitality",
            "Software",
            "Manufacturing",
        ],
        "Company information",
    ),
    ("company", "employees", "Number of employees", PropertyType.NUMBER, [], "Company information"),
    ("company", "website", "Website URL", PropertyType.URL, [], "Company information"),
    ("company", "billing_email", "Billing email", PropertyType.EMAIL, [], "Billing"),
    (
        "contact",
        "preferred_language",
        "Preferred language",
        PropertyType.ENUM,
        ["English", "Italian", "Arabic"],
        "Contact information",
    ),
    (
        "contact",
        "decision_maker",
        "Decision maker",
        PropertyType.ENUM,
        ["Yes", "No"],
        "Contact information",
    ),
    ("deal", "domain_name", "Domain name", PropertyType.TEXT, [], "Provisioning"),
    (
        "deal",
        "purchased_mailbox_names",
        "Purchased mailbox names",
        PropertyType.TEXT,
        [],
        "Provisioning",
    ),
    ("deal", "number_of_licences", "Number of licences", PropertyType.NUMBER, [], "Provisioning"),
    ("deal", "website_domain", "Website domain", PropertyType.TEXT, [], "Provisioning"),
    ("deal", "domain_purchase_date", "Domain purchase date", PropertyType.DATE, [], "Provisioning"),
    (
        "deal",
        "email_services",
        "Email services",
        PropertyType.MULTI_ENUM,
        ["Mailboxes", "Extra storage", "Migration"],
        "Provisioning",
    ),
    ("deal", "registrar_password", "Registrar password", PropertyType.SECRET, [], "Provisioning"),
]

PRODUCTS = [
    # sku (also the key), name, category, price, billing, mailbox_gb
    (
        "email-5gb",
        gettext_noop("Business Email 5 GB"),
        ProductCategory.EMAIL,
        "2.00",
        Billing.MONTHLY,
        5,
    ),
    (
        "email-10gb",
        gettext_noop("Business Email 10 GB"),
        ProductCategory.EMAIL,
        "3.50",
        Billing.MONTHLY,
        10,
    ),
    (
        "email-25gb",
        gettext_noop("Business Email 25 GB"),
        ProductCategory.EMAIL,
        "5.00",
        Billing.MONTHLY,
        25,
    ),
    (
        "email-50gb",
        gettext_noop("Business Email 50 GB"),
        ProductCategory.EMAIL,
        "8.00",
        Billing.MONTHLY,
        50,
    ),
    (
        "email-mixed",
        gettext_noop("Mixed Plan"),
        ProductCategory.EMAIL,
        "0.00",
        Billing.MONTHLY,
        None,
    ),
    (
        "storage-5gb",
        gettext_noop("Extra Storage +5 GB"),
        ProductCategory.STORAGE,
        "1.00",
        Billing.MONTHLY,
        5,
    ),
    (
        "storage-10gb",
        gettext_noop("Extra Storage +10 GB"),
        ProductCategory.STORAGE,
        "1.80",
        Billing.MONTHLY,
        10,
    ),
    (
        "storage-25gb",
        gettext_noop("Extra Storage +25 GB"),
        ProductCategory.STORAGE,
        "4.00",
        Billing.MONTHLY,
        25,
    ),
    (
        "storage-50gb",
        gettext_noop("Extra Storage +50 GB"),
        ProductCategory.STORAGE,
        "7.00",
        Billing.MONTHLY,
        50,
    ),
    (
        "storage-100gb",
        gettext_noop("Extra Storage +100 GB"),
        ProductCategory.STORAGE,
        "12.00",
        Billing.MONTHLY,
        100,
    ),
    (
        "storage-200gb",
        gettext_noop("Extra Storage +200 GB"),
        ProductCategory.STORAGE,
        "20.00",
        Billing.MONTHLY,
        200,
    ),
    (
        "domain-deletion",
        gettext_noop("Domain Deletion"),
        ProductCategory.DOMAIN,
        "0.00",
        Billing.ONE_OFF,
        None,
    ),
    (
        "domain-connect",
        gettext_noop("External Domain Connection"),
        ProductCategory.DOMAIN,
        "25.00",
        Billing.ONE_OFF,
        None,
    ),
    (
        "website-starter",
        gettext_noop("Website Starter (5 pages)"),
        ProductCategory.WEBSITE,
        "900.00",
        Billing.ONE_OFF,
        None,
    ),
    (
        "website-business",
        gettext_noop("Website Business (15 pages)"),
        ProductCategory.WEBSITE,
        "2400.00",
        Billing.ONE_OFF,
        None,
    ),
    (
        "website-renewal",
        gettext_noop("Website Annual Renewal"),
        ProductCategory.WEBSITE,
        "300.00",
        Billing.ANNUAL,
        None,
    ),
    (
        "hubspot-marketing-starter",
        gettext_noop("Marketing Hub Starter"),
        ProductCategory.HUBSPOT,
        "20.00",
        Billing.MONTHLY,
        None,
    ),
    (
        "hubspot-marketing-pro",
        gettext_noop("Marketing Hub Professional"),
        ProductCategory.HUBSPOT,
        "890.00",
        Billing.MONTHLY,
        None,
    ),
    (
        "hubspot-sales-pro",
        gettext_noop("Sales Hub Professional"),
        ProductCategory.HUBSPOT,
        "500.00",
        Billing.MONTHLY,
        None,
    ),
    (
        "hubspot-service-pro",
        gettext_noop("Service Hub Professional"),
        ProductCategory.HUBSPOT,
        "500.00",
        Billing.MONTHLY,
        None,
    ),
    (
        "hubspot-onboarding",
        gettext_noop("HubSpot Onboarding"),
        ProductCategory.SERVICE,
        "1500.00",
        Billing.ONE_OFF,
        None,
    ),
    (
        "hubspot-admin-solo",
        gettext_noop("HubSpot Admin Subscription — Solo"),
        ProductCategory.SERVICE,
        "600.00",
        Billing.MONTHLY,
        None,
    ),
    (
        "hubspot-admin-duo",
        gettext_noop("HubSpot Admin Subscription — Duo"),
        ProductCategory.SERVICE,
        "1100.00",
        Billing.MONTHLY,
        None,
    ),
    (
        "hubspot-admin-team",
        gettext_noop("HubSpot Admin Subscription — Team"),
        ProductCategory.SERVICE,
        "1500.00",
        Billing.MONTHLY,
        None,
    ),
]


def stage_key(name: str) -> str:
    """A default stage's key: the slug of the name it shipped with ("Closed Won": closed-won)."""
    return slugify(name)


def install_property(object_type: str, name: str, **values) -> None:
    """Install the default property ``name`` (also its key) of ``object_type`` once."""
    install_once(
        f"crm.property.{object_type}.{name}",
        lambda: adopt_or_create(
            PropertyDefinition,
            key=name,
            scope={"object_type": object_type},
            match={"name": name},
            values={"name": name, **values},
        ),
    )


def install_pipeline(
    *,
    object_type: str,
    key: str,
    name: str,
    order: int,
    stages: list[dict],
    team=None,
    then: Callable[[Pipeline, bool], None] | None = None,
) -> Pipeline | None:
    """Install the default pipeline ``key`` once, with its stages; ``None`` when already done.

    ``stages`` are dicts of Stage fields plus ``required`` (property names); each stage's key is
    ``stage_key(name)``. The pipeline and the stages it makes get the catalogue's translations
    of their names. A pipeline of the same name made before keys existed is adopted: it and
    its stages of the default names get their keys, nothing is added. ``then(pipeline, created)``
    installs what belongs to the pipeline (its SLA policies).
    """

    def create() -> Pipeline | None:
        pipeline, created = adopt_or_create(
            Pipeline,
            key=key,
            scope={"object_type": object_type},
            match={"name__iexact": name},
            values={
                "name": name,
                "name_translations": catalogue_translations(name),
                "order": order,
                "team": team,
            },
        )
        if pipeline is None:
            return None
        if created:
            definitions = {
                d.name: d for d in PropertyDefinition.objects.filter(object_type=object_type)
            }
            for index, spec in enumerate(stages):
                fields = {k: v for k, v in spec.items() if k != "required"}
                stage = Stage.objects.create(
                    pipeline=pipeline,
                    key=stage_key(spec["name"]),
                    order=index,
                    name_translations=catalogue_translations(spec["name"]),
                    **fields,
                )
                required = [definitions[n] for n in spec.get("required", []) if n in definitions]
                if required:
                    stage.required_properties.set(required)
        else:
            for spec in stages:
                pipeline.stages.filter(key="", name__iexact=spec["name"]).update(
                    key=stage_key(spec["name"])
                )
        if then is not None:
            then(pipeline, created)
        return pipeline

    return install_once(f"crm.pipeline.{object_type}.{key}", create)


def _install_builtin_properties() -> None:
    for object_type, builtins in BUILTIN_PROPERTIES.items():
        for order, (name, (label, type_)) in enumerate(builtins.items()):
            install_property(
                object_type, name, label=label, type=type_, is_builtin=True, order=1000 + order
            )


def _install_custom_properties() -> None:
    for order, (object_type, name, label, type_, options, group) in enumerate(CUSTOM_PROPERTIES):
        install_property(
            object_type,
            name,
            label=label,
            type=type_,
            options=[{"value": o, "label": o} for o in options],
            group=group,
            order=order,
        )


def _install_product(sku: str, *, name: str, **values) -> None:
    install_once(
        f"crm.product.{sku}",
        lambda: adopt_or_create(
            Product,
            key=sku,
            match={"sku": sku},
            values={
                "sku": sku,
                "name": name,
                "name_translations": catalogue_translations(name),
                **values,
            },
        ),
    )


@transaction.atomic
def install_defaults() -> None:
    _install_builtin_properties()
    _install_custom_properties()
    for order, (key, (name, stages, requirements)) in enumerate(DEAL_PIPELINES.items()):
        install_pipeline(
            object_type=ObjectType.DEAL,
            key=key,
            name=name,
            order=order,
            stages=[
                {"name": stage, "kind": kind, "required": requirements.get(stage, [])}
                for stage, kind in stages
            ],
        )
    for sku, name, category, price, billing, gb in PRODUCTS:
        _install_product(
            sku,
            name=name,
            category=category,
            unit_price=Decimal(price),
            billing=billing,
            mailbox_gb=gb,
        )


def install_defaults_after_migrate(sender, using="default", **kwargs) -> None:
    if using != "default":
        return
    install_defaults()
