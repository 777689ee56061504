"""Custom properties: validation by type, secrets at rest and who may see them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from partnerdesk.accounts.models import Role
from partnerdesk.core import crypto
from partnerdesk.core.errors import DomainError
from partnerdesk.core.events import REDACTED, describe
from partnerdesk.core.models import Event
from partnerdesk.crm import properties as props
from partnerdesk.crm import selectors, services
from partnerdesk.crm.models import Deal, PropertyDefinition, PropertyType
from tests.conftest import make_user

SECRET = "hunter2-Registrar!"


def defn(type_, *, name="prop", label="Prop", options=()):
    """An unsaved definition: enough for normalize_value."""
    return PropertyDefinition(
        object_type="deal",
        name=name,
        label=label,
        type=type_,
        options=[{"value": v, "label": lbl} for v, lbl in options],
    )


def normalize(type_, raw, **kwargs):
    return props.normalize_value(defn(type_, **kwargs), raw)


def assert_invalid(type_, raw, **kwargs):
    with pytest.raises(DomainError) as info:
        normalize(type_, raw, **kwargs)
    assert info.value.code == "invalid_property_value"
    assert info.value.field == kwargs.get("name", "prop")
    assert info.value.message
    return info.value


# ---------------------------------------------------------------- normalize_value by type


@pytest.mark.parametrize("type_", [t for t in PropertyType.values if t != "association"])
@pytest.mark.parametrize("empty", [None, "", "   ", [], {}])
def test_empty_values_clear_for_every_type(type_, empty):
    assert normalize(type_, empty) is None


class TestText:
    def test_strips(self):
        assert normalize("text", "  hello  ") == "hello"

    def test_keeps_unicode(self):
        assert normalize("text", "مرحبا — ciao") == "مرحبا — ciao"

    @pytest.mark.parametrize("raw", [5, 1.5, True, ["a"], {"a": 1}])
    def test_non_text_refused(self, raw):
        assert_invalid("text", raw)

    def test_max_length(self):
        assert normalize("text", "x" * props.MAX_TEXT) == "x" * props.MAX_TEXT
        error = assert_invalid("text", "x" * (props.MAX_TEXT + 1))
        assert "too long" in error.message


class TestNumber:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("42", 42),
            (" 42 ", 42),
            (42, 42),
            ("1,234.5", 1234.5),
            ("1,234,567", 1234567),
            ("-3.25", -3.25),
            ("1.0", 1),
            (2.5, 2.5),
            ("0", 0),
            ("1e3", 1000),
        ],
    )
    def test_valid(self, raw, expected):
        value = normalize("number", raw)
        assert value == expected
        assert type(value) is type(expected)

    @pytest.mark.parametrize("raw", [True, False])
    def test_bool_refused(self, raw):
        assert_invalid("number", raw)

    @pytest.mark.parametrize(
        "raw", ["NaN", "nan", "inf", "-Infinity", "sNaN", float("nan"), float("inf")]
    )
    def test_nan_and_infinity_refused(self, raw):
        assert_invalid("number", raw)

    @pytest.mark.parametrize("raw", ["1e15", "-1e15", "1e400", 10**20])
    def test_huge_refused(self, raw):
        assert_invalid("number", raw)

    @pytest.mark.parametrize("raw", ["twelve", "12abc", "1.2.3", "--1", ["1"], {"n": 1}])
    def test_not_a_number(self, raw):
        assert_invalid("number", raw)

    def test_message_names_the_value(self):
        error = assert_invalid("number", "twelve", label="Licences")
        assert "Licences" in error.message
        assert "twelve" in error.message


class TestDate:
    @pytest.mark.parametrize(
        "raw",
        [
            "2024-03-05",
            " 2024-03-05 ",
            "2024-03-05T10:20:30",
            "2024-03-05T10:20:30Z",
            "2024-03-05T23:59:59.123+02:00",
            dt.date(2024, 3, 5),
        ],
    )
    def test_iso_dates_and_datetimes(self, raw):
        assert normalize("date", raw) == "2024-03-05"

    def test_datetime_object_stored_as_its_date(self):
        # A date property stores a date, even when given a datetime (e.g. by an import).
        assert normalize("date", dt.datetime(2024, 3, 5, 10, 20, tzinfo=dt.UTC)) == "2024-03-05"

    @pytest.mark.parametrize("raw", ["2024-13-01", "2024-02-30", "05/03/2024", "yesterday", "2024"])
    def test_invalid(self, raw):
        error = assert_invalid("date", raw, label="Purchase date")
        assert "YYYY-MM-DD" in error.message


OPTIONS = [("retail", "Retail"), ("real_estate", "Real estate"), ("edu", "Education")]


class TestEnum:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("retail", "retail"),
            ("Retail", "retail"),
            ("REAL ESTATE", "real_estate"),
            (" real estate ", "real_estate"),
            ("edu", "edu"),
            ("education", "edu"),
        ],
    )
    def test_by_value_or_label_case_insensitive(self, raw, expected):
        assert normalize("enum", raw, options=OPTIONS) == expected

    def test_unknown_option_lists_the_options(self):
        error = assert_invalid("enum", "Farming", options=OPTIONS, label="Industry")
        assert "Farming" in error.message
        assert "Industry" in error.message
        for value, _label in OPTIONS:
            assert value in error.message


class TestMultiEnum:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (["retail", "edu"], ["retail", "edu"]),
            (["Retail", "EDUCATION"], ["retail", "edu"]),
            ("retail;edu", ["retail", "edu"]),
            ("Retail; Real estate", ["retail", "real_estate"]),
            ("retail,edu", ["retail", "edu"]),
            ("retail;;retail;", ["retail"]),
            (["retail", "Retail"], ["retail"]),
            (";", None),
        ],
    )
    def test_list_or_semicolon_string(self, raw, expected):
        assert normalize("multi_enum", raw, options=OPTIONS) == expected

    def test_unknown_item_refused(self):
        error = assert_invalid("multi_enum", "retail;farming", options=OPTIONS)
        assert "farming" in error.message


@pytest.mark.django_db
class TestUser:
    def test_by_id_or_email(self, agent):
        assert normalize("user", agent.pk) == agent.pk
        assert normalize("user", str(agent.pk)) == agent.pk
        assert normalize("user", "AGENT@agency.test") == agent.pk

    def test_client_user_refused(self, client_user):
        assert_invalid("user", client_user.pk)
        assert_invalid("user", client_user.email)

    def test_inactive_staff_refused(self, agent):
        agent.is_active = False
        agent.save()
        assert_invalid("user", agent.pk)

    @pytest.mark.parametrize("raw", [999_999_999, "nobody@example.com", "abc", -1])
    def test_unknown_refused(self, raw, admin):
        error = assert_invalid("user", raw, label="Account manager")
        assert "Account manager" in error.message

    def test_bool_is_not_a_user_id(self, db):
        # JSON `true` must not be read as "the user with id 1".
        from partnerdesk.accounts.models import User

        user = User.objects.filter(pk=1).first()
        if user is None:
            make_user("first@agency.test", Role.AGENT, id=1)
        elif not user.is_agency_staff:
            User.objects.filter(pk=1).update(role=Role.AGENT, company=None, client_role="")
        assert_invalid("user", True)


class TestUrl:
    @pytest.mark.parametrize(
        "raw", ["https://example.com", "http://example.com/a?b=1", "https://sub.example.co.uk/x"]
    )
    def test_http_and_https(self, raw):
        assert normalize("url", raw) == raw

    @pytest.mark.parametrize(
        "raw",
        [
            "ftp://example.com/file",
            "javascript:alert(1)",
            "example.com",
            "mailto:a@b.com",
            "file:///etc/passwd",
            "https://",
        ],
    )
    def test_other_schemes_and_garbage_refused(self, raw):
        error = assert_invalid("url", raw)
        assert "http" in error.message


class TestEmail:
    def test_lowercased(self):
        assert normalize("email", " Billing@Example.COM ") == "billing@example.com"

    @pytest.mark.parametrize("raw", ["not-an-email", "a@", "@b.com", "a b@c.com"])
    def test_invalid(self, raw):
        assert_invalid("email", raw)


class TestSecret:
    def test_returned_as_text(self):
        assert normalize("secret", f"  {SECRET} ") == SECRET

    def test_non_text_refused(self):
        assert_invalid("secret", 1234)


def test_association_cannot_be_set():
    assert_invalid("association", "x")


# ---------------------------------------------------------------- apply_properties


@pytest.mark.django_db
class TestApplyProperties:
    def test_sets_values_and_returns_changes(self, deal):
        changes = props.apply_properties(
            deal, {"domain_name": "acme.com", "number_of_licences": "1,000"}
        )
        assert deal.properties["domain_name"] == "acme.com"
        assert deal.properties["number_of_licences"] == 1000
        assert {c["field"] for c in changes} == {"domain_name", "number_of_licences"}
        licences = next(c for c in changes if c["field"] == "number_of_licences")
        assert licences == {
            "field": "number_of_licences",
            "label": "Number of licences",
            "old": None,
            "new": 1000,
        }

    def test_unchanged_value_is_not_a_change(self, deal):
        props.apply_properties(deal, {"domain_name": "acme.com"})
        assert props.apply_properties(deal, {"domain_name": " acme.com "}) == []

    def test_empty_clears(self, deal):
        props.apply_properties(deal, {"domain_name": "acme.com"})
        changes = props.apply_properties(deal, {"domain_name": ""})
        assert "domain_name" not in deal.properties
        assert changes[0]["old"] == "acme.com"
        assert changes[0]["new"] is None

    def test_all_errors_in_one_domain_error(self, deal):
        with pytest.raises(DomainError) as info:
            props.apply_properties(
                deal,
                {
                    "number_of_licences": "many",
                    "domain_purchase_date": "tomorrow",
                    "email_services": "Carrier pigeons",
                    "domain_name": "fine.example",
                    "favourite_colour": "blue",
                },
            )
        error = info.value
        assert error.code == "invalid_properties"
        by_field = {e.field: e for e in error.errors}
        assert set(by_field) == {
            "number_of_licences",
            "domain_purchase_date",
            "email_services",
            "favourite_colour",
        }
        assert by_field["favourite_colour"].code == "unknown_property"
        assert by_field["number_of_licences"].code == "invalid_property_value"
        assert error.field in by_field
        for e in error.errors:
            assert e.message in error.message
        # Nothing was applied: the record is unchanged.
        assert "domain_name" not in deal.properties
        assert error.as_dict()["errors"] == [e.as_dict() for e in error.errors]

    def test_unknown_property_refused(self, company):
        with pytest.raises(DomainError) as info:
            props.apply_properties(company, {"nope": "x"})
        assert info.value.errors[0].code == "unknown_property"
        assert info.value.errors[0].field == "nope"

    def test_builtin_names_are_not_custom_properties(self, deal):
        with pytest.raises(DomainError) as info:
            props.apply_properties(deal, {"amount": "10"})
        assert info.value.errors[0].code == "unknown_property"

    def test_property_of_another_object_type_refused(self, deal):
        with pytest.raises(DomainError):
            props.apply_properties(deal, {"industry": "Retail"})

    def test_archived_property_refused(self, admin, deal):
        definition = PropertyDefinition.objects.get(object_type="deal", name="website_domain")
        services.property_update(definition=definition, by=admin, archived=True)
        with pytest.raises(DomainError) as info:
            props.apply_properties(deal, {"website_domain": "x.com"})
        assert info.value.errors[0].code == "unknown_property"


# ---------------------------------------------------------------- secrets


@pytest.fixture
def secret_deal(admin, deal):
    return services.deal_update(deal=deal, by=admin, properties={"registrar_password": SECRET})


@pytest.mark.django_db
class TestSecretsAtRest:
    def test_stored_encrypted(self, secret_deal):
        secret_deal.refresh_from_db()
        assert "registrar_password" not in secret_deal.properties
        token = secret_deal.secrets["registrar_password"]
        assert SECRET not in token
        assert crypto.decrypt(token) == SECRET

    def test_raw_database_row_has_no_plaintext(self, secret_deal):
        table = Deal._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT properties, secrets FROM {table} WHERE id = %s",  # noqa: S608
                [secret_deal.pk],
            )
            row = cursor.fetchone()
        raw = " ".join(json.dumps(v) if not isinstance(v, str) else v for v in row)
        assert "registrar_password" in raw
        assert SECRET not in raw

    def test_same_value_again_is_not_a_change(self, admin, secret_deal):
        before = Event.objects.count()
        token = Deal.objects.get(pk=secret_deal.pk).secrets["registrar_password"]
        services.deal_update(deal=secret_deal, by=admin, properties={"registrar_password": SECRET})
        assert Event.objects.count() == before
        assert Deal.objects.get(pk=secret_deal.pk).secrets["registrar_password"] == token

    def test_clearing_a_secret(self, admin, secret_deal):
        services.deal_update(deal=secret_deal, by=admin, properties={"registrar_password": ""})
        assert Deal.objects.get(pk=secret_deal.pk).secrets == {}
        event = Event.objects.filter(kind="deal.updated").first()
        assert event.data["changes"] == [
            {"field": "registrar_password", "label": "Registrar password", "secret": True}
        ]

    def test_secret_satisfies_a_stage_requirement(self, admin, secret_deal, email_pipeline):
        definition = PropertyDefinition.objects.get(object_type="deal", name="registrar_password")
        stage = email_pipeline.stages.get(name="Qualified")
        services.stage_set_required_properties(stage=stage, properties=[definition], by=admin)
        assert props.missing_for_stage(secret_deal, stage) == []


@pytest.mark.django_db
class TestSecretsNeverLeak:
    def test_not_in_event_data(self, admin, company, email_pipeline):
        deal = services.deal_create(
            by=admin,
            name="Secret at birth",
            pipeline=email_pipeline,
            company=company,
            properties={"registrar_password": SECRET},
        )
        services.deal_update(deal=deal, by=admin, properties={"registrar_password": SECRET + "2"})
        events = list(Event.objects.all())
        assert events
        for event in events:
            assert SECRET not in json.dumps(event.data)
        updated = Event.objects.filter(kind="deal.updated").get()
        assert updated.data["changes"][0]["secret"] is True
        assert "old" not in updated.data["changes"][0]
        assert "new" not in updated.data["changes"][0]

    def test_not_in_logs(self, admin, deal, caplog, api_client_for):
        import logging

        caplog.set_level(logging.DEBUG)
        services.deal_update(deal=deal, by=admin, properties={"registrar_password": SECRET})
        api = api_client_for(admin)
        api.patch(
            f"/api/deals/{deal.pk}",
            json.dumps({"properties": {"registrar_password": SECRET, "number_of_licences": "x"}}),
            content_type="application/json",
        )
        assert SECRET not in caplog.text

    def test_not_echoed_by_a_refused_move_form(self, admin, agent, deal, email_pipeline):
        from tests.conftest import login

        qualified = email_pipeline.stages.get(name="Qualified")
        required = PropertyDefinition.objects.filter(
            object_type="deal", name__in=["registrar_password", "domain_name"]
        )
        services.stage_set_required_properties(stage=qualified, properties=required, by=admin)
        client = login(agent)
        response = client.post(
            f"/app/deals/{deal.pk}/move/",
            {"stage": qualified.pk, "prop__registrar_password": SECRET},
        )
        assert response.status_code == 422
        body = response.content.decode()
        assert 'name="prop__registrar_password"' in body
        assert SECRET not in body
        deal.refresh_from_db()
        assert deal.secrets == {}
        response = client.post(
            f"/app/deals/{deal.pk}/move/",
            {
                "stage": qualified.pk,
                "prop__registrar_password": SECRET,
                "prop__domain_name": "acme.com",
            },
        )
        assert response.status_code == 302
        deal.refresh_from_db()
        assert props.secret_value(deal, "registrar_password", user=admin) == SECRET
        for event in Event.objects.all():
            assert SECRET not in json.dumps(event.data)

    def test_timeline_text_is_redacted(self, admin, secret_deal):
        event = Event.objects.filter(kind="deal.updated").get()
        text = describe(event)
        assert SECRET not in text
        assert REDACTED in text
        assert "Registrar password" in text

    def test_timeline_on_the_page(self, secret_deal, admin):
        from tests.conftest import login

        response = login(admin).get(f"/app/deals/{secret_deal.pk}/")
        body = response.content.decode()
        # Even admins get the mask: the value comes only when asked for (Reveal, Copy), and
        # never in the timeline (tests/crm/test_secret_reveal.py).
        assert SECRET not in body
        assert "Reveal" in body


@pytest.mark.django_db
class TestSecretVisibility:
    @pytest.mark.parametrize("who", ["admin", "manager"])
    def test_property_rows_offer_admin_and_manager_to_reveal(self, who, secret_deal, request):
        user = request.getfixturevalue(who)
        row = next(
            r
            for r in selectors.property_rows(secret_deal, user)
            if r["definition"].name == "registrar_password"
        )
        assert row == {**row, "secret": True, "is_set": True, "can_reveal": True, "value": ""}
        assert row["reveal_url"] == (
            f"/app/records/deal/{secret_deal.pk}/secrets/registrar_password/"
        )

    def test_property_rows_hide_value_from_agent(self, secret_deal, agent):
        row = next(
            r
            for r in selectors.property_rows(secret_deal, agent)
            if r["definition"].name == "registrar_password"
        )
        assert row["is_set"] is True
        assert row["can_reveal"] is False
        assert not row["reveal_url"]
        assert not row["value"]

    def test_agent_page_shows_hidden(self, secret_deal, agent):
        from tests.conftest import login

        body = login(agent).get(f"/app/deals/{secret_deal.pk}/").content.decode()
        assert SECRET not in body
        assert "(hidden)" in body

    def test_unset_secret_row(self, deal, admin):
        row = next(
            r
            for r in selectors.property_rows(deal, admin)
            if r["definition"].name == "registrar_password"
        )
        assert row["is_set"] is False
        assert not row["value"]

    def test_secret_value_helper(self, secret_deal, admin, agent, client_user):
        assert props.secret_value(secret_deal, "registrar_password", user=admin) == SECRET
        assert props.secret_value(secret_deal, "registrar_password", user=agent) is None
        assert props.secret_value(secret_deal, "registrar_password", user=client_user) is None
        assert props.secret_value(secret_deal, "missing", user=admin) is None

    @pytest.mark.parametrize(
        ("who", "visible"), [("admin", True), ("manager", True), ("agent", False)]
    )
    def test_api_secret_properties_only_for_admin_and_manager(
        self, who, visible, secret_deal, request, api_client_for
    ):
        user = request.getfixturevalue(who)
        api = api_client_for(user)
        for url in (f"/api/deals/{secret_deal.pk}", "/api/deals"):
            body = api.get(url).json()
            item = body["items"][0] if "items" in body else body
            assert item["secret_properties_set"] == ["registrar_password"]
            if visible:
                assert item["secret_properties"] == {"registrar_password": SECRET}
            else:
                assert item["secret_properties"] == {}
                assert SECRET not in json.dumps(body)

    def test_api_client_user_never_sees_secret(self, secret_deal, client_user, api_client_for):
        body = api_client_for(client_user).get(f"/api/deals/{secret_deal.pk}").json()
        assert body["secret_properties"] == {}
        assert SECRET not in json.dumps(body)


# ---------------------------------------------------------------- key rotation


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PARTNERDESK_ENCRYPTION_KEYS = [old]
    crypto.reset_cache()
    yield old, new
    crypto.reset_cache()


class TestKeyRotation:
    def test_old_tokens_decrypt_after_a_new_key_is_added(self, keys, settings):
        old, new = keys
        token = crypto.encrypt(SECRET)
        settings.PARTNERDESK_ENCRYPTION_KEYS = [new, old]
        crypto.reset_cache()
        assert crypto.decrypt(token) == SECRET
        rotated = crypto.rotate(token)
        assert rotated != token
        assert crypto.decrypt(rotated) == SECRET
        # The rotated token needs only the new key.
        settings.PARTNERDESK_ENCRYPTION_KEYS = [new]
        crypto.reset_cache()
        assert crypto.decrypt(rotated) == SECRET
        with pytest.raises(ValueError, match="could not be decrypted"):
            crypto.decrypt(token)

    def test_new_values_use_the_newest_key(self, keys, settings):
        old, new = keys
        settings.PARTNERDESK_ENCRYPTION_KEYS = [new, old]
        crypto.reset_cache()
        token = crypto.encrypt(SECRET)
        assert Fernet(new.encode()).decrypt(token.encode()).decode() == SECRET

    def test_record_secret_survives_rotation(self, keys, settings, admin, deal):
        old, new = keys
        services.deal_update(deal=deal, by=admin, properties={"registrar_password": SECRET})
        settings.PARTNERDESK_ENCRYPTION_KEYS = [new, old]
        crypto.reset_cache()
        deal.refresh_from_db()
        assert props.secret_value(deal, "registrar_password", user=admin) == SECRET
