"""The deal board: columns with their count and value, cards, and moves that stay on the board
(crm/boards.py says what a board move answers: 200 the card and the column heads, 422 the
dialog, 409 a refusal), in a constant number of queries."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.core.templatetags.avatars import initials
from partnerdesk.crm import selectors, services
from partnerdesk.crm.models import Deal, Pipeline, Stage
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CUSTOM = {
    "prop__purchased_mailbox_names": "info@acme-dental.com",
    "prop__domain_name": "acme-dental.com",
    "prop__number_of_licences": "5",
}


def stage(pipeline: Pipeline, name: str) -> Stage:
    return pipeline.stages.get(name=name)


def board_url(pipeline: Pipeline) -> str:
    return f"/app/deals/board/{pipeline.pk}/"


def move_url(deal: Deal) -> str:
    return f"/app/deals/{deal.pk}/move/"


def text(response) -> str:
    return response.content.decode()


def column_head(html: str, stage: Stage) -> str:
    match = re.search(
        rf'<header class="column-head" id="column-head-{stage.pk}".*?</header>', html, re.S
    )
    assert match, f"no head for {stage.name}"
    return match.group(0)


@pytest.fixture
def deals(admin, company, email_pipeline):
    """Three new deals: 100 USD (the admin's), 50.50 USD and 70 EUR; one qualified of 1,000
    USD."""
    made = [
        services.deal_create(
            by=admin,
            name=name,
            pipeline=email_pipeline,
            company=company,
            amount=amount,
            currency=cur,
            owner=admin if name == "Alpha" else None,
        )
        for name, amount, cur in (
            ("Alpha", "100", "USD"),
            ("Bravo", "50.50", "USD"),
            ("Charlie", "70", "EUR"),
            ("Delta", "1000", "USD"),
        )
    ]
    services.deal_move(deal=made[3], stage=stage(email_pipeline, "Qualified"), by=admin)
    return made


# ---------------------------------------------------------------- the board page


def test_columns_show_their_count_and_value_by_currency(agent, deals, email_pipeline):
    response = login(agent).get(board_url(email_pipeline))
    assert response.status_code == 200
    columns = {c["stage"].name: c for c in response.context["columns"]}
    new = columns["New"]
    assert new["count"] == 3
    assert new["totals"] == [
        {"currency": "USD", "amount": Decimal("150.50")},
        {"currency": "EUR", "amount": Decimal("70.00")},
    ]
    assert columns["Qualified"]["count"] == 1 and columns["Closed Won"]["count"] == 0
    assert columns["Closed Won"]["totals"] == []
    html = text(response)
    head = column_head(html, stage(email_pipeline, "New"))
    assert ">150.50 USD<" in head and ">70 EUR<" in head
    assert '3<span class="visually-hidden"> deals</span>' in head
    assert ">1,000 USD<" in column_head(html, stage(email_pipeline, "Qualified"))


def test_a_card_shows_owner_amount_and_company_and_no_stage_form(
    agent, admin, deals, email_pipeline
):
    html = text(login(agent).get(board_url(email_pipeline)))
    card = re.search(
        rf'<article class="board-card" id="deal-{deals[0].pk}".*?</article>', html, re.S
    )
    assert card
    card = card.group(0)
    assert "Acme Dental" in card and ">100 USD<" in card
    assert f'title="Owner: {admin}"' in card and ">AD<" in card  # Admin's initials
    assert f'href="/app/deals/board/{email_pipeline.pk}/?move={deals[0].pk}"' in card
    assert "<select" not in card and "<form" not in card  # no per-card stage select, no Move
    # The page's action is a button, the pipelines are tabs (the current one marked).
    tabs = re.search(r'<nav class="board-tabs".*?</nav>', html, re.S).group(0)
    assert 'aria-current="page"' in tabs and "New deal" not in tabs
    assert f'class="button" href="/app/deals/new/?pipeline={email_pipeline.pk}"' in html


def test_the_board_searches_and_counts_what_it_shows(agent, deals, email_pipeline):
    response = login(agent).get(board_url(email_pipeline), {"q": "alpha"})
    new = next(c for c in response.context["columns"] if c["stage"].name == "New")
    assert new["count"] == 1 and [d.name for d in new["deals"]] == ["Alpha"]
    assert 'data-board-query="q=alpha"' in text(response)


def test_initials():
    class U:
        def __init__(self, full_name="", email=""):
            self.full_name, self.email = full_name, email

    assert initials(U("Laura Becker")) == "LB"
    assert initials(U("Laura Maria Becker")) == "LB"
    assert initials(U("laura")) == "LA"
    assert initials(U("", "l.becker@agency.test")) == "LB"
    assert initials(U("", "")) == "?"


# ---------------------------------------------------------------- moves from the board


def test_a_drop_moves_and_answers_with_the_card_and_the_column_heads(agent, deals, email_pipeline):
    client = login(agent)
    qualified = stage(email_pipeline, "Qualified")
    response = client.post(move_url(deals[0]), {"stage": qualified.pk, "board": "1"}, **HTMX)
    assert response.status_code == 200
    html = text(response)
    assert f'id="deal-{deals[0].pk}"' in html and f'data-stage-id="{qualified.pk}"' in html
    assert html.count('class="column-head"') == email_pipeline.stages.count()
    assert ">1,100 USD<" in column_head(html, qualified)
    assert ">50.50 USD<" in column_head(html, stage(email_pipeline, "New"))
    assert "Moved “Alpha” to Qualified." in html
    assert Deal.objects.get(pk=deals[0].pk).stage_id == qualified.pk
    assert not list(get_messages(response.wsgi_request))  # said on the board, not next page


def test_the_deal_pages_own_move_form_asks_the_same_way(agent, deal, email_pipeline):
    """Picking a stage on the deal page (htmx GET) asks for its properties with the same
    inputs as the board's dialog: one-line text, required for assistive technology."""
    won = stage(email_pipeline, "Closed Won")
    response = login(agent).get(move_url(deal), {"stage": won.pk}, **HTMX)
    html = text(response)
    assert 'id="move-form"' in html
    assert re.search(r'<input type="text" name="prop__domain_name"[^>]*aria-required="true"', html)
    assert "<textarea" not in html


def test_the_heads_count_with_the_boards_filters(agent, deals, email_pipeline):
    qualified = stage(email_pipeline, "Qualified")
    response = login(agent).post(
        move_url(deals[1]) + "?q=bravo", {"stage": qualified.pk, "board": "1"}, **HTMX
    )
    head = column_head(text(response), qualified)
    assert ">50.50 USD<" in head and "1,000" not in head  # Delta does not match the search


def test_a_stage_that_needs_properties_asks_for_them_in_the_dialog(agent, deal, email_pipeline):
    client = login(agent)
    won = stage(email_pipeline, "Closed Won")
    response = client.post(move_url(deal), {"stage": won.pk, "board": "1"}, **HTMX)
    assert response.status_code == 422
    html = text(response)
    assert 'id="board-move-form"' in html and "“Closed Won” needs this information:" in html
    # Each with its input: text on one line, the number as a number.
    assert re.search(r'<input type="text" name="prop__domain_name"[^>]*aria-required="true"', html)
    assert re.search(
        r'<input type="text" name="prop__number_of_licences"[^>]*inputmode="decimal"', html
    )
    assert "<textarea" not in html
    assert f'<option value="{won.pk}" selected>' in html
    # It asks; nothing was refused yet.
    assert "errorlist" not in html and "errors-box" not in html
    assert Deal.objects.get(pk=deal.pk).stage.name == "New"

    # Sent without the values: each error once, beside its field.
    response = client.post(move_url(deal), {"stage": won.pk, "board": "1", "dialog": "1"}, **HTMX)
    assert response.status_code == 422
    html = text(response)
    for label in ("Purchased mailbox names", "Domain name", "Number of licences"):
        assert html.count(f"{label} is required to enter “Closed Won”.") == 1
    assert "errors-box" not in html and "fill in:" not in html
    assert 'aria-invalid="true"' in html and 'id="id_prop__domain_name_error"' in html

    # A bad number: its error beside it, the other values kept.
    response = client.post(
        move_url(deal),
        {"stage": won.pk, "board": "1", "dialog": "1", **CUSTOM, "prop__number_of_licences": "x"},
        **HTMX,
    )
    assert response.status_code == 422
    html = text(response)
    assert "Number of licences must be a number" in html and 'value="acme-dental.com"' in html

    response = client.post(
        move_url(deal), {"stage": won.pk, "board": "1", "dialog": "1", **CUSTOM}, **HTMX
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage_id == won.pk and deal.properties["number_of_licences"] == 5
    assert deal.properties["domain_name"] == "acme-dental.com"


def test_built_in_properties_are_named_once_with_a_link_to_the_deal(
    admin, agent, company, email_pipeline
):
    bare = services.deal_create(by=admin, name="Bare", pipeline=email_pipeline, company=company)
    won = stage(email_pipeline, "Closed Won")
    client = login(agent)
    response = client.post(
        move_url(bare), {"stage": won.pk, "board": "1", "dialog": "1", **CUSTOM}, **HTMX
    )
    assert response.status_code == 422
    html = text(response)
    assert html.count("Line items") == 1
    assert (
        "Also needed, on the deal&#x27;s page:" in html and f'href="/app/deals/{bare.pk}/"' in html
    )
    assert "errors-box" not in html


def test_a_drop_the_dialog_cannot_fix_is_refused_on_the_board(admin, agent, company):
    website = Pipeline.objects.get(object_type="deal", name="Website Creation")
    bare = services.deal_create(by=admin, name="Site", pipeline=website, company=company)
    won = stage(website, "Closed Won")  # needs line items only: nothing to ask in the dialog
    response = login(agent).post(move_url(bare), {"stage": won.pk, "board": "1"}, **HTMX)
    assert response.status_code == 409
    html = text(response)
    assert "To move into “Closed Won”, fill in: Line items." in html
    assert f'href="/app/deals/{bare.pk}/">Open the deal</a>' in html
    assert Deal.objects.get(pk=bare.pk).stage.name == "New"


def test_the_dialog_for_a_card_and_a_stage(agent, deal, email_pipeline):
    client = login(agent)
    won = stage(email_pipeline, "Closed Won")
    url = board_url(email_pipeline)
    response = client.get(url, {"move": deal.pk, "to": won.pk, "q": "acme"}, **HTMX)
    assert response.status_code == 200
    html = text(response)
    assert html.startswith("<form") and 'name="prop__domain_name"' in html
    assert f'action="/app/deals/{deal.pk}/move/?q=acme"' in html
    assert f'data-form-url="{url}?move={deal.pk}&amp;q=acme"' in html
    assert "New (now)" in html
    # No stage chosen: the deal's own, nothing asked.
    html = text(client.get(url, {"move": deal.pk}, **HTMX))
    assert "prop__" not in html and f'<option value="{deal.stage_id}" selected>' in html
    # Without JavaScript: the board page with the dialog open.
    html = text(client.get(url, {"move": deal.pk, "to": won.pk}))
    assert (
        '<dialog class="board-dialog" id="board-dialog" aria-labelledby="board-dialog-title" open>'
        in html
    )
    assert client.get(url, {"move": 999_999}, **HTMX).status_code == 404
    assert client.get(url, {"move": "x"}, **HTMX).status_code == 404


def test_without_javascript_a_move_goes_back_to_the_board(agent, deal, email_pipeline):
    client = login(agent)
    won = stage(email_pipeline, "Closed Won")
    back = board_url(email_pipeline) + "?q=acme"
    response = client.post(
        move_url(deal) + "?q=acme", {"stage": won.pk, "board": "1", "dialog": "1", "next": back}
    )
    assert response.status_code == 422  # the board, its dialog open with the errors
    html = text(response)
    assert 'id="board-dialog"' in html and " open>" in html and "is required to enter" in html
    assert 'class="board"' in html
    response = client.post(
        move_url(deal),
        {"stage": won.pk, "board": "1", "dialog": "1", "next": back, **CUSTOM},
    )
    assert response.status_code == 302 and response["Location"] == back
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Moved “Acme mailboxes” to Closed Won."
    ]
    # Only back to a board.
    qualified = stage(email_pipeline, "Qualified")
    response = client.post(
        move_url(deal),
        {"stage": qualified.pk, "board": "1", "dialog": "1", "next": "https://evil.example/"},
    )
    assert response["Location"] == board_url(email_pipeline)


def test_a_client_cannot_move_from_the_board(client_user, deal, email_pipeline):
    qualified = stage(email_pipeline, "Qualified")
    response = login(client_user).post(
        move_url(deal), {"stage": qualified.pk, "board": "1"}, **HTMX
    )
    assert response.status_code == 404
    assert Deal.objects.get(pk=deal.pk).stage.name == "New"


# ---------------------------------------------------------------- query budgets


def _grow(admin, company, pipeline, n):
    for i in range(n):
        deal = services.deal_create(
            by=admin,
            name=f"Grown {i}",
            pipeline=pipeline,
            company=company,
            amount=str(10 + i),
            owner=make_user(f"owner{pipeline.pk}-{i}-{Deal.objects.count()}@agency.test", "agent"),
        )
        if i % 2:
            services.deal_move(deal=deal, stage=stage(pipeline, "Qualified"), by=admin)


def _queries(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {}, **HTMX)
    assert response.status_code in (200, 422), response.status_code
    return len(queries)


# Pinned from measurements (at most; equal whatever the number of deals).
BOARD_QUERIES = 7  # session, user, pipelines, pipeline, stages, the heads' aggregate, the cards
MOVE_QUERIES = 18  # the deal, the stage, the move itself + the stages, heads' aggregate, the card
DIALOG_QUERIES = 8  # session, user, pipelines, pipeline, the deal (3), its stages


def test_the_board_and_a_move_run_a_constant_number_of_queries(
    admin, agent, company, email_pipeline
):
    client = login(agent)
    qualified = stage(email_pipeline, "Qualified")
    counts = {}
    for size in (3, 12):
        _grow(admin, company, email_pipeline, size)
        board = _queries(client, "get", board_url(email_pipeline))
        mover = services.deal_create(by=admin, name=f"Mover {size}", pipeline=email_pipeline)
        moved = _queries(client, "post", move_url(mover), {"stage": qualified.pk, "board": "1"})
        dialog = _queries(client, "get", board_url(email_pipeline), {"move": mover.pk})
        counts[size] = (board, moved, dialog)
    assert counts[3] == counts[12], counts
    board, moved, dialog = counts[12]
    assert board <= BOARD_QUERIES and moved <= MOVE_QUERIES and dialog <= DIALOG_QUERIES, counts
    assert (
        len(selectors.board_columns(agent, email_pipeline, {})[0]) == email_pipeline.stages.count()
    )
