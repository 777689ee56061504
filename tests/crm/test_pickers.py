"""Record pickers: a form offers a company or contact through a search box over a short select
(``core.widgets.RecordPicker``), never a select of every record, and its searches
(``crm:company_options`` / ``crm:contact_options``) use the lists' search, bounded."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnerdesk.core.widgets import PICKER_SIZE
from partnerdesk.crm.models import Company, Contact
from partnerdesk.tickets.forms import TicketForm
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_companies():
    companies = Company.objects.bulk_create(
        [Company(name=f"Client {i:03d}", domain=f"c{i}.example") for i in range(60)]
    )
    Contact.objects.bulk_create(
        [
            Contact(first_name=f"Person{i:03d}", last_name="Rossi", company=companies[i % 3])
            for i in range(60)
        ]
    )
    return companies


def test_the_ticket_form_draws_a_bounded_picker_not_every_company(many_companies):
    html = str(TicketForm()["company"])
    assert 'class="picker-q"' in html and 'hx-get="/app/lookup/companies/?field=company"' in html
    # "—" and the first PICKER_SIZE companies by name, not all 60
    assert html.count("<option") == PICKER_SIZE + 1
    assert "Client 000" in html and "Client 059" not in html


def test_the_chosen_company_is_drawn_selected_even_beyond_the_first_page(many_companies):
    last = many_companies[-1]
    form = TicketForm(data={"company": str(last.pk), "priority": "medium"})
    html = str(form["company"])
    assert f'<option value="{last.pk}" selected>Client 059</option>' in html


def test_drawing_the_picker_costs_the_same_queries_whatever_the_number_of_companies(
    many_companies,
):
    with CaptureQueriesContext(connection) as few:
        str(TicketForm()["company"])
    Company.objects.bulk_create([Company(name=f"More {i}") for i in range(500)])
    with CaptureQueriesContext(connection) as many:
        str(TicketForm()["company"])
    assert len(few) == len(many) <= 2


def test_a_ticket_is_created_with_a_company_chosen_through_the_picker(many_companies, admin):
    company = many_companies[40]
    form = TicketForm(data={"company": str(company.pk), "priority": "medium"})
    form.is_valid()
    assert "company" not in form.errors and form.cleaned_data["company"] == company


def test_an_unknown_company_is_a_form_error():
    form = TicketForm(data={"company": "999999", "priority": "medium"})
    assert not form.is_valid()
    assert "company" in form.errors


def test_the_company_search_returns_the_best_matches_and_keeps_the_chosen(many_companies, admin):
    chosen = many_companies[5]
    url = reverse("crm:company_options")
    html = login(admin).get(url, {"field": "company", "company": chosen.pk, "q": "Client 04"})
    text = html.content.decode()
    assert text.startswith('<option value="">—</option>')
    assert f'<option value="{chosen.pk}" selected>Client 005</option>' in text
    assert text.count("<option") == 1 + 1 + 10  # —, the chosen, Client 040..049


def test_the_contact_search_is_narrowed_to_the_chosen_company(many_companies, admin):
    company = many_companies[1]
    response = login(admin).get(
        reverse("crm:contact_options"), {"field": "contact", "company": company.pk, "q": ""}
    )
    text = response.content.decode()
    expected = Contact.objects.filter(company=company).count()
    assert text.count("<option") == 1 + min(expected, PICKER_SIZE)


def test_the_search_of_a_multiple_picker_has_no_empty_choice(many_companies, admin):
    response = login(admin).get(
        reverse("crm:company_options"), {"field": "companies", "multiple": "1", "q": "Client 00"}
    )
    assert not response.content.decode().startswith('<option value="">')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL query plans")
def test_the_first_options_are_read_in_name_order_from_an_index(many_companies):
    """A picker's first options are the first companies (contacts) by name: read from the
    name index, not every row sorted (at 60,000 contacts the sort took 23 ms of the form)."""
    Company.objects.bulk_create([Company(name=f"More {i:05d}") for i in range(5000)])
    Contact.objects.bulk_create(
        [Contact(first_name=f"P{i}", last_name=f"Name {i:05d}") for i in range(5000)]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_company; ANALYZE crm_contact")
    with CaptureQueriesContext(connection) as queries:
        str(TicketForm()["company"])
        str(TicketForm()["contact"])
    firsts = [q["sql"] for q in queries if "ORDER BY" in q["sql"] and " LIMIT " in q["sql"]]
    assert {"crm_company", "crm_contact"} <= {
        table
        for sql in firsts
        for table in ("crm_company", "crm_contact")
        if f'FROM "{table}"' in sql
    }
    for sql in firsts:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan" not in plan and "Sort" not in plan, plan
