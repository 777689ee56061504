"""Default records are installed once per stable key and never again (ARCHITECTURE.md rule 14).

The test database is itself a fresh install (``migrate`` ran the installers on it). Each test
changes defaults as an admin would, then runs what ``migrate`` runs after its migrations (the
``post_migrate`` installers) and checks that nothing was duplicated or brought back.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import IntegrityError, connection, transaction

from partnerdesk.accounts.defaults import TEAMS, default_team
from partnerdesk.accounts.models import Team
from partnerdesk.automation.defaults import WORKFLOWS
from partnerdesk.automation.models import Action, Workflow
from partnerdesk.core.defaults import install_once, is_installed
from partnerdesk.core.models import InstalledDefault
from partnerdesk.crm.defaults import CUSTOM_PROPERTIES, DEAL_PIPELINES, PRODUCTS, stage_key
from partnerdesk.crm.models import Pipeline, Product, PropertyDefinition, Stage
from partnerdesk.crm.properties import BUILTIN_PROPERTIES
from partnerdesk.partner_program import defaults as partner_defaults
from partnerdesk.partner_program.models import (
    AccreditationType,
    ActivityType,
    CurrencyRate,
    PointRate,
    ProgramSettings,
    Tier,
)
from partnerdesk.portal.defaults import CATEGORIES, PLANS
from partnerdesk.portal.models import Plan, PortalSettings, TaskCategory
from partnerdesk.sla.models import Calendar, SlaPolicy
from partnerdesk.tickets.defaults import PIPELINES as TICKET_PIPELINES
from partnerdesk.tickets.defaults import TICKET_PROPERTIES, policy_key
from partnerdesk.tickets.notice_models import NoticeEvent

pytestmark = pytest.mark.django_db

MODELS = [
    Pipeline,
    Stage,
    SlaPolicy,
    Calendar,
    Team,
    PropertyDefinition,
    Product,
    Workflow,
    Action,
    Plan,
    TaskCategory,
    InstalledDefault,
]

# Data migrations that give existing rows their keys and fill the ledger, in dependency order.
DATA_MIGRATIONS = [
    "partnerdesk.accounts.migrations.0006_default_team_keys",
    "partnerdesk.crm.migrations.0004_default_keys",
    "partnerdesk.tickets.migrations.0004_default_keys",
    "partnerdesk.automation.migrations.0002_default_workflows_installed",
    "partnerdesk.portal.migrations.0004_default_keys",
]
# Defaults added after keys existed: the data migrations' frozen lists do not name them, so the
# installers record them on the next migrate (taking a row that has the key already).
NEWER_THAN_KEYS = {
    f"automation.workflow.{key}"
    for key in (
        "email-request-opened",
        "domain-connect-to-support-lead",
        "bug-to-support-lead",
        "website-delivered-renewal-deal",
    )
}


def partner_program_ledger() -> set[str]:
    """The partner program's defaults (newer than keys: its installers record them)."""
    keys = {"partner_program.rates.initial", "partner_program.settings"}
    keys |= {f"partner_program.currency.{code.lower()}" for code in partner_defaults.CURRENCIES}
    keys |= {f"partner_program.activity_type.{k}" for k, *_ in partner_defaults.ACTIVITY_TYPES}
    keys |= {
        f"partner_program.accreditation_type.{k}" for k, *_ in partner_defaults.ACCREDITATION_TYPES
    }
    return keys | {f"partner_program.tier.{key}" for key, *_ in partner_defaults.TIERS}


NEWER_THAN_KEYS |= partner_program_ledger()


def customer_notice_ledger() -> set[str]:
    """Each default ticket pipeline's customer status emails (switched off until an admin acts;
    newer than the keys, installed by the installers, not by the keying data migrations)."""
    return {
        f"tickets.customernotice.{key}.{event}"
        for key in TICKET_PIPELINES
        for event in NoticeEvent.values
    }


NEWER_THAN_KEYS |= customer_notice_ledger()


def install_defaults() -> None:
    """What ``migrate`` runs once its migrations are applied."""
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def keyed(model, **scope) -> Counter:
    return Counter(model.objects.filter(**scope).exclude(key="").values_list("key", flat=True))


def expected_ledger() -> set[str]:
    keys = {f"accounts.team.{key}" for key in TEAMS}
    keys |= {f"crm.pipeline.deal.{key}" for key in DEAL_PIPELINES}
    keys |= {f"crm.pipeline.ticket.{key}" for key in TICKET_PIPELINES}
    keys |= {
        f"crm.property.{object_type}.{name}"
        for object_type, builtins in BUILTIN_PROPERTIES.items()
        for name in builtins
    }
    keys |= {f"crm.property.{object_type}.{name}" for object_type, name, *_ in CUSTOM_PROPERTIES}
    keys |= {f"crm.property.ticket.{name}" for name, *_ in TICKET_PROPERTIES}
    keys |= {f"crm.product.{sku}" for sku, *_ in PRODUCTS}
    keys |= {f"automation.workflow.{key}" for key, *_ in WORKFLOWS}
    keys |= {f"portal.plan.{key}" for key, *_ in PLANS}
    keys |= {f"portal.category.{key}" for key, _ in CATEGORIES}
    keys |= partner_program_ledger()
    keys |= customer_notice_ledger()
    return keys | {"sla.calendar.agency-hours", "portal.settings.consultants"}


def unkey_everything() -> None:
    """Back to a database from before keys (the workflows had theirs already)."""
    for model in (Pipeline, Stage, SlaPolicy, Team, PropertyDefinition, Product, Plan):
        model.objects.update(key="")
    TaskCategory.objects.update(key="")
    InstalledDefault.objects.all().delete()


def assert_every_default_once() -> None:
    assert set(InstalledDefault.objects.values_list("key", flat=True)) == expected_ledger()
    assert keyed(Pipeline, object_type="deal") == Counter(DEAL_PIPELINES.keys())
    assert keyed(Pipeline, object_type="ticket") == Counter(TICKET_PIPELINES.keys())
    for key, (name, _team, stages, policies) in TICKET_PIPELINES.items():
        pipeline = Pipeline.objects.get(object_type="ticket", key=key)
        assert pipeline.name == name
        assert keyed(Stage, pipeline=pipeline) == Counter(stage_key(s[0]) for s in stages)
        assert keyed(SlaPolicy, pipeline=pipeline) == Counter(
            policy_key(key, p[0]) for p in policies
        )
    for key, (name, stages, _required) in DEAL_PIPELINES.items():
        pipeline = Pipeline.objects.get(object_type="deal", key=key)
        assert pipeline.name == name
        assert keyed(Stage, pipeline=pipeline) == Counter(stage_key(s) for s, _ in stages)
    assert keyed(Team) == Counter(TEAMS.keys())
    assert {t.key: t.name for t in Team.objects.exclude(key="")} == TEAMS
    assert keyed(Product) == Counter(sku for sku, *_ in PRODUCTS)
    assert keyed(Workflow) == Counter(key for key, *_ in WORKFLOWS)
    assert keyed(Plan) == Counter(key for key, *_ in PLANS)
    assert keyed(TaskCategory) == Counter(key for key, _ in CATEGORIES)
    assert Calendar.objects.count() == 1
    assert PortalSettings.load().consultants == Team.objects.get(key="consultants")
    for model in (Pipeline, Stage, SlaPolicy, Team, Product, Workflow, Plan, TaskCategory):
        assert not model.objects.filter(key="").exists(), model  # nothing but the defaults


def test_a_fresh_install_has_every_default_exactly_once():
    assert_every_default_once()
    assert Team.objects.get(key="website").name == "Website Team"
    assert Pipeline.objects.get(object_type="ticket", key="bug-investigation").team.key == "support"
    policy = SlaPolicy.objects.get(key="domain-related-requests-domain-deletion")
    assert policy.entry_stage == Stage.objects.get(
        pipeline__object_type="ticket",
        pipeline__key="domain-related-requests",
        key="domain-deletion",
    )
    assert TaskCategory.objects.get(key="consultation-session").is_consultation


def test_the_installers_are_idempotent():
    before = counts()
    install_defaults()
    install_defaults()
    assert counts() == before
    assert_every_default_once()


def delete_every_default() -> None:
    Workflow.objects.all().delete()
    Pipeline.objects.all().delete()  # and their stages and SLA policies
    for model in (Calendar, Team, PropertyDefinition, Product, Plan, TaskCategory):
        model.objects.all().delete()
    PortalSettings.objects.all().delete()
    for partner_model in (
        AccreditationType,
        PointRate,
        CurrencyRate,
        ActivityType,
        Tier,
        ProgramSettings,
    ):
        partner_model.objects.all().delete()
    InstalledDefault.objects.all().delete()


def test_an_empty_database_gets_every_default_once_and_only_once():
    delete_every_default()

    install_defaults()
    assert_every_default_once()
    once = counts()
    install_defaults()
    assert counts() == once


def test_renamed_and_deleted_defaults_stay_so_after_the_installers_run_again():
    bugs = Pipeline.objects.get(object_type="ticket", key="bug-investigation")
    bugs.name = "Bugs"
    bugs.save()
    Team.objects.get(name="Website Team").delete()
    Stage.objects.get(pipeline__key="domain-related-requests", key="dns-propagating").delete()
    SlaPolicy.objects.get(key="domain-related-requests-domain-deletion").delete()
    SlaPolicy.objects.filter(key="bug-investigation").update(name="Bugs (contract)")
    Workflow.objects.get(key="email-lost").delete()
    Plan.objects.get(key="team").delete()
    TaskCategory.objects.filter(key="training").update(name="Workshops")
    Product.objects.get(key="email-mixed").delete()
    PropertyDefinition.objects.filter(object_type="deal", key="email_services").delete()
    Calendar.objects.update(name="Our hours")
    consultants = Team.objects.get(key="consultants")
    consultants.name = "Advisers"
    consultants.save()
    before = counts()

    install_defaults()

    assert counts() == before
    ticket_pipelines = Pipeline.objects.filter(object_type="ticket")
    assert not ticket_pipelines.filter(name="Bug Investigation").exists()
    assert ticket_pipelines.get(key="bug-investigation").name == "Bugs"
    assert not Team.objects.filter(name="Website Team").exists()
    assert not Team.objects.filter(key="website").exists()
    assert Team.objects.get(key="consultants").name == "Advisers"
    assert not Team.objects.filter(name="Consultants").exists()
    assert not Stage.objects.filter(name="DNS Propagating").exists()
    assert not SlaPolicy.objects.filter(name="Domain Related Requests — Domain Deletion").exists()
    assert SlaPolicy.objects.filter(pipeline__key="bug-investigation").count() == 1
    assert not SlaPolicy.objects.filter(name="Bug Investigation").exists()
    assert not Workflow.objects.filter(key="email-lost").exists()
    assert not Plan.objects.filter(name="Team").exists()
    assert not TaskCategory.objects.filter(name="Training").exists()
    assert not Product.objects.filter(sku="email-mixed").exists()
    assert not PropertyDefinition.objects.filter(object_type="deal", name="email_services").exists()
    assert list(Calendar.objects.values_list("name", flat=True)) == ["Our hours"]


def test_migrate_again_brings_nothing_back():
    Pipeline.objects.filter(object_type="ticket", key="bug-investigation").update(name="Bugs")
    Team.objects.filter(name="Website Team").delete()
    Stage.objects.filter(pipeline__key="bug-investigation", key="investigating").delete()
    SlaPolicy.objects.filter(key="email-creation").delete()
    Workflow.objects.filter(key="website-won").delete()
    before = counts()

    call_command("migrate", verbosity=0, interactive=False)

    assert counts() == before
    assert not Pipeline.objects.filter(name="Bug Investigation", object_type="ticket").exists()
    assert not Team.objects.filter(name="Website Team").exists()
    assert not Stage.objects.filter(pipeline__key="bug-investigation", name="Investigating")
    assert not SlaPolicy.objects.filter(pipeline__key="email-creation").exists()
    assert not Workflow.objects.filter(key="website-won").exists()


def test_a_default_workflow_that_points_at_a_deleted_default_is_not_installed():
    """A workflow new to this install (no ledger entry) whose team an admin deleted is skipped,
    rather than installed pointing at nothing; the deleted team is not made again for it."""
    Workflow.objects.filter(key="website-won").delete()
    InstalledDefault.objects.filter(key="automation.workflow.website-won").delete()
    Team.objects.filter(key="website").delete()

    install_defaults()

    assert not Workflow.objects.filter(key="website-won").exists()
    assert not Team.objects.filter(name="Website Team").exists()
    assert default_team("website") is None


def test_an_upgraded_database_gets_keys_and_no_duplicates():
    """A database from before keys: the data migrations key the defaults by their names (and
    fill the ledger), and the installers then add nothing."""
    renamed = Pipeline.objects.get(object_type="ticket", key="bug-investigation")
    unkey_everything()
    before = counts()

    for module in DATA_MIGRATIONS:
        importlib.import_module(module).forwards(apps, None)

    recorded = set(InstalledDefault.objects.values_list("key", flat=True))
    assert recorded == expected_ledger() - NEWER_THAN_KEYS
    assert Pipeline.objects.get(object_type="ticket", key="bug-investigation") == renamed
    install_defaults()
    assert counts() == {**before, "InstalledDefault": len(expected_ledger())}
    assert_every_default_once()


def test_the_data_migrations_only_record_defaults_that_exist():
    Team.objects.filter(name="Website Team").delete()
    Pipeline.objects.filter(object_type="ticket", name="Bug Investigation").update(name="Bugs")
    unkey_everything()

    for module in DATA_MIGRATIONS:
        importlib.import_module(module).forwards(apps, None)

    assert not is_installed("accounts.team.website")
    assert not is_installed("crm.pipeline.ticket.bug-investigation")
    assert is_installed("crm.pipeline.ticket.email-creation")
    # Then the installers make the pipeline that was missing at the upgrade, once (as the
    # installers before keys did). A team is made only for a default that needs it: the
    # pipelines and workflows that use the website team are installed already.
    install_defaults()
    install_defaults()
    assert Pipeline.objects.filter(object_type="ticket", name="Bug Investigation").count() == 1
    assert not Team.objects.filter(name="Website Team").exists()


def test_an_unkeyed_row_of_a_default_name_is_adopted_not_duplicated():
    """A default new to an install finds a row of its name (made before keys existed): the row
    gets the key; no second row is made."""
    team = Team.objects.get(key="support")
    Team.objects.filter(pk=team.pk).update(key="", name="support team")
    InstalledDefault.objects.filter(key="accounts.team.support").delete()

    assert default_team("support").pk == team.pk
    assert Team.objects.filter(name__iexact="support team").count() == 1


def test_install_once_records_the_key_only_when_the_install_succeeds():
    def fail():
        Team.objects.create(name="Half made")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        install_once("test.failing", fail)
    assert not is_installed("test.failing")
    assert not Team.objects.filter(name="Half made").exists()

    assert install_once("test.once", lambda: Team.objects.create(name="Once")).name == "Once"
    assert install_once("test.once", lambda: Team.objects.create(name="Twice")) is None
    assert not Team.objects.filter(name="Twice").exists()


def test_install_once_gives_way_to_a_concurrent_install_of_the_same_key(monkeypatch):
    """Another installer records the key between the check and the claim: the unique ledger
    row makes this one stand down."""
    import partnerdesk.core.defaults as defaults

    monkeypatch.setattr(defaults, "is_installed", lambda key: False)
    InstalledDefault.objects.create(key="test.raced")
    assert install_once("test.raced", lambda: Team.objects.create(name="Raced")) is None
    assert not Team.objects.filter(name="Raced").exists()


def test_blank_keys_never_collide_and_set_keys_are_unique():
    Team.objects.create(name="Admins' own A")
    Team.objects.create(name="Admins' own B")  # both with a blank key
    email = Pipeline.objects.get(object_type="deal", key="email-subscription")
    Stage.objects.create(pipeline=email, name="Extra 1")
    Stage.objects.create(pipeline=email, name="Extra 2")
    # The same key may name a deal and a ticket pipeline (as the same name may).
    assert Pipeline.objects.filter(key="website-creation").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="Another support", key="support")
    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.create(pipeline=email, name="Newer", key="new")
    with pytest.raises(IntegrityError), transaction.atomic():
        Workflow.objects.create(name="Copy", key="email-lost", trigger="deal_stage_entered")


# ---------------------------------------------------------------- PostgreSQL: real races


def _together(count: int, work) -> list[Exception]:
    """Run ``work(i)`` in ``count`` threads (own connections) started at the same instant."""
    errors: list[Exception] = []
    started = threading.Barrier(count)

    def worker(i: int) -> None:
        try:
            started.wait()
            work(i)
        except Exception as exc:  # pragma: no cover - reported by the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_installs_of_one_key_create_it_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")

    def create(i: int):
        time.sleep(0.3)  # the others reach the ledger while this install is uncommitted
        return Team.objects.create(name=f"Racer {i}")

    errors = _together(4, lambda i: install_once("test.race", lambda: create(i)))

    assert errors == []
    assert Team.objects.filter(name__startswith="Racer").count() == 1
    assert InstalledDefault.objects.filter(key="test.race").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_migrates_at_once_install_every_default_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers from threads: PostgreSQL")
    delete_every_default()

    assert _together(2, lambda i: install_defaults()) == []

    assert_every_default_once()
