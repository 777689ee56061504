"""CRM write services: validation codes, events on the timeline, stage requirements, config."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from partnerdesk.accounts.models import Role
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import describe
from partnerdesk.core.models import Event
from partnerdesk.crm import services
from partnerdesk.crm.models import (
    Company,
    Contact,
    Deal,
    LineItem,
    Pipeline,
    Product,
    PropertyDefinition,
    Stage,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

EMAIL_WON_REQUIRED = {
    "purchased_mailbox_names": "Purchased mailbox names",
    "domain_name": "Domain name",
    "number_of_licences": "Number of licences",
    "line_items": "Line items",
}


def raises(code, status=None):
    """Context manager: the block raises DomainError with this code (and status)."""

    class _Check:
        def __enter__(self):
            self.ctx = pytest.raises(DomainError)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.ctx.__exit__(*exc)
            error = self.info.value
            assert error.code == code, (error.code, error.message)
            if status is not None:
                assert error.status == status
            assert str(error.message)
            return handled

    return _Check()


def events_for(record, kind=None):
    qs = Event.objects.filter(
        subject_type=ContentType.objects.get_for_model(record), subject_id=record.pk
    )
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("id"))


def stage(pipeline, name):
    return pipeline.stages.get(name=name)


@pytest.fixture
def ticket_pipeline(admin):
    return services.pipeline_create(
        by=admin,
        object_type="ticket",
        name="Zz Test Tickets",
        stages=[{"name": "Open"}, {"name": "Done", "kind": "closed"}],
    )


@pytest.fixture
def bare_deal(admin, company, email_pipeline):
    """A deal without line items or provisioning properties."""
    return services.deal_create(by=admin, name="Bare", pipeline=email_pipeline, company=company)


# ---------------------------------------------------------------- companies


class TestCompanyCreate:
    def test_creates_and_records_event(self, admin):
        company = services.company_create(
            by=admin,
            name="  Nile Dental ",
            domain="https://www.Nile-Dental.com/contact",
            country="eg",
            timezone="Africa/Cairo",
        )
        assert company.name == "Nile Dental"
        assert company.domain == "nile-dental.com"
        assert company.country == "EG"
        [event] = events_for(company)
        assert event.kind == "company.created"
        assert event.company_id == company.pk
        assert event.actor == admin
        assert event.data == {"name": "Nile Dental"}
        assert describe(event) == "Company created"

    @pytest.mark.parametrize("domain", ["localhost", "not a domain.com", "x" * 250 + ".com"])
    def test_invalid_domain(self, admin, domain):
        with raises("invalid_domain", 422) as info:
            services.company_create(by=admin, name="X", domain=domain)
        assert info.value.field == "domain"
        assert not Company.objects.filter(name="X").exists()

    @pytest.mark.parametrize(
        "domain", ["user@example.com", "<script>.com", "example..com", "exa$mple.com", ".com"]
    )
    def test_domain_characters_are_checked(self, admin, domain):
        # Only letters, digits, hyphens and dots make a host name.
        with raises("invalid_domain"):
            services.company_create(by=admin, name="X", domain=domain)

    @pytest.mark.parametrize(
        ("domain", "expected"),
        [
            ("Example.COM", "example.com"),
            ("http://example.com", "example.com"),
            ("www.example.com/about", "example.com"),
            ("sub.example.co.uk", "sub.example.co.uk"),
            ("my-shop.example", "my-shop.example"),
            ("", ""),
        ],
    )
    def test_domain_normalized(self, admin, domain, expected):
        company = services.company_create(by=admin, name="X", domain=domain)
        assert company.domain == expected

    @pytest.mark.parametrize("country", ["ITA", "I", "1T", "I!"])
    def test_invalid_country(self, admin, country):
        with raises("invalid_country") as info:
            services.company_create(by=admin, name="X", country=country)
        assert info.value.field == "country"

    @pytest.mark.parametrize("tz", ["Mars/Olympus", "Europe/Nowhere", "../../etc/passwd", "UTC+3"])
    def test_invalid_timezone(self, admin, tz):
        with raises("invalid_timezone") as info:
            services.company_create(by=admin, name="X", timezone=tz)
        assert info.value.field == "timezone"
        assert tz in info.value.message

    def test_invalid_owner_client_user(self, admin, client_user):
        with raises("invalid_owner") as info:
            services.company_create(by=admin, name="X", owner=client_user)
        assert info.value.field == "owner"

    def test_invalid_owner_inactive_staff(self, admin, agent):
        agent.is_active = False
        agent.save()
        with raises("invalid_owner"):
            services.company_create(by=admin, name="X", owner=agent)

    def test_name_required(self, admin):
        with raises("required") as info:
            services.company_create(by=admin, name="   ")
        assert info.value.field == "name"

    def test_invalid_lifecycle(self, admin):
        with raises("invalid_choice"):
            services.company_create(by=admin, name="X", lifecycle="vip")

    def test_unknown_field(self, admin):
        with pytest.raises(TypeError, match="revenue"):
            services.company_create(by=admin, name="X", revenue=10)

    def test_model_validation_becomes_domain_error(self, admin):
        with raises("invalid") as info:
            services.company_create(by=admin, name="x" * 201)
        assert info.value.field == "name"

    def test_duplicate_hubspot_record_id(self, admin):
        services.company_create(by=admin, name="A", hubspot_record_id="123")
        with raises("duplicate_record_id", 409):
            services.company_create(by=admin, name="B", hubspot_record_id="123")
        assert Company.objects.filter(name="A").count() == 1
        assert not Company.objects.filter(name="B").exists()

    def test_with_properties(self, admin):
        company = services.company_create(
            by=admin, name="P", properties={"industry": "retail", "employees": "1,200"}
        )
        company.refresh_from_db()
        assert company.properties == {"industry": "Retail", "employees": 1200}

    def test_bad_properties_write_nothing(self, admin):
        with raises("invalid_properties"):
            services.company_create(by=admin, name="P", properties={"employees": "lots"})
        assert not Company.objects.filter(name="P").exists()
        assert not Event.objects.filter(kind="company.created", data__name="P").exists()


class TestCompanyUpdate:
    def test_records_changes(self, admin, agent, company):
        services.company_update(
            company=company,
            by=agent,
            name="Acme Dental Group",
            country="it",
            owner=agent,
            properties={"website": "https://acme-dental.com"},
        )
        [event] = events_for(company, "company.updated")
        assert event.company_id == company.pk
        assert event.actor == agent
        changes = {c["field"]: c for c in event.data["changes"]}
        assert changes["name"]["old"] == "Acme Dental"
        assert changes["name"]["new"] == "Acme Dental Group"
        assert changes["country"] == {
            "field": "country",
            "label": "country",
            "old": "EG",
            "new": "IT",
        }
        assert changes["owner"]["old"] is None
        assert changes["owner"]["new"] == str(agent)
        assert changes["website"]["new"] == "https://acme-dental.com"
        assert "Acme Dental → Acme Dental Group" in describe(event)

    def test_nothing_changed_records_nothing(self, admin, company):
        before = Event.objects.count()
        services.company_update(
            company=company,
            by=admin,
            name="Acme Dental",
            domain="ACME-dental.com",
            country="eg",
            properties={},
        )
        assert Event.objects.count() == before

    def test_invalid_update_writes_nothing(self, admin, company):
        with raises("invalid_timezone"):
            services.company_update(company=company, by=admin, name="New", timezone="Nope/Nope")
        company.refresh_from_db()
        assert company.name == "Acme Dental"
        assert not events_for(company, "company.updated")

    def test_invalid_property_on_update_writes_nothing(self, admin, company):
        with raises("invalid_properties"):
            services.company_update(
                company=company, by=admin, name="New", properties={"billing_email": "nope"}
            )
        company.refresh_from_db()
        assert company.name == "Acme Dental"


# ---------------------------------------------------------------- contacts


class TestContacts:
    def test_create_records_event_with_company(self, admin, company):
        contact = services.contact_create(
            by=admin, first_name=" Mona ", email="Mona@Acme-Dental.com", company=company
        )
        assert contact.first_name == "Mona"
        assert contact.email == "mona@acme-dental.com"
        [event] = events_for(contact)
        assert event.kind == "contact.created"
        assert event.company_id == company.pk

    def test_needs_name_or_email(self, admin):
        with raises("required") as info:
            services.contact_create(by=admin, phone="123")
        assert info.value.field == "first_name"

    def test_invalid_email(self, admin):
        with raises("invalid") as info:
            services.contact_create(by=admin, email="not-an-email")
        assert info.value.field == "email"

    def test_invalid_owner(self, admin, client_user):
        with raises("invalid_owner"):
            services.contact_create(by=admin, first_name="A", owner=client_user)

    def test_unknown_field(self, admin):
        with pytest.raises(TypeError, match="nickname"):
            services.contact_create(by=admin, first_name="A", nickname="B")

    def test_update_changes_and_noop(self, admin, company, other_company):
        contact = services.contact_create(by=admin, first_name="Mona", company=company)
        services.contact_update(contact=contact, by=admin, first_name="Mona")
        assert not events_for(contact, "contact.updated")
        services.contact_update(
            contact=contact, by=admin, company=other_company, properties={"decision_maker": "yes"}
        )
        [event] = events_for(contact, "contact.updated")
        assert event.company_id == other_company.pk
        changes = {c["field"]: c for c in event.data["changes"]}
        assert changes["company"]["old"] == "Acme Dental"
        assert changes["company"]["new"] == "Other Co"
        assert changes["decision_maker"]["new"] == "Yes"

    def test_update_cannot_remove_name_and_email(self, admin):
        contact = services.contact_create(by=admin, first_name="Mona")
        with raises("required"):
            services.contact_update(contact=contact, by=admin, first_name="")
        contact.refresh_from_db()
        assert contact.first_name == "Mona"


# ---------------------------------------------------------------- deals


class TestDealCreate:
    def test_defaults_to_first_stage_and_records_event(self, admin, company, email_pipeline):
        deal = services.deal_create(
            by=admin, name="New mailboxes", pipeline=email_pipeline, company=company, amount="10"
        )
        assert deal.stage == stage(email_pipeline, "New")
        assert deal.amount == Decimal("10")
        assert deal.currency == "USD"
        assert deal.stage_entered_at is not None
        assert deal.closed_at is None
        [event] = events_for(deal)
        assert event.kind == "deal.created"
        assert event.company_id == company.pk
        assert event.data == {
            "name": "New mailboxes",
            "pipeline": "Email Subscription",
            "stage": "New",
            "stage_id": deal.stage_id,
        }

    def test_line_items_use_catalogue_price(self, deal, product):
        [item] = deal.line_items.all()
        assert item.product == product
        assert item.quantity == 5
        assert item.unit_price == product.unit_price
        assert item.total == product.unit_price * 5

    @pytest.mark.parametrize("amount", ["abc", "-1", "1e12", "NaN", "Infinity", "1,000"])
    def test_invalid_amount(self, admin, email_pipeline, amount):
        with raises("invalid_amount") as info:
            services.deal_create(by=admin, name="X", pipeline=email_pipeline, amount=amount)
        assert info.value.field == "amount"

    @pytest.mark.parametrize("currency", ["US", "EURO", "12$", "", None])
    def test_invalid_currency(self, admin, email_pipeline, currency):
        with raises("invalid_currency") as info:
            services.deal_create(by=admin, name="X", pipeline=email_pipeline, currency=currency)
        assert info.value.field == "currency"

    def test_currency_upper_cased(self, admin, email_pipeline):
        deal = services.deal_create(by=admin, name="X", pipeline=email_pipeline, currency="eur")
        assert deal.currency == "EUR"

    def test_invalid_owner(self, admin, email_pipeline, client_user):
        with raises("invalid_owner"):
            services.deal_create(by=admin, name="X", pipeline=email_pipeline, owner=client_user)

    def test_name_required(self, admin, email_pipeline):
        with raises("required"):
            services.deal_create(by=admin, name=" ", pipeline=email_pipeline)

    def test_stage_of_another_pipeline(self, admin, email_pipeline):
        other = Pipeline.objects.get(object_type="deal", name="Website Creation")
        with raises("invalid_stage"):
            services.deal_create(
                by=admin, name="X", pipeline=email_pipeline, stage=stage(other, "New")
            )

    def test_ticket_pipeline_refused(self, admin, ticket_pipeline):
        with raises("invalid_pipeline"):
            services.deal_create(by=admin, name="X", pipeline=ticket_pipeline)

    def test_directly_into_won_stage_checks_requirements(self, admin, company, email_pipeline):
        before = Deal.objects.count()
        with raises("missing_required_properties") as info:
            services.deal_create(
                by=admin,
                name="Straight to won",
                pipeline=email_pipeline,
                stage=stage(email_pipeline, "Closed Won"),
                company=company,
            )
        assert {e.field for e in info.value.errors} == set(EMAIL_WON_REQUIRED)
        assert Deal.objects.count() == before
        assert not Event.objects.filter(kind="deal.created", data__name="Straight to won").exists()

    def test_directly_into_won_stage_with_everything(self, admin, company, email_pipeline, product):
        deal = services.deal_create(
            by=admin,
            name="Won at once",
            pipeline=email_pipeline,
            stage=stage(email_pipeline, "Closed Won"),
            company=company,
            line_items=[{"product": product, "quantity": 2}],
            properties={
                "purchased_mailbox_names": "a@acme.com, b@acme.com",
                "domain_name": "acme.com",
                "number_of_licences": 2,
            },
        )
        assert deal.stage.name == "Closed Won"
        assert deal.closed_at is not None

    @pytest.mark.parametrize("quantity", [0, -1, 1_000_001, "abc", None])
    def test_invalid_line_item_quantity(self, admin, email_pipeline, product, quantity):
        before = Deal.objects.count()
        with raises("invalid_quantity") as info:
            services.deal_create(
                by=admin,
                name="X",
                pipeline=email_pipeline,
                line_items=[{"product": product, "quantity": quantity}],
            )
        assert info.value.field == "quantity"
        assert Deal.objects.count() == before

    @pytest.mark.parametrize("price", ["-1", "abc", "NaN", "1e10", "Infinity"])
    def test_invalid_line_item_price(self, admin, email_pipeline, product, price):
        with raises("invalid_price") as info:
            services.deal_create(
                by=admin,
                name="X",
                pipeline=email_pipeline,
                line_items=[{"product": product, "unit_price": price}],
            )
        assert info.value.field == "unit_price"

    def test_inactive_product(self, admin, email_pipeline, product):
        services.product_save(by=admin, product=product, active=False)
        with raises("inactive_product"):
            services.deal_create(
                by=admin, name="X", pipeline=email_pipeline, line_items=[{"product": product}]
            )


class TestDealUpdate:
    def test_records_changes(self, admin, deal, agent):
        services.deal_update(
            deal=deal,
            by=admin,
            amount="75.50",
            owner=agent,
            properties={"domain_name": "acme-dental.com"},
        )
        [event] = events_for(deal, "deal.updated")
        assert event.company_id == deal.company_id
        changes = {c["field"]: c for c in event.data["changes"]}
        assert changes["amount"]["old"] == "50.00"
        assert changes["amount"]["new"] == "75.50"
        assert changes["owner"]["new"] == str(agent)
        assert changes["domain_name"] == {
            "field": "domain_name",
            "label": "Domain name",
            "old": None,
            "new": "acme-dental.com",
        }

    def test_nothing_changed_records_nothing(self, admin, deal):
        services.deal_update(deal=deal, by=admin, amount="50", name="Acme mailboxes")
        assert not events_for(deal, "deal.updated")

    def test_contacts_change_recorded(self, admin, deal, company):
        contact = services.contact_create(by=admin, first_name="Mona", company=company)
        services.deal_update(deal=deal, by=admin, contacts=[contact])
        assert list(deal.contacts.all()) == [contact]
        [event] = events_for(deal, "deal.updated")
        assert event.data["changes"][0]["field"] == "contacts"
        services.deal_update(deal=deal, by=admin, contacts=[contact])
        assert len(events_for(deal, "deal.updated")) == 1

    def test_invalid_amount_keeps_value(self, admin, deal):
        with raises("invalid_amount"):
            services.deal_update(deal=deal, by=admin, amount="-5")
        deal.refresh_from_db()
        assert deal.amount == Decimal("50")

    def test_pipeline_and_stage_not_updatable(self, admin, deal):
        with pytest.raises(TypeError, match="stage"):
            services.deal_update(deal=deal, by=admin, stage=deal.stage)
        with pytest.raises(TypeError, match="pipeline"):
            services.deal_update(deal=deal, by=admin, pipeline=deal.pipeline)


class TestDealMove:
    def test_missing_required_properties_names_every_one(self, admin, bare_deal, email_pipeline):
        won = stage(email_pipeline, "Closed Won")
        with raises("missing_required_properties", 422) as info:
            services.deal_move(deal=bare_deal, stage=won, by=admin)
        error = info.value
        for label in EMAIL_WON_REQUIRED.values():
            assert label in error.message
        assert "Closed Won" in error.message
        assert {e.field for e in error.errors} == set(EMAIL_WON_REQUIRED)
        assert all(e.code == "required" for e in error.errors)
        for e in error.errors:
            assert EMAIL_WON_REQUIRED[e.field] in e.message
        assert error.field in EMAIL_WON_REQUIRED
        bare_deal.refresh_from_db()
        assert bare_deal.stage.name == "New"
        assert not events_for(bare_deal, "deal.stage_changed")

    def test_only_the_missing_ones_are_named(self, admin, deal, email_pipeline):
        # The fixture deal has line items already.
        services.deal_update(deal=deal, by=admin, properties={"domain_name": "acme.com"})
        with raises("missing_required_properties") as info:
            services.deal_move(deal=deal, stage=stage(email_pipeline, "Closed Won"), by=admin)
        assert {e.field for e in info.value.errors} == {
            "purchased_mailbox_names",
            "number_of_licences",
        }
        assert "Line items" not in info.value.message
        assert "Domain name" not in info.value.message

    def test_after_filling_the_move_works(self, admin, bare_deal, email_pipeline, product):
        services.deal_update(
            deal=bare_deal,
            by=admin,
            properties={
                "purchased_mailbox_names": "info@acme.com",
                "domain_name": "acme.com",
                "number_of_licences": "3",
            },
        )
        services.line_item_add(deal=bare_deal, by=admin, product=product, quantity=3)
        new = stage(email_pipeline, "New")
        won = stage(email_pipeline, "Closed Won")
        moved = services.deal_move(deal=bare_deal, stage=won, by=admin)
        assert moved.stage == won
        assert moved.closed_at is not None
        bare_deal.refresh_from_db()
        assert bare_deal.stage == won
        [event] = events_for(bare_deal, "deal.stage_changed")
        assert event.company_id == bare_deal.company_id
        assert event.actor == admin
        assert event.data["from_stage_id"] == new.pk
        assert event.data["from_stage"] == "New"
        assert event.data["to_stage_id"] == won.pk
        assert event.data["to_stage"] == "Closed Won"
        assert event.data["kind"] == "won"
        assert describe(event) == "Stage moved from New to Closed Won"

    def test_open_stage_move_and_reopen(self, admin, deal, email_pipeline):
        lost = stage(email_pipeline, "Closed Lost")
        services.deal_move(deal=deal, stage=lost, by=admin)
        deal.refresh_from_db()
        assert deal.closed_at is not None
        services.deal_move(deal=deal, stage=stage(email_pipeline, "Qualified"), by=admin)
        deal.refresh_from_db()
        assert deal.closed_at is None
        assert len(events_for(deal, "deal.stage_changed")) == 2

    def test_same_stage_is_a_noop(self, admin, deal):
        services.deal_move(deal=deal, stage=deal.stage, by=admin)
        assert not events_for(deal, "deal.stage_changed")

    def test_move_to_another_deal_pipeline(self, admin, deal):
        renewal = Pipeline.objects.get(object_type="deal", name="Website Annual Renewal")
        target = stage(renewal, "Upcoming Renewal")
        services.deal_move(deal=deal, stage=target, by=admin)
        deal.refresh_from_db()
        assert deal.pipeline == renewal
        assert deal.stage == target

    def test_ticket_stage_refused(self, admin, deal, ticket_pipeline):
        with raises("invalid_stage") as info:
            services.deal_move(deal=deal, stage=ticket_pipeline.stages.first(), by=admin)
        assert info.value.field == "stage"
        deal.refresh_from_db()
        assert deal.pipeline.name == "Email Subscription"

    def test_archived_requirement_is_ignored(self, admin, bare_deal, email_pipeline):
        for name in ("purchased_mailbox_names", "domain_name", "number_of_licences"):
            definition = PropertyDefinition.objects.get(object_type="deal", name=name)
            services.property_update(definition=definition, by=admin, archived=True)
        with raises("missing_required_properties") as info:
            services.deal_move(deal=bare_deal, stage=stage(email_pipeline, "Closed Won"), by=admin)
        assert [e.field for e in info.value.errors] == ["line_items"]


class TestLineItems:
    def test_add_and_remove_record_events(self, admin, deal, product):
        item = services.line_item_add(
            deal=deal, by=admin, product=product, quantity="2", unit_price="1.25"
        )
        assert item.quantity == 2
        assert item.unit_price == Decimal("1.25")
        [added] = events_for(deal, "deal.line_item_added")
        assert added.data["quantity"] == 2
        assert added.data["unit_price"] == "1.25"
        assert added.company_id == deal.company_id
        services.line_item_remove(line_item=item, by=admin)
        assert not LineItem.objects.filter(pk=item.pk).exists()
        [removed] = events_for(deal, "deal.line_item_removed")
        assert removed.data == {"product": product.name, "quantity": 2}

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"quantity": 0}, "invalid_quantity"),
            ({"quantity": 1_000_001}, "invalid_quantity"),
            ({"quantity": "x"}, "invalid_quantity"),
            ({"unit_price": "-0.01"}, "invalid_price"),
            ({"unit_price": "ten"}, "invalid_price"),
            ({"unit_price": "1e10"}, "invalid_price"),
        ],
    )
    def test_add_validation(self, admin, deal, product, kwargs, code):
        with raises(code):
            services.line_item_add(deal=deal, by=admin, product=product, **kwargs)
        assert deal.line_items.count() == 1
        assert not events_for(deal, "deal.line_item_added")

    def test_zero_price_allowed(self, admin, deal, product):
        item = services.line_item_add(deal=deal, by=admin, product=product, unit_price="0")
        assert item.unit_price == 0


# ---------------------------------------------------------------- clients cannot write


class TestClientsCannotWrite:
    @pytest.mark.parametrize("who", ["client_user", "other_client"])
    def test_write_services_forbidden(self, who, request, company, deal, product, email_pipeline):
        user = request.getfixturevalue(who)
        contact = Contact.objects.create(first_name="X", company=company)
        calls = [
            lambda: services.company_create(by=user, name="Mine"),
            lambda: services.company_update(company=company, by=user, name="Hacked"),
            lambda: services.contact_create(by=user, first_name="Y", company=company),
            lambda: services.contact_update(contact=contact, by=user, first_name="Z"),
            lambda: services.deal_create(by=user, name="D", pipeline=email_pipeline),
            lambda: services.deal_update(deal=deal, by=user, name="Hacked"),
            lambda: services.deal_move(
                deal=deal, stage=stage(email_pipeline, "Closed Lost"), by=user
            ),
            lambda: services.line_item_add(deal=deal, by=user, product=product),
            lambda: services.line_item_remove(line_item=deal.line_items.first(), by=user),
        ]
        for call in calls:
            with raises("forbidden", 403):
                call()
        company.refresh_from_db()
        deal.refresh_from_db()
        assert company.name == "Acme Dental"
        assert deal.name == "Acme mailboxes"
        assert deal.stage.name == "New"
        assert deal.line_items.count() == 1


# ---------------------------------------------------------------- configuration


class TestPropertyConfig:
    def test_create_enum_with_options(self, admin):
        definition = services.property_create(
            by=admin,
            object_type="deal",
            label="Hosting plan",
            type="enum",
            options=["basic|Basic plan", {"value": "pro", "label": "Pro plan"}, " ", "max"],
        )
        assert definition.name == "hosting_plan"
        assert definition.options == [
            {"value": "basic", "label": "Basic plan"},
            {"value": "pro", "label": "Pro plan"},
            {"value": "max", "label": "max"},
        ]
        assert Event.objects.filter(kind="property.created").exists()

    def test_options_dropped_for_non_choice_types(self, admin):
        definition = services.property_create(
            by=admin, object_type="deal", label="Notes", type="text", options=["a"]
        )
        assert definition.options == []

    @pytest.mark.parametrize("type_", ["enum", "multi_enum"])
    def test_choice_types_need_options(self, admin, type_):
        with raises("options_required") as info:
            services.property_create(
                by=admin, object_type="deal", label="Plan", type=type_, options=[]
            )
        assert info.value.field == "options"

    def test_duplicate_options(self, admin):
        with raises("duplicate_option"):
            services.property_create(
                by=admin, object_type="deal", label="Plan", type="enum", options=["a", "a|A"]
            )

    def test_duplicate_name_conflict(self, admin):
        with raises("duplicate_property", 409) as info:
            services.property_create(by=admin, object_type="deal", label="Domain name", type="text")
        assert info.value.field == "name"

    def test_builtin_name_conflict(self, admin):
        with raises("duplicate_property", 409):
            services.property_create(
                by=admin, object_type="deal", label="Amount", name="amount", type="number"
            )

    def test_same_name_on_other_object_is_fine(self, admin):
        definition = services.property_create(
            by=admin, object_type="company", label="Domain name", type="text"
        )
        assert definition.object_type == "company"

    @pytest.mark.parametrize(
        ("kwargs", "code"),
        [
            ({"label": " "}, "required"),
            ({"object_type": "invoice"}, "invalid_choice"),
            ({"type": "association"}, "invalid_choice"),
            ({"type": "colour"}, "invalid_choice"),
            ({"label": "!!!", "name": ""}, "invalid_name"),
        ],
    )
    def test_create_validation(self, admin, kwargs, code):
        data = {"object_type": "deal", "label": "Plan", "type": "text", **kwargs}
        with raises(code):
            services.property_create(by=admin, **data)

    @pytest.mark.parametrize("who", ["manager", "agent", "client_user"])
    def test_only_admin(self, who, request):
        user = request.getfixturevalue(who)
        with raises("forbidden", 403):
            services.property_create(by=user, object_type="deal", label="Plan", type="text")
        definition = PropertyDefinition.objects.get(object_type="deal", name="domain_name")
        with raises("forbidden", 403):
            services.property_update(definition=definition, by=user, label="X")

    def test_builtin_not_editable(self, admin):
        builtin = PropertyDefinition.objects.get(object_type="deal", name="amount")
        with raises("builtin_property"):
            services.property_update(definition=builtin, by=admin, label="Value")

    def test_update_records_changes(self, admin):
        definition = PropertyDefinition.objects.get(object_type="deal", name="email_services")
        services.property_update(
            definition=definition, by=admin, label="Email products", options=["a", "b"]
        )
        definition.refresh_from_db()
        assert definition.label == "Email products"
        assert definition.option_values == ["a", "b"]
        event = Event.objects.get(kind="property.updated")
        assert {c["field"] for c in event.data["changes"]} == {"label", "options"}
        services.property_update(definition=definition, by=admin, label="Email products")
        assert Event.objects.filter(kind="property.updated").count() == 1

    def test_update_validation(self, admin):
        definition = PropertyDefinition.objects.get(object_type="deal", name="email_services")
        with raises("options_required"):
            services.property_update(definition=definition, by=admin, options=[])
        with raises("required"):
            services.property_update(definition=definition, by=admin, label="")
        with pytest.raises(TypeError, match="type"):
            services.property_update(definition=definition, by=admin, type="text")


class TestPipelineConfig:
    def test_create(self, admin):
        pipeline = services.pipeline_create(
            by=admin,
            object_type="deal",
            name="Consulting",
            stages=[{"name": "Lead"}, {"name": "Signed", "kind": "won"}],
        )
        assert [(s.name, s.kind, s.order) for s in pipeline.stages.order_by("order")] == [
            ("Lead", "open", 0),
            ("Signed", "won", 1),
        ]
        assert Event.objects.filter(kind="pipeline.created").exists()

    def test_duplicate_name_conflict_case_insensitive(self, admin):
        with raises("duplicate_pipeline", 409):
            services.pipeline_create(
                by=admin, object_type="deal", name="email subscription", stages=[{"name": "A"}]
            )

    def test_same_name_for_tickets_allowed(self, admin):
        services.pipeline_create(
            by=admin, object_type="ticket", name="Email Subscription", stages=[{"name": "A"}]
        )

    def test_needs_stages_and_name(self, admin):
        with raises("stages_required"):
            services.pipeline_create(by=admin, object_type="deal", name="Empty", stages=[])
        with raises("required"):
            services.pipeline_create(by=admin, object_type="deal", name=" ", stages=[{"name": "A"}])
        assert not Pipeline.objects.filter(name="Empty").exists()

    def test_duplicate_stage_names_in_new_pipeline_write_nothing(self, admin):
        with raises("duplicate_stage", 409):
            services.pipeline_create(
                by=admin,
                object_type="deal",
                name="Twice",
                stages=[{"name": "A"}, {"name": "a"}],
            )
        assert not Pipeline.objects.filter(name="Twice").exists()

    @pytest.mark.parametrize(
        ("object_type", "kind"), [("deal", "closed"), ("ticket", "won"), ("deal", "maybe")]
    )
    def test_stage_kind_per_object(self, admin, object_type, kind):
        with raises("invalid_stage_kind"):
            services.pipeline_create(
                by=admin, object_type=object_type, name="K", stages=[{"name": "A", "kind": kind}]
            )

    def test_rename_conflict(self, admin, email_pipeline):
        with raises("duplicate_pipeline", 409):
            services.pipeline_update(pipeline=email_pipeline, by=admin, name="HubSpot services")
        services.pipeline_update(pipeline=email_pipeline, by=admin, name="Email Subscription")
        assert not Event.objects.filter(kind="pipeline.updated").exists()
        services.pipeline_update(pipeline=email_pipeline, by=admin, name="Email")
        assert Event.objects.filter(kind="pipeline.updated").count() == 1

    def test_stage_add_update_conflicts(self, admin, email_pipeline):
        with raises("duplicate_stage", 409):
            services.stage_add(pipeline=email_pipeline, by=admin, name="closed won")
        added = services.stage_add(pipeline=email_pipeline, by=admin, name="On hold")
        assert added.order == max(s.order for s in email_pipeline.stages.all())
        with raises("duplicate_stage", 409):
            services.stage_update(stage=added, by=admin, name="NEW")
        with raises("invalid_stage_kind"):
            services.stage_update(stage=added, by=admin, kind="closed")
        services.stage_update(stage=added, by=admin, name="Paused", kind="lost")
        added.refresh_from_db()
        assert (added.name, added.kind) == ("Paused", "lost")

    def test_stage_reorder(self, admin, email_pipeline):
        ids = list(email_pipeline.stages.order_by("order").values_list("pk", flat=True))
        services.stage_reorder(pipeline=email_pipeline, by=admin, stage_ids=ids[::-1])
        assert (
            list(email_pipeline.stages.order_by("order").values_list("pk", flat=True))
            == (ids[::-1])
        )
        for bad in (ids[:-1], [*ids, ids[0]], [*ids[:-1], 10**9]):
            with raises("invalid_order"):
                services.stage_reorder(pipeline=email_pipeline, by=admin, stage_ids=bad)

    def test_stage_delete_rules(self, admin, deal, email_pipeline):
        with raises("stage_in_use", 409):
            services.stage_delete(stage=deal.stage, by=admin)
        services.stage_delete(stage=stage(email_pipeline, "Proposal Sent"), by=admin)
        assert not email_pipeline.stages.filter(name="Proposal Sent").exists()
        single = services.pipeline_create(
            by=admin, object_type="deal", name="Single", stages=[{"name": "Only"}]
        )
        with raises("last_stage", 409):
            services.stage_delete(stage=single.stages.get(), by=admin)

    def test_required_properties_must_match_object(self, admin, email_pipeline):
        company_prop = PropertyDefinition.objects.get(object_type="company", name="industry")
        with raises("invalid_property"):
            services.stage_set_required_properties(
                stage=stage(email_pipeline, "Qualified"), properties=[company_prop], by=admin
            )

    def test_set_required_properties_applies_to_moves(self, admin, deal, email_pipeline):
        qualified = stage(email_pipeline, "Qualified")
        definition = PropertyDefinition.objects.get(object_type="deal", name="website_domain")
        services.stage_set_required_properties(stage=qualified, properties=[definition], by=admin)
        with raises("missing_required_properties") as info:
            services.deal_move(deal=deal, stage=qualified, by=admin)
        assert [e.field for e in info.value.errors] == ["website_domain"]

    @pytest.mark.parametrize("who", ["manager", "agent", "client_user"])
    def test_only_admin(self, who, request, email_pipeline):
        user = request.getfixturevalue(who)
        calls = [
            lambda: services.pipeline_create(
                by=user, object_type="deal", name="Z", stages=[{"name": "A"}]
            ),
            lambda: services.pipeline_update(pipeline=email_pipeline, by=user, name="Z"),
            lambda: services.stage_add(pipeline=email_pipeline, by=user, name="Z"),
            lambda: services.stage_update(stage=stage(email_pipeline, "New"), by=user, name="Z"),
            lambda: services.stage_delete(stage=stage(email_pipeline, "New"), by=user),
            lambda: services.stage_reorder(pipeline=email_pipeline, by=user, stage_ids=[]),
            lambda: services.stage_set_required_properties(
                stage=stage(email_pipeline, "New"), properties=[], by=user
            ),
            lambda: services.product_save(by=user, name="P", sku="p", category="service"),
        ]
        for call in calls:
            with raises("forbidden", 403):
                call()


class TestProducts:
    def test_create_and_update(self, admin):
        product = services.product_save(
            by=admin,
            name="Mailbox 100 GB",
            sku="Email 100GB",
            category="email",
            unit_price=Decimal("12.00"),
            currency="eur",
            billing="monthly",
            mailbox_gb=100,
        )
        assert product.sku == "email-100gb"
        assert product.currency == "EUR"
        assert Event.objects.filter(kind="product.created").exists()
        services.product_save(by=admin, product=product, unit_price=Decimal("12.00"))
        assert not Event.objects.filter(kind="product.updated").exists()
        services.product_save(by=admin, product=product, unit_price=Decimal("13.00"))
        assert Event.objects.filter(kind="product.updated").count() == 1

    def test_duplicate_sku(self, admin):
        with raises("duplicate_sku", 409):
            services.product_save(
                by=admin,
                name="Dup",
                sku="email-10gb",
                category="email",
                unit_price=Decimal(1),
                billing="monthly",
            )

    def test_model_validation(self, admin):
        with raises("invalid") as info:
            services.product_save(
                by=admin, name="Bad", sku="bad", category="toys", unit_price=1, billing="monthly"
            )
        assert info.value.field == "category"
        assert not Product.objects.filter(sku="bad").exists()

    def test_unknown_field(self, admin):
        with pytest.raises(TypeError, match="colour"):
            services.product_save(by=admin, name="X", colour="red")


def test_events_are_scoped_to_companies(admin, deal, other_deal, client_user):
    visible = Event.objects.for_user(client_user)
    assert visible.exists()
    assert set(visible.values_list("company_id", flat=True)) == {client_user.company_id}
    assert Event.objects.for_user(make_user("x@agency.test", Role.AGENT)).count() == (
        Event.objects.count()
    )


def test_stage_model_is_closed():
    assert Stage(kind="won").is_closed
    assert Stage(kind="lost").is_closed
    assert not Stage(kind="open").is_closed
