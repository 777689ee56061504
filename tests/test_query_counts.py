"""Query budgets (ARCHITECTURE.md rule 7): list pages and API lists run a constant number of SQL
queries, whatever the number of rows.

Each route is measured at ``SMALL`` and at ``LARGE`` units of data (see ``World.grow`` in
tests/budgets/world.py). The two counts must be equal (no N+1) and at most the pinned budget in
``BUDGETS``. When a change legitimately adds a query, raise the budget in the same commit and
say why.

Budgets by construction: ``test_every_list_has_a_budget`` walks the URL resolver and the
OpenAPI document (tests/routes.py). Every API operation that answers a list (an array, or a
page of ``items``) needs a budget; every web page that answers GET (per the permission matrix)
needs a budget or an entry in ``NOT_LISTS`` saying why it has no rows to grow. Entries are keyed
by route name ("crm:company_list", "GET /api/tasks"), never by module, so moving code changes
nothing here.

The data is built once for the module (inside a transaction rolled back at the end) and every
route is measured against it; each route still has its own test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.functional import empty

from partnerdesk.accounts.services import api_token_create
from partnerdesk.portal import models as portal_models
from tests.budgets.world import BOOKING_WEEK, World
from tests.conftest import login
from tests.routes import api_list_operations, web_route_names
from tests.test_permission_matrix import MATRIX

SMALL = 5
LARGE = 20  # 4 x SMALL


# ---------------------------------------------------------------- row markers


@dataclass(frozen=True)
class Count:
    """For a page that shows a number instead of rows (the unread badge): the number."""

    pattern: str

    def __call__(self, body: str) -> int:
        match = re.search(self.pattern, body)
        return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class Fewer:
    """For a page that shows a fixed window and loses a row per row added elsewhere (the free
    slots of the booking pages: each session booked takes one): the text must occur less often
    with more data, and still occur."""

    text: str


Marker = str | Count | Fewer | tuple[str | Count | Fewer, ...]


def _markers(marker: Marker) -> tuple[str | Count | Fewer, ...]:
    return marker if isinstance(marker, tuple) else (marker,)


def rows(marker: Marker, body: str) -> tuple[int, ...]:
    """How many rows the body shows, for each marker (a tuple: every kind of row must grow)."""
    return tuple(
        m(body) if isinstance(m, Count) else body.count(m.text if isinstance(m, Fewer) else m)
        for m in _markers(marker)
    )


# ---------------------------------------------------------------- the budgets


@dataclass(frozen=True)
class Budget:
    queries: int  # the most SQL queries one request may run (pinned from measurements)
    # Text found once per row of the page: more data must mean more rows on the page, or the
    # measurement would prove nothing.
    rows: Marker
    # URL kwargs -> the World attribute whose primary key fills them.
    kwargs: dict[str, str] = field(default_factory=dict)


def B(queries: int, rows: Marker, **kwargs: str) -> Budget:
    return Budget(queries, rows, kwargs)


# Keyed by route name (a query string may follow, to measure one route twice) or by API
# operation. Staff pages are requested as the admin, ``portal:`` pages as ``client_user``
# (client admin of ``company``), API operations with the admin's API token.
BUDGETS: dict[str, Budget] = {
    # ------------------------------------------------------------ staff pages
    # the team's SLA and workload (the kept open work, the staff, the breached of those
    # shown), the open pipelines' values (kept totals), the user's open deals (at most 10),
    # the client tasks waiting (kept totals) and past their estimate (counted up to the cap);
    # the trends follow: tests/dashboard/test_home_budget.py
    "dashboard:home": B(12, "Deal 0"),
    "crm:company_list": B(5, "Company 0"),
    "crm:contact_list": B(5, "Last0"),
    # the pickers' searches: at most PICKER_SIZE options, whatever the number of records
    "crm:company_options": B(4, "Company 0"),
    "crm:contact_options": B(4, "Last0"),
    "crm:deal_list": B(8, "Deal 0"),
    "crm:deal_board": B(6, "Deal 0"),
    "crm:deal_board_pipeline": B(7, "Deal 0", pipeline_pk="pipeline"),
    "crm:product_list": B(3, "Product 0"),
    "crm:property_list": B(5, "Choice 0"),
    "crm:pipeline_list": B(4, "Pipeline 0"),
    "crm:user_list": B(4, "@company"),  # client users and pending invitations
    "crm:team_list": B(6, "Team 0"),
    "crm:company_export": B(5, "Company 0"),
    "crm:contact_export": B(5, "person0"),
    "crm:deal_export": B(5, "Deal 0"),
    # a company or a contact at a glance (crm.record_pages, issue 15): per card its count and
    # latest rows (tickets 2, tasks 3, deals 2, subscriptions 2, contacts 1), the properties,
    # the merged timeline in one query; a card shows 5 rows, so its count is the row marker
    "crm:company_detail": B(16, Count(r'data-glance-count="contacts">(\d+)<'), pk="company"),
    "crm:contact_detail": B(10, Count(r'data-glance-count="deals">(\d+)<'), pk="contact"),
    "crm:deal_detail": B(10, "Product 0", pk="deal"),
    "accounts:profile": B(3, "Token 0"),  # the user's API tokens
    "tickets:list": B(10, "Ticket 0"),
    "tickets:board": B(13, "Tickets 0"),  # the ticket pipelines to switch to
    # one query per stage column by design (tickets/selectors.board_columns); 9 stages here
    "tickets:board_pipeline": B(17, "Ticket 0", pipeline_pk="ticket_pipeline"),
    "tickets:new": B(5, "Tickets 0"),  # the ticket pipelines and their request types
    # + the names of the properties required, the ticket's deals; the notes' files, the
    # company's contacts a public reply may copy (tickets by email)
    "tickets:detail": B(12, "Note 0", pk="ticket"),
    "sla:policy_list": B(6, "Policy 0"),
    "sla:calendar_list": B(3, "Calendar 0"),
    # automations (as admin); the forms' choices (pipelines, stages, products, …) are one
    # query each
    # + failed-run count, workflows, actions; the teams and properties its sentences name
    "automation:workflow_list": B(11, "Workflow 0"),
    # a run's workflow; the records its event is about (one query per kind of record)
    "automation:run_list?status=succeeded": B(5, "Workflow 0"),
    "automation:run_list?status=failed": B(5, "Error 0"),
    # trigger, condition and action forms (stages twice: trigger and action), actions, runs
    "automation:workflow_edit": B(13, ("Notify 0", "</strong></a> won"), pk="workflow"),
    # notifications
    "notifications:list": B(4, "Notice 0"),
    "notifications:badge": B(3, Count(r'id="unread-count"[^>]*>(\d+)<')),  # a number, not rows
    # the bell's panel: the latest 8 (the unread count comes with the signed-in user)
    "notifications:panel": B(3, "Notice 0"),
    # the staff task desk: requests in triage across every client, one task's thread, the
    # plans and categories, booking a session for the client; the triage list's number and its
    # quick filters' waiting counts read the kept totals (portal.totals: two small sums), the
    # quick filter past the estimate is counted up to the cap
    "taskdesk:triage?status=triage": B(8, "Triage 0"),
    # accepted tasks: + each row's client plan and slots for Start work (issue 15), 2 queries
    "taskdesk:triage?status=accepted": B(10, "Queued 0"),
    "taskdesk:detail": B(11, ("Message 0", "file-0"), pk="task"),
    "taskdesk:settings": B(6, ("Plan 0", "Category 0")),
    # the week view of next week (where the world books its sessions: see BOOKING_WEEK)
    f"taskdesk:session_book?week={BOOKING_WEEK}": B(
        11, Fewer('name="starts_at"'), pk="booking_task"
    ),
    f"taskdesk:session_reschedule?week={BOOKING_WEEK}": B(
        10, Fewer('name="starts_at"'), pk="session"
    ),
    # ------------------------------------------------------------ client portal
    # + the task counts, the plan and the tasks that need the client
    # + the company's open satisfaction surveys ("How did we do?")
    # + the company's open tickets ("Your tickets", tickets.templatetags.portal_tickets)
    "portal:home": B(13, "Deal 0"),
    "portal:contact_export": B(3, "person0"),
    # every column of the task list: triage, the queue (with its forecast), working, pending
    # approval, closed
    "portal:task_list": B(13, ("Triage 0", "Queued 0", "Working 0", "Pending 0", "Closed 0")),
    "portal:task_detail": B(6, ("Message 0", "file-0"), pk="task"),
    # [anchor: PORTAL-TICKETS budgets]
    # the client's tickets (as client_user): a page with each ticket's stage and latest public
    # message (one query); a ticket's public conversation with its authors and files
    "portal_tickets:list": B(4, "Ticket 0"),
    "portal_tickets:detail": B(5, ("Reply 0", "by email", "reply-"), pk="ticket"),
    # Settings → Customer emails (as admin): every ticket pipeline with its three notices
    "ticket_notices:list": B(4, "Tickets 0"),
    # the week view of next week (where the world books its sessions: see BOOKING_WEEK)
    f"portal:session_book?week={BOOKING_WEEK}": B(11, Fewer('name="starts_at"'), pk="booking_task"),
    f"portal:session_reschedule?week={BOOKING_WEEK}": B(
        10, Fewer('name="starts_at"'), pk="session"
    ),
    # ------------------------------------------------------------ API lists
    "GET /api/companies": B(3, "Company 0"),
    "GET /api/contacts": B(3, "person0"),
    "GET /api/deals": B(5, "Deal 0"),
    "GET /api/pipelines": B(5, "Pipeline 0"),
    "GET /api/products": B(3, "Product 0"),
    "GET /api/properties": B(3, "Choice 0"),
    "GET /api/tickets": B(4, "Ticket 0"),  # + the deals of the page's tickets (deal_ids)
    "GET /api/tickets/{ticket_id}/notes": B(3, "Note 0", ticket_id="ticket"),
    # the client ticket API (tickets.client_api): tickets as the customer reads them, and a
    # ticket's public conversation with its authors and files
    "GET /api/portal/tickets": B(3, "Ticket 0"),
    "GET /api/tickets/{ticket_id}/messages": B(4, ("Reply 0", "by email"), ticket_id="ticket"),
    "GET /api/sla-policies": B(3, "Policy 0"),
    "GET /api/calendars": B(4, "Calendar 0"),
    "GET /api/workflows": B(4, "Workflow 0"),
    "GET /api/workflow-runs": B(3, "Run 0"),
    "GET /api/notifications": B(4, "Notice 0"),
    "GET /api/tasks": B(3, ("Triage 0", "Queued 0", "Working 0", "Pending 0")),  # open tasks
    "GET /api/tasks/{task_id}/messages": B(4, "Message 0", task_id="task"),
    "GET /api/tasks/{task_id}/attachments": B(3, "file-0", task_id="task"),
    # The queue's forecast: the plan, the tasks holding a slot, the calendar, the queue. (Runs
    # two queries per task today: task_out reads task.company and task.requested_by, which
    # selectors.queue_of does not select_related.)
    "GET /api/companies/{company_id}/queue": B(10, "Queued 0", company_id="company"),
    "GET /api/plans": B(2, "Plan 0"),
    "GET /api/task-categories": B(2, "Category 0"),
    "GET /api/tasks/{task_id}/slots": B(11, Fewer('"starts_at"'), task_id="booking_task"),
    "GET /api/sessions": B(3, "Consult 0"),
    # webhooks (Settings → Webhooks, as admin)
    "webhooks:endpoint_list": B(4, "Webhook 0"),  # + the failed deliveries' count
    "webhooks:endpoint_detail": B(5, "budget.unit", pk="webhook_endpoint"),  # its deliveries
    "webhooks:delivery_list": B(4, "budget.unit"),  # with each delivery's endpoint
    "webhooks:delivery_detail": B(4, "Attempt 0", pk="webhook_delivery"),  # its attempts
    "GET /api/webhooks": B(3, "Webhook 0"),
    "GET /api/webhook-deliveries": B(3, "budget.unit"),
    # users, teams, invitations and imports (as admin)
    "GET /api/users": B(3, "@company"),  # a client user per unit
    "GET /api/teams": B(4, "Team 0"),  # + the members (the lead is joined)
    "GET /api/invitations": B(3, "invitee0"),
    "GET /api/imports": B(3, "Import 0"),
    # Settings → Workers (as admin): the workers' heartbeats and their running task rows, and
    # the outbox's waiting events (one capped count)
    "core:workers": B(6, ("qc-worker-0", "worker_tasks.nap")),
    # [anchor: PARTNER-PROGRAM budgets]
    # partner program pages (as admin). The standing: today's figures, the tier table, the
    # credited review and the forecast (points 90 days ago, rates on the review day), the marks
    # on record and the accreditations in a grace period (issue 11); an
    # account: its points and each subscription's (a query each for the rates, the settings
    # and the figures), its rows and the choices of its eight forms
    "partner_program:standing": B(19, "Tier 0"),
    "partner_program:account_list": B(6, "Portal 0"),
    "partner_program:account_detail": B(26, ("Hub 0", "Assisted", "Agent0"), pk="pp_account"),
    "partner_program:activity_list": B(12, "Act note 0"),
    "partner_program:certification_list": B(6, "Cert 0"),
    "partner_program:rates": B(5, "× "),
    "partner_program:currencies": B(5, "<td>EUR</td>"),
    "partner_program:catalogue": B(4, "Catalogue 0"),
    "partner_program:mappings": B(7, "Catalogue 0"),
    "partner_program:tier_table": B(6, "Tier 0"),
    # [anchor: ACCREDITATIONS budgets]
    # accreditations and complaints (as admin): a page of rows with their types, the type
    # filter's choices and the marks on record; an accreditation's page: its evaluations, the
    # standards today (credited review, minimum tier, holders, marks) and the timeline; a
    # complaint's page: its steps with owners and marks, the timeline and the forms' choices
    "partner_program:accreditation_list": B(7, "Accreditation 0"),
    "partner_program:accreditation_detail": B(7, 'data-evaluation="', pk="pp_accreditation"),
    "partner_program:complaint_list": B(6, "Complaint 0"),
    "partner_program:complaint_detail": B(9, "Step note 0", pk="pp_complaint"),
    "partner_program:accreditation_type_list": B(6, "Accreditation 0"),
    # [anchor: PARTNER-DASHBOARD budgets]
    # partner dashboard tabs (as admin). Alerts: the renewal decisions count, a query per kind
    # of alert, the user's dismissals, and near a review the standing (the tier at risk);
    # clients: a page of accounts with subqueries, their products, the currency table;
    # renewals: one query per page, the settings, the chart's grouped query; the client's
    # portal: the portal's own reads for one company and the timeline entry of the visit;
    # the tier: the standing (as on the partner program's page) and the median usage
    "dashboard:alerts": B(25, "Expiring cert 0"),
    "dashboard:clients": B(6, "Portal 0"),
    "dashboard:clients_export": B(6, "Portal 0"),
    "dashboard:client_details": B(12, "Hub 0", pk="pp_account"),
    "dashboard:client_portal": B(22, "Triage 0", pk="pp_account"),
    "dashboard:renewals": B(8, "Renewing 0"),
    "dashboard:renewals_all": B(8, "Renewing 0"),
    "dashboard:renewals_export": B(6, "Renewing 0"),
    "dashboard:renewals_all_export": B(6, "Renewing 0"),
    "dashboard:tier": B(18, "Tier 0"),
    # [anchor: PARTNER-PROGRAM-API budgets]
    # partner program API lists: the accounts with today's points (+ the settings and the
    # rates in force), an account's rows (+ the account), subscriptions with their history
    "GET /api/partner/accounts": B(5, "Portal 0"),
    "GET /api/partner/accounts/{account_id}/subscriptions": B(5, "Hub 0", account_id="pp_account"),
    "GET /api/partner/accounts/{account_id}/relationships": B(
        4, '"assisted"', account_id="pp_account"
    ),
    "GET /api/partner/accounts/{account_id}/managing-partners": B(
        4, '"count"', account_id="pp_account"
    ),
    "GET /api/partner/accounts/{account_id}/connections": B(4, "Agent0", account_id="pp_account"),
    "GET /api/partner/activities": B(3, "Act note 0"),
    "GET /api/partner/certifications": B(3, "Cert 0"),
    "GET /api/partner/rates": B(3, '"growth_multiplier"'),
    "GET /api/partner/currencies": B(3, '"EUR"'),
    "GET /api/partner/tiers": B(3, "Tier 0"),
    "GET /api/partner/tier-reviews": B(3, '"reviewed_on"'),
    "GET /api/partner/activity-types": B(3, "Catalogue 0"),
    "GET /api/partner/mappings": B(3, "Catalogue 0"),
    # [anchor: ACCREDITATIONS-API budgets]
    # accreditations (+ the marks on record), an accreditation's evaluations (+ the
    # accreditation), the catalogue, complaints, the marks with their complaints
    "GET /api/partner/accreditations": B(4, "Accreditation 0"),
    "GET /api/partner/accreditations/{accreditation_id}/evaluations": B(
        4, '"due_on"', accreditation_id="pp_accreditation"
    ),
    "GET /api/partner/accreditation-types": B(3, "Accreditation 0"),
    "GET /api/partner/complaints": B(3, "Complaint 0"),
    "GET /api/partner/marks": B(3, "Serious 0"),
    # [anchor: SATISFACTION budgets]
    # the staff answers list (a page of surveys with their task or ticket, company and agent)
    # and the API list (the same selector)
    "satisfaction:answers": B(4, "Answer 0"),
    "GET /api/satisfaction/surveys": B(3, "Answer 0"),
    # [anchor: TICKETS-EMAIL budgets] the unknown-sender queue (a page of held emails with
    # their mailbox), the support mailboxes (with their pipeline and entry stage)
    "tickets:held_list": B(4, "Held 0"),
    "tickets:mailbox_list": B(3, "support0"),
    # [anchor: KNOWLEDGE budgets]
    # the knowledge base: the staff list (a page with each article's category, author and
    # deflection count as a subquery, the filters' categories and tags), the categories with
    # their counts; the help center (as the client): the sections with their articles, a
    # category's articles, all published articles; the API lists
    "knowledge:article_list": B(6, "KB article 0"),
    "knowledge:category_list": B(3, "KB category 0"),
    "help:home": B(5, "KB category 0"),
    "help:category": B(5, "KB focus 0", pk="kb_category"),
    "help:search": B(5, "KB article 0"),
    "GET /api/knowledge/articles": B(3, "KB article 0"),
    "GET /api/knowledge/categories": B(2, "KB category 0"),
    "GET /api/knowledge/deflections": B(3, "KB query 0"),
}

# Web pages that answer GET but list no rows that grow with the data, and why.
FORM = "a form: its choices are one query each, whatever their number"
RECORD = "one record, no growing list"
NO_DATA = "no rows: public, account or schema page"
FILE = "one record's file"
REPORT = "aggregates, not rows: every report's queries are pinned in tests/reports/test_queries.py"
NOT_LISTS: dict[str, str] = {
    "healthz": NO_DATA,
    # ------------------------------------------------------------ knowledge base
    "knowledge:article_create": FORM,
    "knowledge:article_edit": FORM,
    "knowledge:article_detail": RECORD + " (its last 10 deflections, its few translations)",
    "knowledge:article_delete": RECORD,
    "knowledge:category_edit": FORM,
    "help:article": RECORD + " (its few translations, at most 5 related articles)",
    "help:suggest": "at most 5 suggested articles",
    # ------------------------------------------------------------ reports
    "reports:index": "the list of reports is code, not data",
    "reports:detail": REPORT,
    "reports:export": REPORT,
    "accounts:login": NO_DATA,
    "accounts:password_reset": NO_DATA,
    "accounts:password_reset_done": NO_DATA,
    "accounts:password_reset_confirm": NO_DATA,
    "accounts:password_reset_complete": NO_DATA,
    "accounts:password_change": NO_DATA,
    "api:openapi-json": NO_DATA,
    "api:openapi-view": NO_DATA,
    "crm:company_create": FORM,
    "crm:company_edit": FORM,
    "crm:contact_create": FORM,
    "crm:contact_edit": FORM,
    "crm:deal_create": FORM,
    "crm:deal_edit": FORM,
    "crm:deal_move": FORM,
    "crm:import_upload": FORM,
    "crm:stage_edit": FORM,
    "crm:property_create": FORM,
    "crm:property_edit": FORM,
    "crm:product_create": FORM,
    "crm:product_edit": FORM,
    "crm:user_invite": FORM,
    "crm:user_edit": FORM,
    "crm:team_edit": FORM,
    "tickets:create": FORM,
    "tickets:edit": FORM,
    "tickets:attachment": FILE,
    "tickets:mailbox_create": FORM,
    "tickets:mailbox_edit": FORM,
    "sla:policy_create": FORM,
    "sla:policy_edit": FORM,
    "sla:calendar_edit": FORM,  # and the calendar's holidays: configuration, a few a year
    "sla:calendar_preview": "one computed date for the unsaved calendar form",
    "automation:integrations": FORM,
    "notifications:preferences": FORM,
    "portal:invite_colleague": FORM,
    "portal:task_new": FORM,
    "taskdesk:task_new": FORM,
    "taskdesk:company_plan": FORM,
    "crm:pipeline_detail": RECORD + " (a pipeline's stages are configuration)",
    "automation:run_detail": RECORD,
    "portal:deal_detail": RECORD,
    "portal:attachment": FILE,
    "portal_tickets:attachment": FILE,
    "ticket_notices:edit": FORM,
    "portal:session_ics": FILE,
    "taskdesk:session_ics": FILE,
    "partner_program:points_history": "a fixed number of month ends, an aggregate query each",
    "partner_program:account_create": FORM,
    "partner_program:account_edit": FORM,
    "partner_program:end_services": FORM,
    "partner_program:certification_edit": FORM,
    "partner_program:import_upload": FORM,
    "partner_program:activity_type_edit": FORM,
    "partner_program:tier_edit": FORM,
    "partner_program:program_settings": FORM,
    "partner_program:complaint_create": FORM,
    "partner_program:accreditation_type_edit": FORM,
    "dashboard:renewal_details": RECORD + " (one renewal and its three forms)",
    "dashboard:client_end_services": FORM,
    "dashboard:renewal_settings": FORM,
    "dashboard:mrr_history": "a fixed number of month ends, an aggregate query each",
    "dashboard:team": "two people, one per role",
    "dashboard:team_edit": FORM,
    # satisfaction: one survey's answer form; the settings form
    "satisfaction:portal_answer": RECORD,
    "satisfaction:settings": FORM,
}


def _route_name(key: str) -> str:
    return key.split("?", 1)[0]


def _answers_get(name: str) -> bool:
    """Per the permission matrix; a route missing from it must be decided here too."""
    route = MATRIX.get(name)
    if route is None:
        return True
    return any(check.method == "GET" and 200 in check.expect.values() for check in route.checks)


def test_every_list_has_a_budget():
    budgeted = {_route_name(key) for key in BUDGETS}
    web = web_route_names()
    undecided = sorted(n for n in web if _answers_get(n) and n not in budgeted | set(NOT_LISTS))
    assert not undecided, (
        f"web pages without a query budget: {undecided}. A page that lists rows gets an entry "
        "in BUDGETS (and World.grow adds rows to it); any other page an entry in NOT_LISTS."
    )
    api_lists = api_list_operations()
    assert not api_lists - budgeted, f"API lists without a budget: {sorted(api_lists - budgeted)}"
    assert not budgeted & set(NOT_LISTS), sorted(budgeted & set(NOT_LISTS))
    stale = sorted((budgeted | set(NOT_LISTS)) - web - api_lists)
    assert not stale, f"budget entries for routes that are gone (or not lists): {stale}"


def test_every_budget_has_a_row_marker():
    for key, budget in BUDGETS.items():
        assert budget.queries > 0, key
        assert _markers(budget.rows), key


# ---------------------------------------------------------------- measuring

# API lists are asked for every row, so a query per row would show.
API_PARAMS = {"limit": 200}


@dataclass
class Measure:
    small: int = -1  # queries
    large: int = -1
    small_rows: tuple[int, ...] = ()  # occurrences of each row marker
    large_rows: tuple[int, ...] = ()


def _get(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _warm_up(client, url, params) -> None:
    response = _get(client, url, params)
    if response.streaming:
        b"".join(response.streaming_content)


def _count(client, url, params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = _get(client, url, params)
        if response.streaming:  # CSV exports run their queries while streaming
            body = b"".join(response.streaming_content).decode()
        else:
            body = response.content.decode()
    return len(ctx.captured_queries), body


def _url(key: str, budget: Budget, world: World) -> str:
    kwargs = {name: getattr(world, attr).pk for name, attr in budget.kwargs.items()}
    if key.startswith("GET /"):
        return key.removeprefix("GET ").format(**kwargs)
    name, _sep, query = key.partition("?")
    return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")


@pytest.fixture(scope="module")
def measures(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, Measure]:
    results = {key: Measure() for key in BUDGETS}
    private_root = tmp_path_factory.mktemp("query-counts-files")
    with (
        django_db_blocker.unblock(),
        override_settings(PARTNERDESK_PRIVATE_ROOT=private_root),
        transaction.atomic(),
    ):
        portal_models.private_storage._wrapped = empty  # the task files go to private_root
        world = World()
        staff, client = login(world.admin), login(world.client_user)
        token = Client(
            headers={"Authorization": f"Bearer {api_token_create(user=world.admin, name='qc')[1]}"}
        )

        def requests():
            for key, budget in BUDGETS.items():
                url = _url(key, budget, world)
                if key.startswith("GET /"):
                    yield key, token, url, API_PARAMS
                # help: the portal's help center; portal_tickets: the client's tickets
                elif key.startswith(("portal:", "help:", "portal_tickets:")):
                    yield key, client, url, {}
                else:
                    yield key, staff, url, {}

        world.grow(SMALL)
        for key, who, url, params in requests():
            _warm_up(who, url, params)  # warm up: per-process caches, the token's last-used stamp
            m = results[key]
            m.small, body = _count(who, url, params)
            m.small_rows = rows(BUDGETS[key].rows, body)
        world.grow(LARGE - SMALL)
        for key, who, url, params in requests():
            m = results[key]
            m.large, body = _count(who, url, params)
            m.large_rows = rows(BUDGETS[key].rows, body)
        transaction.set_rollback(True)
    portal_models.private_storage._wrapped = empty
    return results


def _shown(marker, small: int, large: int) -> bool:
    if isinstance(marker, Fewer):
        return 0 < large < small
    return 0 < small < large


@pytest.mark.django_db  # also makes pytest-django create the test database for ``measures``
@pytest.mark.parametrize("key", list(BUDGETS))
def test_query_budget(key, measures):
    m, budget = measures[key], BUDGETS[key]
    markers = _markers(budget.rows)
    assert m.small_rows and all(
        _shown(marker, small, large)
        for marker, small, large in zip(markers, m.small_rows, m.large_rows, strict=True)
    ), (
        f"{key}: {m.small_rows} then {m.large_rows} rows ({budget.rows!r}): "
        "the added data is not on the page, so the count proves nothing"
    )
    assert m.small == m.large, (
        f"{key}: {m.small} queries with {SMALL} units of data but {m.large} with {LARGE}: "
        "the page runs a query per row (N+1)"
    )
    assert m.large <= budget.queries, f"{key}: {m.large} queries, budget {budget.queries}"
