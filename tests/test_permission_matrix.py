"""Permission matrix: every route of the app, every kind of user, the exact expected status.

The route list is not written by hand: ``test_matrix_covers_every_route`` walks Django's URL
resolver (every namespace) and the OpenAPI document of the Ninja API, and fails naming any route
that has no entry in ``MATRIX`` (or any entry whose route no longer exists). Adding a page or an
endpoint therefore means deciding here who may open it.

Actors: anonymous; ``client_user`` (client admin of ``company``, the company that owns every
object used below); ``other_client`` (member of ``other_company``); ``agent``; ``admin``.

House conventions (ARCHITECTURE.md rule 3):
- anonymous on a web page -> 302 to /accounts/login/; anonymous on the API -> 401;
- client users on the staff app (/app/...) -> 404: it does not exist for them;
- admin-only pages for agents -> 403;
- a client reading another company's object -> 404, exactly like a missing id;
- staff-only API resources (pipelines, products, properties) -> 404 for client users;
- client writes to the CRM API (and other staff actions) -> 403, refused for the role before any
  lookup, so a foreign id and a missing one get the same answer.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import re

import pytest
from django.db import transaction
from django.test import Client
from django.test.client import ClientHandler
from django.urls import reverse
from django.utils import timezone

from partnerdesk.accounts.models import Role, Team
from partnerdesk.accounts.services import api_token_create, invitation_create
from partnerdesk.automation import services as automation_services
from partnerdesk.automation.models import IntegrationSettings, RunStatus, Workflow, WorkflowRun
from partnerdesk.core.events import record_event
from partnerdesk.crm import services
from partnerdesk.crm.models import Pipeline, Stage
from partnerdesk.notifications.models import Kind, Notification
from partnerdesk.sla import services as sla_services
from partnerdesk.sla.models import Calendar, SlaPolicy
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.models import SavedView
from tests.conftest import login
from tests.matrix import crm_records as crm_records_routes
from tests.matrix import knowledge as knowledge_routes
from tests.matrix import reports as reports_routes
from tests.matrix import satisfaction as satisfaction_routes
from tests.matrix import tickets_email as tickets_email_routes
from tests.matrix import tickets_portal as tickets_portal_routes
from tests.matrix.crm_records import *  # noqa: F403  (the fixtures its routes refer to)
from tests.matrix.knowledge import *  # noqa: F403
from tests.matrix.reports import *  # noqa: F403
from tests.matrix.satisfaction import *  # noqa: F403
from tests.matrix.tickets_email import *  # noqa: F403
from tests.matrix.tickets_portal import *  # noqa: F403
from tests.matrix.vocab import (
    ACTORS,
    ADMIN,
    ADMIN_INVALID_FORM,
    ADMIN_ONLY,
    AGENT,
    ALL,
    ANON,
    API_ADMIN_CREATE,
    API_ADMIN_READ,
    API_ADMIN_WRITE,
    API_CRM_CREATE,
    API_MANAGER_CREATE,
    API_MANAGER_READ,
    API_MANAGER_WRITE,
    API_OWNED_READ,
    API_OWNED_WRITE,
    API_READ,
    API_STAFF_READ,
    CLIENT_ONLY,
    DASHBOARD,
    DASHBOARD_INVALID_FORM,
    LOGIN,
    MANAGER_INVALID_FORM,
    MANAGER_ONLY,
    MISSING_ID,
    OTHER,
    OWN,
    SIGNED_IN,
    STAFF,
    STAFF_INVALID_FORM,
    STAFF_POST_ONLY_GET,
    WEBHOOK_PAYLOAD,
    WORKFLOW_PAYLOAD,
    E,
    Expect,
    Redirect,
    Ref,
    Route,
    get,
    op,
    post,
    post_form,
)
from tests.routes import enumerate_routes

# ---------------------------------------------------------------- the matrix

MATRIX: dict[str, Route] = {
    # ------------------------------------------------------------ public and account pages
    "home": Route(
        checks=(
            get(
                E(
                    LOGIN,
                    Redirect("/portal/"),
                    Redirect("/portal/"),
                    Redirect("/app/"),
                    Redirect("/app/"),
                )
            ),
        )
    ),
    "healthz": Route(checks=(get(ALL(200)),)),
    "set_language": Route(
        checks=(
            post(ALL(Redirect("/healthz", exact=True)), {"language": "en", "next": "/healthz"}),
        )
    ),
    "accounts:login": Route(
        checks=(
            get(
                E(
                    200,
                    Redirect("/", exact=True),
                    Redirect("/", exact=True),
                    Redirect("/", exact=True),
                    Redirect("/", exact=True),
                )
            ),
        )
    ),
    "accounts:logout": Route(checks=(get(ALL(405)), post(ALL(LOGIN)))),
    "accounts:password_reset": Route(
        checks=(
            get(ALL(200)),
            post(
                ALL(Redirect("/accounts/password-reset/sent/", exact=True)),
                {"email": "nobody@nowhere.test"},
            ),
        )
    ),
    "accounts:password_reset_done": Route(checks=(get(ALL(200)),)),
    "accounts:password_reset_confirm": Route(
        checks=(get(ALL(200)),),  # an invalid link renders "this link is not valid"
        kwargs={"uidb64": "MQ", "token": "bogus-token"},
    ),
    "accounts:password_reset_complete": Route(checks=(get(ALL(200)),)),
    "accounts:password_change": Route(checks=(get(SIGNED_IN), post(SIGNED_IN))),
    "accounts:invitation_accept": Route(
        checks=(get(ALL(404)), post(ALL(404))), kwargs={"token": "inv_bogus"}
    ),
    "accounts:profile": Route(checks=(get(SIGNED_IN), post(SIGNED_IN))),
    # A token can only be revoked by its owner on this page (admin included: not theirs -> 404).
    "accounts:token_revoke": Route(
        checks=(post(E(LOGIN, 404, 404, Redirect("/accounts/profile/", exact=True), 404)),),
        kwargs={"pk": Ref("agent_token")},
    ),
    # ------------------------------------------------------------ staff app: CRM records
    "dashboard:home": Route(checks=(get(STAFF),)),
    "crm:company_list": Route(checks=(get(STAFF),)),
    "crm:company_export": Route(checks=(get(STAFF),)),
    "crm:company_create": Route(checks=(get(STAFF), post_form(STAFF_INVALID_FORM))),
    "crm:company_detail": Route(checks=(get(STAFF),), kwargs={"pk": Ref("company")}, owned="pk"),
    "crm:company_edit": Route(
        checks=(get(STAFF), post_form(STAFF_INVALID_FORM)),
        kwargs={"pk": Ref("company")},
        owned="pk",
    ),
    "crm:contact_list": Route(checks=(get(STAFF),)),
    # the pickers' searches (core.widgets.RecordPicker): staff only, like the lists
    "crm:company_options": Route(checks=(get(STAFF),)),
    "crm:contact_options": Route(checks=(get(STAFF),)),
    "crm:contact_export": Route(checks=(get(STAFF),)),
    "crm:contact_create": Route(checks=(get(STAFF), post_form(STAFF_INVALID_FORM))),
    "crm:contact_detail": Route(checks=(get(STAFF),), kwargs={"pk": Ref("contact")}, owned="pk"),
    "crm:contact_edit": Route(
        checks=(get(STAFF), post_form(STAFF_INVALID_FORM)),
        kwargs={"pk": Ref("contact")},
        owned="pk",
    ),
    "crm:deal_list": Route(checks=(get(STAFF),)),
    "crm:deal_export": Route(checks=(get(STAFF),)),
    "crm:deal_board": Route(checks=(get(STAFF),)),
    "crm:deal_board_pipeline": Route(
        checks=(get(STAFF),), kwargs={"pipeline_pk": Ref("email_pipeline")}
    ),
    "crm:deal_create": Route(checks=(get(STAFF), post_form(STAFF_INVALID_FORM))),
    "crm:deal_detail": Route(checks=(get(STAFF),), kwargs={"pk": Ref("deal")}, owned="pk"),
    "crm:deal_edit": Route(
        checks=(get(STAFF), post_form(STAFF_INVALID_FORM)), kwargs={"pk": Ref("deal")}, owned="pk"
    ),
    # GET shows the move form (with the fields the chosen stage still needs); no stage
    # posted: the move form is invalid -> 422 with the deal page.
    "crm:deal_move": Route(
        checks=(get(STAFF), post(E(LOGIN, 404, 404, 422, 422))),
        kwargs={"pk": Ref("deal")},
        owned="pk",
    ),
    "crm:line_item_add": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, 422, 422))),
        kwargs={"pk": Ref("deal")},
        owned="pk",
    ),
    "crm:line_item_remove": Route(
        checks=(
            get(STAFF_POST_ONLY_GET),
            post(E(LOGIN, 404, 404, Redirect("/app/deals/"), Redirect("/app/deals/"))),
        ),
        kwargs={"pk": Ref("deal"), "item_pk": Ref("line_item")},
        owned="pk",
    ),
    # ------------------------------------------------------------ staff app: import
    # Import is a staff feature (linked for every staff user in base.html). Ids are missing on
    # purpose: a missing import job is a 404 for everybody signed in, a login for anonymous.
    "crm:import_upload": Route(checks=(get(STAFF), post_form(STAFF_INVALID_FORM))),
    "crm:import_detail": Route(
        checks=(get(E(LOGIN, 404, 404, 404, 404)), post(E(LOGIN, 404, 404, 404, 404))),
        kwargs={"pk": MISSING_ID},
    ),
    "crm:import_progress": Route(
        checks=(get(E(LOGIN, 404, 404, 404, 404)),), kwargs={"pk": MISSING_ID}
    ),
    # ------------------------------------------------------------ staff app: settings
    "crm:pipeline_list": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    # No action posted: nothing changes, the page is shown again.
    "crm:pipeline_detail": Route(
        checks=(get(ADMIN_ONLY), post(ADMIN_ONLY)), kwargs={"pk": Ref("email_pipeline")}
    ),
    "crm:stage_edit": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)), kwargs={"pk": Ref("stage")}
    ),
    "crm:property_list": Route(checks=(get(ADMIN_ONLY),)),
    "crm:property_create": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    "crm:property_edit": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)),
        kwargs={"pk": Ref("custom_property")},
    ),
    "crm:product_list": Route(checks=(get(STAFF),)),
    "crm:product_create": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    "crm:product_edit": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)), kwargs={"pk": Ref("product")}
    ),
    "crm:user_list": Route(checks=(get(ADMIN_ONLY),)),
    "crm:user_invite": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    "crm:user_edit": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)), kwargs={"pk": Ref("agent")}
    ),
    # Teams (automations assign to them): admin configuration; posted without a name -> 400.
    "crm:team_list": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    "crm:team_edit": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)), kwargs={"pk": Ref("team")}
    ),
    "crm:invitation_revoke": Route(
        checks=(
            get(E(LOGIN, 404, 404, 403, 405)),
            post(E(LOGIN, 404, 404, 403, Redirect("/app/settings/users/", exact=True))),
        ),
        kwargs={"pk": Ref("invitation")},
    ),
    # ------------------------------------------------------------ staff app: tickets
    "tickets:list": Route(checks=(get(STAFF),)),
    "tickets:board": Route(checks=(get(STAFF),)),
    "tickets:board_pipeline": Route(
        checks=(get(STAFF),), kwargs={"pipeline_pk": Ref("ticket_pipeline")}
    ),
    "tickets:new": Route(checks=(get(STAFF),)),
    "tickets:create": Route(
        checks=(get(STAFF), post_form(STAFF_INVALID_FORM)), kwargs={"stage_pk": Ref("entry_stage")}
    ),
    # Without a name the view is not saved; the list is shown again with a message.
    "tickets:view_create": Route(
        checks=(
            get(STAFF_POST_ONLY_GET),
            post(E(LOGIN, 404, 404, Redirect("/app/tickets/"), Redirect("/app/tickets/"))),
        )
    ),
    # A saved view can only be deleted by its owner (the agent here).
    "tickets:view_delete": Route(
        checks=(
            get(STAFF_POST_ONLY_GET),
            post(E(LOGIN, 404, 404, Redirect("/app/tickets/", exact=True), 404)),
        ),
        kwargs={"pk": Ref("saved_view")},
    ),
    "tickets:detail": Route(checks=(get(STAFF),), kwargs={"pk": Ref("ticket")}, owned="pk"),
    "tickets:edit": Route(
        checks=(get(STAFF), post_form(STAFF_INVALID_FORM)), kwargs={"pk": Ref("ticket")}, owned="pk"
    ),
    "tickets:move": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, 422, 422))),
        kwargs={"pk": Ref("ticket")},
        owned="pk",
    ),
    "tickets:note": Route(
        checks=(get(STAFF_POST_ONLY_GET), post(E(LOGIN, 404, 404, 422, 422))),
        kwargs={"pk": Ref("ticket")},
        owned="pk",
    ),
    # ------------------------------------------------------------ staff app: SLA settings
    "sla:policy_list": Route(checks=(get(ADMIN_ONLY),)),
    "sla:policy_create": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)),
        kwargs={"pipeline_pk": Ref("ticket_pipeline")},
    ),
    "sla:policy_edit": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)),
        kwargs={"pipeline_pk": Ref("ticket_pipeline"), "pk": Ref("sla_policy")},
    ),
    "sla:policy_delete": Route(
        checks=(
            get(E(LOGIN, 404, 404, 403, 405)),
            post(E(LOGIN, 404, 404, 403, Redirect("/app/settings/sla/", exact=True))),
        ),
        kwargs={"pipeline_pk": Ref("ticket_pipeline"), "pk": Ref("sla_policy")},
    ),
    "sla:calendar_list": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    "sla:calendar_preview": Route(checks=(get(ADMIN_ONLY),)),
    "sla:calendar_edit": Route(
        checks=(get(ADMIN_ONLY), post(ADMIN_INVALID_FORM, {"action": "save"})),
        kwargs={"pk": Ref("calendar")},
    ),
    # ------------------------------------------------------------ staff app: automations
    # Admin-only configuration: agents 403, clients 404 (the staff app does not exist for them).
    "automation:workflow_list": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    # "save" without a name: the trigger form is invalid, the page comes back with 400.
    "automation:workflow_edit": Route(
        checks=(get(ADMIN_ONLY), post(ADMIN_INVALID_FORM, {"action": "save"})),
        kwargs={"pk": Ref("workflow")},
    ),
    "automation:run_list": Route(checks=(get(ADMIN_ONLY),)),
    "automation:run_detail": Route(checks=(get(ADMIN_ONLY),), kwargs={"pk": Ref("workflow_run")}),
    # The run is a failed one: the admin replays it and is sent back to the run.
    "automation:run_replay": Route(
        checks=(
            get(E(LOGIN, 404, 404, 403, 405)),
            post(E(LOGIN, 404, 404, 403, Redirect("/app/settings/automations/runs/"))),
        ),
        kwargs={"pk": Ref("workflow_run")},
    ),
    "automation:integrations": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    # Settings → Workers: a read-only health page (heartbeats, the task queue); GET only.
    "core:workers": Route(checks=(get(ADMIN_ONLY), post(E(LOGIN, 404, 404, 403, 405)))),
    # Public (GitHub calls it, CSRF-exempt) but refused without a valid signature, whoever asks;
    # the JSON body is checked in test_github_webhook_refuses_a_bad_signature.
    "github_webhook": Route(checks=(get(ALL(405)), post(ALL(403)))),
    # ------------------------------------------------------------ notifications (any signed-in user)
    "notifications:list": Route(checks=(get(SIGNED_IN),)),
    "notifications:badge": Route(checks=(get(SIGNED_IN),)),
    "notifications:panel": Route(checks=(get(SIGNED_IN),)),  # the bell's panel (issue 15)
    "notifications:mark_read": Route(
        checks=(
            get(E(LOGIN, 405, 405, 405, 405)),
            post(E(LOGIN, *[Redirect("/notifications/", exact=True)] * 4)),
        )
    ),
    "notifications:preferences": Route(
        checks=(
            get(SIGNED_IN),
            post_form(E(LOGIN, *[Redirect("/notifications/preferences/", exact=True)] * 4)),
        )
    ),
    # ------------------------------------------------------------ client portal
    "portal:home": Route(checks=(get(CLIENT_ONLY),)),
    "portal:contact_export": Route(checks=(get(CLIENT_ONLY),)),
    "portal:deal_detail": Route(
        checks=(get(E(LOGIN, 200, 404, 404, 404)),), kwargs={"pk": Ref("deal")}, owned="pk"
    ),
    # Only a client admin may invite; a member is sent back to the portal with a message.
    "portal:invite_colleague": Route(
        checks=(
            get(E(LOGIN, 200, Redirect("/portal/", exact=True), 404, 404)),
            post_form(E(LOGIN, 400, Redirect("/portal/", exact=True), 404, 404)),
        )
    ),
    # ------------------------------------------------------------ portal: client task pages
    # [anchor: PORTAL-CLIENT routes]
    "portal:task_list": Route(checks=(get(CLIENT_ONLY),)),
    "portal:task_new": Route(checks=(get(CLIENT_ONLY), post_form(E(LOGIN, 400, 400, 404, 404)))),
    # Without a task to move: a message, back to the list.
    "portal:queue_reorder": Route(
        checks=(
            post(
                E(
                    LOGIN,
                    Redirect("/portal/tasks/", exact=True),
                    Redirect("/portal/tasks/", exact=True),
                    404,
                    404,
                )
            ),
        )
    ),
    # The triage task cannot be approved: the refusal is a message on the task's page.
    "portal:task_approve": Route(
        checks=(post(E(LOGIN, Redirect("/portal/tasks/"), 404, 404, 404)),),
        kwargs={"pk": Ref("portal_task")},
        owned="pk",
    ),
    "portal:task_withdraw": Route(
        checks=(post(E(LOGIN, Redirect("/portal/tasks/"), 404, 404, 404)),),
        kwargs={"pk": Ref("portal_task")},
        owned="pk",
    ),
    # Posted without a message: the form comes back with its error.
    "portal:task_request_changes": Route(
        checks=(post(E(LOGIN, 400, 404, 404, 404)),),
        kwargs={"pk": Ref("portal_task")},
        owned="pk",
    ),
    "portal:task_message": Route(
        checks=(post(E(LOGIN, 400, 404, 404, 404)),),
        kwargs={"pk": Ref("portal_task")},
        owned="pk",
    ),
    # Files: whoever may see the task (its company's users and staff).
    "portal:attachment": Route(
        checks=(get(E(LOGIN, 200, 404, 200, 200)),),
        kwargs={"pk": Ref("portal_attachment")},
        owned="pk",
    ),
    "portal:task_detail": Route(
        checks=(get(E(LOGIN, 200, 404, 404, 404)),), kwargs={"pk": Ref("portal_task")}, owned="pk"
    ),
    # ------------------------------------------------------------ portal: consultation sessions
    # [anchor: PORTAL-BOOKING routes]
    # A client books, moves and cancels their company's sessions (staff: 404 on the portal);
    # another company's client gets 404, as for a missing id. The slot posted is a free one.
    "portal:session_book": Route(
        checks=(
            get(E(LOGIN, 200, 404, 404, 404)),
            post(
                E(LOGIN, Redirect("/portal/tasks/"), 404, 404, 404),
                {"starts_at": Ref("booking_slot")},
            ),
        ),
        kwargs={"pk": Ref("booking_task")},
        owned="pk",
    ),
    "portal:session_reschedule": Route(
        checks=(
            get(E(LOGIN, 200, 404, 404, 404)),
            post(
                E(LOGIN, Redirect("/portal/tasks/"), 404, 404, 404),
                {"starts_at": Ref("booking_slot")},
            ),
        ),
        kwargs={"pk": Ref("booked_session")},
        owned="pk",
    ),
    "portal:session_cancel": Route(
        checks=(post(E(LOGIN, Redirect("/portal/tasks/"), 404, 404, 404)),),
        kwargs={"pk": Ref("booked_session")},
        owned="pk",
    ),
    "portal:session_ics": Route(
        checks=(get(E(LOGIN, 200, 404, 404, 404)),),
        kwargs={"pk": Ref("booked_session")},
        owned="pk",
    ),
    # The staff side (task desk): any staff member may book for the client, move or cancel.
    "taskdesk:session_book": Route(
        checks=(
            get(STAFF),
            post(
                E(LOGIN, 404, 404, Redirect("/app/tasks/"), Redirect("/app/tasks/")),
                {"starts_at": Ref("booking_slot")},
            ),
        ),
        kwargs={"pk": Ref("booking_task")},
        owned="pk",
    ),
    "taskdesk:session_reschedule": Route(
        checks=(
            get(STAFF),
            post(
                E(LOGIN, 404, 404, Redirect("/app/tasks/"), Redirect("/app/tasks/")),
                {"starts_at": Ref("booking_slot")},
            ),
        ),
        kwargs={"pk": Ref("booked_session")},
        owned="pk",
    ),
    "taskdesk:session_cancel": Route(
        checks=(post(E(LOGIN, 404, 404, Redirect("/app/tasks/"), Redirect("/app/tasks/"))),),
        kwargs={"pk": Ref("booked_session")},
        owned="pk",
    ),
    "taskdesk:session_ics": Route(
        checks=(get(STAFF),), kwargs={"pk": Ref("booked_session")}, owned="pk"
    ),
    # ------------------------------------------------------------ staff task desk
    # [anchor: TASKDESK routes]
    "taskdesk:detail": Route(checks=(get(STAFF),), kwargs={"pk": Ref("portal_task")}),
    "taskdesk:triage": Route(checks=(get(STAFF),)),
    "taskdesk:task_new": Route(checks=(get(STAFF), post_form(STAFF_INVALID_FORM))),
    # No form named in the post: the page again, unchanged.
    "taskdesk:settings": Route(checks=(get(ADMIN_ONLY), post_form(E(LOGIN, 404, 404, 403, 200)))),
    "taskdesk:plan_toggle": Route(
        checks=(post(E(LOGIN, 404, 404, 403, Redirect("/app/tasks/settings/", exact=True))),),
        kwargs={"pk": Ref("portal_plan")},
    ),
    "taskdesk:company_plan": Route(
        checks=(get(STAFF), post_form(STAFF_INVALID_FORM)), kwargs={"pk": Ref("company")}
    ),
    # Forms posted empty come back with their errors; refused moves are a message.
    **{
        f"taskdesk:{name}": Route(
            checks=(post(STAFF_INVALID_FORM),), kwargs={"pk": Ref("portal_task")}
        )
        for name in ("accept", "decline", "estimate", "deliver", "message")
    },
    **{
        f"taskdesk:{name}": Route(
            checks=(post(E(LOGIN, 404, 404, Redirect("/app/tasks/"), Redirect("/app/tasks/"))),),
            kwargs={"pk": Ref("portal_task")},
        )
        for name in ("start", "queue_move")
    },
    # ------------------------------------------------------------ API: tasks, plans, sessions
    # [anchor: PORTAL-API operations]
    # tasks API
    "GET /api/tasks": op(API_READ),
    "POST /api/tasks": op(
        E(401, 201, 404, 201, 201),
        {
            "title": "Matrix API task",
            "category_id": Ref("portal_category"),
            "company_id": Ref("company"),
        },
    ),
    "GET /api/tasks/{task_id}": op(API_OWNED_READ, task_id=Ref("portal_task"), owned="task_id"),
    "POST /api/tasks/{task_id}/accept": op(
        API_OWNED_WRITE, {"estimate": "2h"}, task_id=Ref("portal_task"), owned="task_id"
    ),
    "POST /api/tasks/{task_id}/decline": op(
        API_OWNED_WRITE, {"reason": "Out of scope"}, task_id=Ref("portal_task"), owned="task_id"
    ),
    # Staff-only transitions on a task still in triage: refused for its status (409).
    "POST /api/tasks/{task_id}/start": op(
        E(401, 403, 403, 409, 409), task_id=Ref("portal_task"), owned="task_id"
    ),
    "POST /api/tasks/{task_id}/estimate": op(
        E(401, 403, 403, 409, 409),
        {"estimated_completion": "2030-01-01T10:00:00Z", "reason": "Matrix"},
        task_id=Ref("portal_task"),
        owned="task_id",
    ),
    "POST /api/tasks/{task_id}/deliver": op(
        E(401, 403, 403, 409, 409), {}, task_id=Ref("portal_task"), owned="task_id"
    ),
    # Client-only transitions: the client's own task is not pending approval (409).
    "POST /api/tasks/{task_id}/approve": op(
        E(401, 409, 404, 403, 403), task_id=Ref("portal_task"), owned="task_id"
    ),
    "POST /api/tasks/{task_id}/request-changes": op(
        E(401, 409, 404, 403, 403), {"body": "Matrix"}, task_id=Ref("portal_task"), owned="task_id"
    ),
    "POST /api/tasks/{task_id}/withdraw": op(
        E(401, 200, 404, 200, 200), task_id=Ref("portal_task"), owned="task_id"
    ),
    "GET /api/tasks/{task_id}/messages": op(
        API_OWNED_READ, task_id=Ref("portal_task"), owned="task_id"
    ),
    "POST /api/tasks/{task_id}/messages": op(
        E(401, 201, 404, 201, 201), {"body": "Matrix"}, task_id=Ref("portal_task"), owned="task_id"
    ),
    "GET /api/tasks/{task_id}/attachments": op(
        API_OWNED_READ, task_id=Ref("portal_task"), owned="task_id"
    ),
    # Without a file the body is invalid (422), checked before any lookup.
    "POST /api/tasks/{task_id}/attachments": op(
        E(401, 422, 422, 422, 422), task_id=Ref("portal_task")
    ),
    "GET /api/companies/{company_id}/queue": op(
        API_OWNED_READ, company_id=Ref("company"), owned="company_id"
    ),
    "PUT /api/companies/{company_id}/queue": op(
        E(401, 200, 404, 200, 200), {"task_ids": []}, company_id=Ref("company"), owned="company_id"
    ),
    "GET /api/plans": op(API_READ),
    "POST /api/plans": op(
        E(401, 403, 403, 403, 201), {"name": "Matrix plan", "concurrent_tasks": 4}
    ),
    "PUT /api/plans/{plan_id}": op(
        E(401, 403, 403, 403, 200),
        {"name": "Duo", "concurrent_tasks": 2},
        plan_id=Ref("portal_plan"),
    ),
    "GET /api/companies/{company_id}/subscription": op(
        API_OWNED_READ, company_id=Ref("company"), owned="company_id"
    ),
    "PUT /api/companies/{company_id}/subscription": op(
        E(401, 403, 403, 403, 200),
        {"plan_id": Ref("portal_plan")},
        company_id=Ref("company"),
        owned="company_id",
    ),
    "GET /api/task-categories": op(API_READ),
    # end tasks API
    # booking API
    "GET /api/tasks/{task_id}/slots": op(
        API_OWNED_READ, task_id=Ref("booking_task"), owned="task_id"
    ),
    "POST /api/tasks/{task_id}/sessions": op(
        E(401, 201, 404, 201, 201),
        {"starts_at": Ref("booking_slot")},
        task_id=Ref("booking_task"),
        owned="task_id",
    ),
    "POST /api/sessions/{session_id}/reschedule": op(
        E(401, 200, 404, 200, 200),
        {"starts_at": Ref("booking_slot")},
        session_id=Ref("booked_session"),
        owned="session_id",
    ),
    "POST /api/sessions/{session_id}/cancel": op(
        E(401, 200, 404, 200, 200), session_id=Ref("booked_session"), owned="session_id"
    ),
    "GET /api/sessions": op(API_READ),
    # end booking API
    # ------------------------------------------------------------ API: non-operation views
    # The schema and its docs page are public: they describe the API, they hold no data.
    "api:openapi-json": Route(checks=(get(ALL(200)),)),
    "api:openapi-view": Route(checks=(get(ALL(200)),)),
    "api:api-root": Route(checks=(get(ALL(404)),)),
    # ------------------------------------------------------------ API operations (token auth)
    "GET /api/me": op(API_READ),
    "GET /api/companies": op(API_READ),
    "POST /api/companies": op(API_CRM_CREATE, {"name": "New Co"}),
    "GET /api/companies/{company_id}": op(
        API_OWNED_READ, company_id=Ref("company"), owned="company_id"
    ),
    "PATCH /api/companies/{company_id}": op(
        API_OWNED_WRITE, {"name": "Renamed Co"}, company_id=Ref("company"), owned="company_id"
    ),
    "GET /api/contacts": op(API_READ),
    "POST /api/contacts": op(API_CRM_CREATE, {"first_name": "New", "company_id": Ref("company")}),
    "GET /api/contacts/{contact_id}": op(
        API_OWNED_READ, contact_id=Ref("contact"), owned="contact_id"
    ),
    "PATCH /api/contacts/{contact_id}": op(
        API_OWNED_WRITE, {"job_title": "CTO"}, contact_id=Ref("contact"), owned="contact_id"
    ),
    "GET /api/deals": op(API_READ),
    "POST /api/deals": op(
        API_CRM_CREATE,
        {"name": "New deal", "pipeline_id": Ref("email_pipeline"), "company_id": Ref("company")},
    ),
    "GET /api/deals/{deal_id}": op(API_OWNED_READ, deal_id=Ref("deal"), owned="deal_id"),
    "PATCH /api/deals/{deal_id}": op(
        API_OWNED_WRITE, {"name": "Renamed deal"}, deal_id=Ref("deal"), owned="deal_id"
    ),
    "POST /api/deals/{deal_id}/move": op(
        API_OWNED_WRITE, {"stage_id": Ref("target_stage")}, deal_id=Ref("deal"), owned="deal_id"
    ),
    "POST /api/deals/{deal_id}/line-items": op(
        E(401, 403, 403, 201, 201),
        {"product_id": Ref("product")},
        deal_id=Ref("deal"),
        owned="deal_id",
    ),
    "DELETE /api/deals/{deal_id}/line-items/{item_id}": op(
        E(401, 403, 403, 204, 204),
        deal_id=Ref("deal"),
        item_id=Ref("line_item"),
        owned="deal_id",
    ),
    "GET /api/pipelines": op(API_STAFF_READ),
    "POST /api/pipelines": op(
        API_ADMIN_CREATE,
        {"object_type": "deal", "name": "New pipeline", "stages": [{"name": "Open"}]},
    ),
    "GET /api/pipelines/{pipeline_id}": op(API_STAFF_READ, pipeline_id=Ref("email_pipeline")),
    "PATCH /api/pipelines/{pipeline_id}": op(
        API_ADMIN_WRITE, {"name": "Renamed pipeline"}, pipeline_id=Ref("email_pipeline")
    ),
    "POST /api/pipelines/{pipeline_id}/stages": op(
        API_ADMIN_CREATE, {"name": "Extra stage"}, pipeline_id=Ref("email_pipeline")
    ),
    "PATCH /api/stages/{stage_id}": op(
        API_ADMIN_WRITE, {"name": "Renamed stage"}, stage_id=Ref("stage")
    ),
    "GET /api/products": op(API_STAFF_READ),
    "POST /api/products": op(
        API_ADMIN_CREATE,
        {
            "name": "New product",
            "sku": "new-product",
            "category": "service",
            "unit_price": "10.00",
            "billing": "monthly",
        },
    ),
    "GET /api/products/{product_id}": op(API_STAFF_READ, product_id=Ref("product")),
    "PATCH /api/products/{product_id}": op(
        API_ADMIN_WRITE, {"name": "Renamed product"}, product_id=Ref("product")
    ),
    "GET /api/properties": op(API_STAFF_READ),
    "POST /api/properties": op(
        API_ADMIN_CREATE, {"object_type": "deal", "label": "Region", "type": "text"}
    ),
    "GET /api/properties/{property_id}": op(API_STAFF_READ, property_id=Ref("custom_property")),
    "PATCH /api/properties/{property_id}": op(
        API_ADMIN_WRITE, {"label": "Renamed property"}, property_id=Ref("custom_property")
    ),
    "GET /api/tickets": op(API_STAFF_READ),
    "POST /api/tickets": op(
        E(401, 404, 404, 201, 201),
        {"pipeline_id": Ref("ticket_pipeline"), "company_id": Ref("company"), "name": "New"},
    ),
    "GET /api/tickets/{ticket_id}": op(API_STAFF_READ, ticket_id=Ref("ticket"), owned="ticket_id"),
    "PATCH /api/tickets/{ticket_id}": op(
        E(401, 404, 404, 200, 200),
        {"priority": "high"},
        ticket_id=Ref("ticket"),
        owned="ticket_id",
    ),
    "POST /api/tickets/{ticket_id}/move": op(
        E(401, 404, 404, 200, 200),
        {"stage_id": Ref("ticket_target_stage")},
        ticket_id=Ref("ticket"),
        owned="ticket_id",
    ),
    "GET /api/tickets/{ticket_id}/notes": op(
        API_STAFF_READ, ticket_id=Ref("ticket"), owned="ticket_id"
    ),
    "POST /api/tickets/{ticket_id}/notes": op(
        E(401, 404, 404, 201, 201),
        {"body": "Called back."},
        ticket_id=Ref("ticket"),
        owned="ticket_id",
    ),
    "GET /api/sla-policies": op(API_STAFF_READ),
    "POST /api/sla-policies": op(
        API_ADMIN_CREATE,
        {
            "name": "Matrix policy",
            "pipeline_id": Ref("ticket_pipeline"),
            "entry_stage_id": Ref("entry_stage"),
            "resolution": {"amount": 60, "unit": "calendar"},
        },
    ),
    "GET /api/sla-policies/{policy_id}": op(API_STAFF_READ, policy_id=Ref("sla_policy")),
    "PUT /api/sla-policies/{policy_id}": op(
        API_ADMIN_WRITE,
        {
            "name": "Renamed policy",
            "pipeline_id": Ref("ticket_pipeline"),
            "resolution": {"amount": 120, "unit": "calendar"},
        },
        policy_id=Ref("sla_policy"),
    ),
    "DELETE /api/sla-policies/{policy_id}": op(
        E(401, 404, 404, 403, 204), policy_id=Ref("sla_policy")
    ),
    "GET /api/calendars": op(API_STAFF_READ),
    "POST /api/calendars": op(
        API_ADMIN_CREATE,
        {"name": "Matrix hours", "timezone": "UTC", "week": {"0": [["09:00", "17:00"]]}},
    ),
    "GET /api/calendars/{calendar_id}": op(API_STAFF_READ, calendar_id=Ref("calendar")),
    "PUT /api/calendars/{calendar_id}": op(
        API_ADMIN_WRITE,
        {
            "name": "Agency hours",
            "timezone": "Africa/Cairo",
            "week": {"6": [["09:00", "17:00"]]},
            "is_default": True,
        },
        calendar_id=Ref("calendar"),
    ),
    "POST /api/calendars/{calendar_id}/holidays": op(
        API_ADMIN_CREATE,
        {"date": "2031-01-02", "name": "Matrix day"},
        calendar_id=Ref("calendar"),
    ),
    "DELETE /api/calendars/{calendar_id}/holidays/{holiday_id}": op(
        E(401, 404, 404, 403, 204), calendar_id=Ref("calendar"), holiday_id=Ref("holiday")
    ),
    # A computation, no change: every staff user may ask.
    "POST /api/calendars/{calendar_id}/due": op(
        API_STAFF_READ,
        {"start": "2031-01-05T10:00:00+02:00", "amount": 60, "unit": "working_time"},
        calendar_id=Ref("calendar"),
    ),
    # ------------------------------------------------------------ API: automations
    # Staff-only resources (404 for clients); changing them is for admins (403 for agents).
    "GET /api/workflows": op(API_STAFF_READ),
    "POST /api/workflows": op(API_ADMIN_CREATE, WORKFLOW_PAYLOAD),
    "GET /api/workflows/{workflow_id}": op(API_STAFF_READ, workflow_id=Ref("workflow")),
    "PUT /api/workflows/{workflow_id}": op(
        API_ADMIN_WRITE, WORKFLOW_PAYLOAD, workflow_id=Ref("workflow")
    ),
    "GET /api/workflow-runs": op(API_STAFF_READ),
    "GET /api/workflow-runs/{run_id}": op(API_STAFF_READ, run_id=Ref("workflow_run")),
    # The run failed: the admin's replay runs it again (200); an agent may not.
    "POST /api/workflow-runs/{run_id}/replay": op(
        E(401, 404, 404, 403, 200), run_id=Ref("workflow_run")
    ),
    # [anchor: INTEGRATIONS-API operations]
    # Settings → Integrations: configuration, so even reading it is for admins (agents 403,
    # clients 404), as on the page.
    "GET /api/integrations": op(API_ADMIN_READ),
    "PUT /api/integrations": op(
        API_ADMIN_WRITE, {"github_api_url": "https://api.github.com", "github_repository": "a/b"}
    ),
    "PATCH /api/integrations": op(API_ADMIN_WRITE, {"github_repository": "a/b"}),
    # ------------------------------------------------------------ API: notifications
    # Every signed-in user has their own (test_notifications_are_private checks "own").
    "GET /api/notifications": op(API_READ),
    "POST /api/notifications/read": op(API_READ, {}),
    # [anchor: WEBHOOKS routes]
    # ------------------------------------------------------------ webhooks (admin configuration)
    "webhooks:endpoint_list": Route(checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM))),
    # Posted without a name or URL: the edit form is invalid, the page comes back with 400.
    "webhooks:endpoint_detail": Route(
        checks=(get(ADMIN_ONLY), post_form(ADMIN_INVALID_FORM)),
        kwargs={"pk": Ref("webhook_endpoint")},
    ),
    "webhooks:endpoint_delete": Route(
        checks=(
            get(E(LOGIN, 404, 404, 403, 405)),
            post(E(LOGIN, 404, 404, 403, Redirect("/app/settings/webhooks/", exact=True))),
        ),
        kwargs={"pk": Ref("webhook_endpoint")},
    ),
    "webhooks:delivery_list": Route(checks=(get(ADMIN_ONLY),)),
    "webhooks:delivery_detail": Route(
        checks=(get(ADMIN_ONLY),), kwargs={"pk": Ref("webhook_delivery")}
    ),
    # The delivery failed: the admin's replay queues it again and shows the delivery.
    "webhooks:delivery_replay": Route(
        checks=(
            get(E(LOGIN, 404, 404, 403, 405)),
            post(E(LOGIN, 404, 404, 403, Redirect("/app/settings/webhooks/deliveries/"))),
        ),
        kwargs={"pk": Ref("webhook_delivery")},
    ),
    # Staff-only resources (404 for clients); changing them is for admins (403 for agents).
    "GET /api/webhooks": op(API_STAFF_READ),
    "POST /api/webhooks": op(API_ADMIN_CREATE, WEBHOOK_PAYLOAD),
    "GET /api/webhooks/{endpoint_id}": op(API_STAFF_READ, endpoint_id=Ref("webhook_endpoint")),
    "PATCH /api/webhooks/{endpoint_id}": op(
        API_ADMIN_WRITE, {"name": "Renamed"}, endpoint_id=Ref("webhook_endpoint")
    ),
    "DELETE /api/webhooks/{endpoint_id}": op(
        E(401, 404, 404, 403, 204), endpoint_id=Ref("webhook_endpoint")
    ),
    "POST /api/webhooks/{endpoint_id}/rotate-secret": op(
        API_ADMIN_WRITE, endpoint_id=Ref("webhook_endpoint")
    ),
    "GET /api/webhook-deliveries": op(API_STAFF_READ),
    "GET /api/webhook-deliveries/{delivery_id}": op(
        API_STAFF_READ, delivery_id=Ref("webhook_delivery")
    ),
    "POST /api/webhook-deliveries/{delivery_id}/replay": op(
        E(401, 404, 404, 403, 202), delivery_id=Ref("webhook_delivery")
    ),
    # [anchor: IMPORTS-API operations]
    # ------------------------------------------------------------ API: HubSpot CSV import
    # Staff only, like the import pages: for clients imports do not exist (404), for every
    # operation. Posted without a file the upload is invalid (422); the job here has errors,
    # so confirming it is refused for its state (409).
    "GET /api/imports": op(API_STAFF_READ),
    "POST /api/imports": op(E(401, 404, 404, 422, 422), {}),
    "GET /api/imports/{import_id}": op(API_STAFF_READ, import_id=Ref("import_job")),
    "POST /api/imports/{import_id}/confirm": op(
        E(401, 404, 404, 409, 409), import_id=Ref("import_job")
    ),
    # [anchor: ACCOUNTS-API operations]
    # ------------------------------------------------------------ API: users, teams, invitations
    # Staff read users and teams; admins change them (agents 403, clients 404), as on the
    # Settings → Users and Teams pages.
    "GET /api/users": op(API_STAFF_READ),
    "GET /api/users/{user_id}": op(API_STAFF_READ, user_id=Ref("agent")),
    "PATCH /api/users/{user_id}": op(
        API_ADMIN_WRITE, {"full_name": "Renamed agent"}, user_id=Ref("agent")
    ),
    "GET /api/teams": op(API_STAFF_READ),
    "POST /api/teams": op(API_ADMIN_CREATE, {"name": "Matrix API team"}),
    "GET /api/teams/{team_id}": op(API_STAFF_READ, team_id=Ref("team")),
    "PATCH /api/teams/{team_id}": op(
        API_ADMIN_WRITE, {"name": "Renamed team"}, team_id=Ref("team")
    ),
    # Invitations are user administration (admins); a client admin may also invite colleagues
    # of their own company, as on the portal (a client member may not: 403).
    "GET /api/invitations": op(E(401, 404, 404, 403, 200)),
    "POST /api/invitations": op(
        E(401, 201, 403, 403, 201),
        {
            "email": "colleague@acme-dental.com",
            "role": "client",
            "company_id": Ref("company"),
            "client_role": "member",
        },
    ),
    "POST /api/invitations/{invitation_id}/revoke": op(
        API_ADMIN_WRITE, invitation_id=Ref("invitation")
    ),
    "POST /api/invitations/{invitation_id}/resend": op(
        E(401, 404, 404, 403, 201), {}, invitation_id=Ref("invitation")
    ),
    # [anchor: PARTNER-PROGRAM routes]
    # ------------------------------------------------------------ partner program pages
    # Managers and admins (agents 403, clients 404): standing, accounts, settings, import.
    # Agents read and record only their own activities and read their own certifications.
    # Settings pages: managers read, only admins post (the matrix's admin posts an empty
    # form: 400).
    "partner_program:standing": Route(checks=(get(MANAGER_ONLY),)),
    "partner_program:points_history": Route(checks=(get(MANAGER_ONLY),)),
    "partner_program:account_list": Route(checks=(get(MANAGER_ONLY),)),
    "partner_program:account_create": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))
    ),
    # No action posted: nothing changes, the page is shown again.
    "partner_program:account_detail": Route(
        checks=(get(MANAGER_ONLY), post(MANAGER_ONLY)), kwargs={"pk": Ref("pp_account")}
    ),
    "partner_program:account_edit": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM)),
        kwargs={"pk": Ref("pp_account")},
    ),
    # Without a reason and the confirmation the form comes back (400) and nothing ends.
    "partner_program:end_services": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM)),
        kwargs={"pk": Ref("pp_account")},
    ),
    "partner_program:activity_list": Route(checks=(get(STAFF), post_form(STAFF_INVALID_FORM))),
    # The activity is the agent's own (recorded by hand): the agent may delete it.
    "partner_program:activity_delete": Route(
        checks=(
            get(STAFF_POST_ONLY_GET),
            post(
                E(
                    LOGIN,
                    404,
                    404,
                    Redirect("/app/partner/activities/", exact=True),
                    Redirect("/app/partner/activities/", exact=True),
                )
            ),
        ),
        kwargs={"pk": Ref("pp_activity")},
    ),
    "partner_program:certification_list": Route(
        checks=(get(STAFF), post_form(E(LOGIN, 404, 404, 403, 400)))
    ),
    # The agent's own certification: they read it in the list, only managers change it.
    "partner_program:certification_edit": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM)),
        kwargs={"pk": Ref("pp_certification")},
    ),
    "partner_program:import_upload": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))
    ),
    # A token nobody uploaded: not found for the roles that may import.
    "partner_program:import_preview": Route(
        checks=(get(E(LOGIN, 404, 404, 403, 404)), post(E(LOGIN, 404, 404, 403, 404))),
        kwargs={"token": "accounts-" + "0" * 32},
    ),
    "partner_program:rates": Route(checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))),
    "partner_program:currencies": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))
    ),
    "partner_program:catalogue": Route(checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))),
    "partner_program:activity_type_edit": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM)),
        kwargs={"pk": Ref("pp_activity_type")},
    ),
    "partner_program:mappings": Route(checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))),
    "partner_program:mapping_remove": Route(
        checks=(
            get(E(LOGIN, 404, 404, 403, 405)),
            post(E(LOGIN, 404, 404, 403, Redirect("/app/partner/settings/mappings/", exact=True))),
        ),
        kwargs={"pk": Ref("pp_mapping")},
    ),
    "partner_program:tier_table": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))
    ),
    "partner_program:tier_edit": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM)),
        kwargs={"pk": Ref("pp_tier")},
    ),
    "partner_program:program_settings": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))
    ),
    # [anchor: ACCREDITATIONS routes]
    # Accreditations and complaints: managers and admins (agents 403, clients 404); the
    # accreditation catalogue and settings: managers read, only admins post. A page posted
    # without an action is shown again; a form posted empty comes back with 400.
    "partner_program:accreditation_list": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))
    ),
    "partner_program:accreditation_detail": Route(
        checks=(get(MANAGER_ONLY), post(MANAGER_ONLY)), kwargs={"pk": Ref("pp_accreditation")}
    ),
    "partner_program:complaint_list": Route(checks=(get(MANAGER_ONLY),)),
    "partner_program:complaint_create": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))
    ),
    "partner_program:complaint_detail": Route(
        checks=(get(MANAGER_ONLY), post(MANAGER_ONLY)), kwargs={"pk": Ref("pp_complaint")}
    ),
    "partner_program:accreditation_type_list": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM))
    ),
    "partner_program:accreditation_type_edit": Route(
        checks=(get(MANAGER_ONLY), post_form(MANAGER_INVALID_FORM)),
        kwargs={"pk": Ref("pp_accreditation_type")},
    ),
    # [anchor: PARTNER-DASHBOARD routes]
    # ------------------------------------------------------------ partner dashboard
    # Managers and admins only; for agents (like client users) every tab, export and panel is
    # the 404 of a missing page. The HubSpot team is edited by admins (managers 403).
    "dashboard:alerts": Route(checks=(get(DASHBOARD),)),
    # No key posted: nothing is put away, back to the alerts with a message.
    "dashboard:alert_dismiss": Route(
        checks=(
            get(E(LOGIN, 404, 404, 404, 405)),
            post(E(LOGIN, 404, 404, 404, Redirect("/app/partner/dashboard/", exact=True))),
        )
    ),
    "dashboard:clients": Route(checks=(get(DASHBOARD),)),
    "dashboard:clients_export": Route(checks=(get(DASHBOARD),)),
    "dashboard:mrr_history": Route(checks=(get(DASHBOARD),)),
    "dashboard:client_details": Route(checks=(get(DASHBOARD),), kwargs={"pk": Ref("pp_account")}),
    "dashboard:client_portal": Route(checks=(get(DASHBOARD),), kwargs={"pk": Ref("pp_account")}),
    # Without a reason and the confirmation the form comes back (400) and nothing ends.
    "dashboard:client_end_services": Route(
        checks=(get(DASHBOARD), post_form(DASHBOARD_INVALID_FORM)),
        kwargs={"pk": Ref("pp_account")},
    ),
    "dashboard:renewals": Route(checks=(get(DASHBOARD),)),
    "dashboard:renewals_export": Route(checks=(get(DASHBOARD),)),
    "dashboard:renewals_all": Route(checks=(get(DASHBOARD),)),
    "dashboard:renewals_all_export": Route(checks=(get(DASHBOARD),)),
    # No action posted: nothing changes, the panel is shown again.
    "dashboard:renewal_details": Route(
        checks=(get(DASHBOARD), post_form(DASHBOARD)), kwargs={"pk": Ref("dash_renewal")}
    ),
    # Managers read the renewal settings, admins change them (the matrix's admin posts an empty
    # form: 400).
    "dashboard:renewal_settings": Route(checks=(get(DASHBOARD), post_form(DASHBOARD_INVALID_FORM))),
    "dashboard:tier": Route(checks=(get(DASHBOARD),)),
    "dashboard:team": Route(checks=(get(DASHBOARD),)),
    "dashboard:team_edit": Route(
        checks=(get(DASHBOARD), post_form(DASHBOARD_INVALID_FORM)),
        kwargs={"role": "channel_consultant"},
    ),
    # [anchor: PARTNER-PROGRAM-API operations]
    # ------------------------------------------------------------ API: partner program
    # As on the pages: managers and admins (agents 403, clients 404, refused by the gate
    # before the body is read); agents read and record their own activities and read their
    # own certifications and the catalogue; the program's tables are changed by admins only.
    "GET /api/partner/accounts": op(API_MANAGER_READ),
    "POST /api/partner/accounts": op(
        API_MANAGER_CREATE,
        {
            "company_id": Ref("company"),
            "hub_id": "7700202",
            "name": "Matrix portal",
            "opened_on": "2021-01-01",
        },
    ),
    "GET /api/partner/accounts/{account_id}": op(API_MANAGER_READ, account_id=Ref("pp_account")),
    "PATCH /api/partner/accounts/{account_id}": op(
        API_MANAGER_WRITE, {"name": "Renamed portal"}, account_id=Ref("pp_account")
    ),
    "GET /api/partner/accounts/{account_id}/points": op(
        API_MANAGER_READ, account_id=Ref("pp_account")
    ),
    "POST /api/partner/accounts/{account_id}/end-services": op(
        API_MANAGER_WRITE, {"reason": "The client moved on"}, account_id=Ref("pp_account")
    ),
    "GET /api/partner/accounts/{account_id}/subscriptions": op(
        API_MANAGER_READ, account_id=Ref("pp_account")
    ),
    "POST /api/partner/accounts/{account_id}/subscriptions": op(
        API_MANAGER_CREATE,
        {
            "product": "Sales Hub Starter",
            "mrr": "20.00",
            "currency": "USD",
            "start_date": "2024-02-01",
        },
        account_id=Ref("pp_account"),
    ),
    "GET /api/partner/subscriptions/{subscription_id}": op(
        API_MANAGER_READ, subscription_id=Ref("pp_subscription")
    ),
    "PATCH /api/partner/subscriptions/{subscription_id}": op(
        API_MANAGER_WRITE, {"seats": 3}, subscription_id=Ref("pp_subscription")
    ),
    "POST /api/partner/subscriptions/{subscription_id}/mrr": op(
        API_MANAGER_WRITE,
        {"mrr": "1200.00", "effective_on": "2024-06-01"},
        subscription_id=Ref("pp_subscription"),
    ),
    "POST /api/partner/subscriptions/{subscription_id}/cancel": op(
        API_MANAGER_WRITE, subscription_id=Ref("pp_subscription")
    ),
    "POST /api/partner/subscriptions/{subscription_id}/end": op(
        API_MANAGER_WRITE, {"ended_on": "2024-07-01"}, subscription_id=Ref("pp_subscription")
    ),
    "GET /api/partner/accounts/{account_id}/relationships": op(
        API_MANAGER_READ, account_id=Ref("pp_account")
    ),
    "POST /api/partner/accounts/{account_id}/relationships": op(
        API_MANAGER_CREATE,
        {"kind": "sourced", "started_on": "2024-01-01"},
        account_id=Ref("pp_account"),
    ),
    "POST /api/partner/relationships/{relationship_id}/end": op(
        API_MANAGER_WRITE,
        {"ended_on": "2024-08-01", "note": "Handed over"},
        relationship_id=Ref("pp_relationship"),
    ),
    "GET /api/partner/accounts/{account_id}/managing-partners": op(
        API_MANAGER_READ, account_id=Ref("pp_account")
    ),
    "POST /api/partner/accounts/{account_id}/managing-partners": op(
        API_MANAGER_CREATE,
        {"count": 2, "effective_from": "2024-01-01"},
        account_id=Ref("pp_account"),
    ),
    "GET /api/partner/accounts/{account_id}/connections": op(
        API_MANAGER_READ, account_id=Ref("pp_account")
    ),
    "PUT /api/partner/accounts/{account_id}/connections/{employee_id}": op(
        API_MANAGER_WRITE,
        {"in_partner_account": True, "client_assigned": True, "in_client_account": False},
        account_id=Ref("pp_account"),
        employee_id=Ref("agent"),
    ),
    "GET /api/partner/activities": op(API_STAFF_READ),
    # An agent records their own activity (the employee defaults to the caller).
    "POST /api/partner/activities": op(
        E(401, 404, 404, 201, 201),
        {
            "account_id": Ref("pp_account"),
            "activity_type_id": Ref("pp_activity_type"),
            "occurred_on": "2024-06-03",
        },
    ),
    "GET /api/partner/activity-totals": op(API_STAFF_READ),
    "GET /api/partner/activities/{activity_id}": op(API_STAFF_READ, activity_id=Ref("pp_activity")),
    "DELETE /api/partner/activities/{activity_id}": op(
        E(401, 404, 404, 204, 204), activity_id=Ref("pp_activity")
    ),
    "GET /api/partner/certifications": op(API_STAFF_READ),
    "POST /api/partner/certifications": op(
        API_MANAGER_CREATE,
        {"employee_id": Ref("agent"), "name": "Sales Software", "issued_on": "2024-02-01"},
    ),
    "GET /api/partner/certifications/{certification_id}": op(
        API_STAFF_READ, certification_id=Ref("pp_certification")
    ),
    "PATCH /api/partner/certifications/{certification_id}": op(
        API_MANAGER_WRITE, {"expires_on": "2031-01-01"}, certification_id=Ref("pp_certification")
    ),
    "GET /api/partner/rates": op(API_MANAGER_READ),
    "POST /api/partner/rates": op(
        API_ADMIN_CREATE,
        {
            "effective_from": "2031-01-01",
            "sourced": "5",
            "assisted": "3",
            "managed": "1",
            "growth_multiplier": "2",
        },
    ),
    "GET /api/partner/currencies": op(API_MANAGER_READ),
    "POST /api/partner/currencies": op(
        API_ADMIN_CREATE,
        {"currency": "CHF", "amount_per_100_usd": "90", "effective_from": "2031-01-01"},
    ),
    "GET /api/partner/tiers": op(API_MANAGER_READ),
    "POST /api/partner/tiers": op(API_ADMIN_CREATE, {"name": "Matrix API tier", "order": 10}),
    "PATCH /api/partner/tiers/{tier_id}": op(
        API_ADMIN_WRITE, {"min_total_points": 20}, tier_id=Ref("pp_tier")
    ),
    "DELETE /api/partner/tiers/{tier_id}": op(E(401, 404, 404, 403, 204), tier_id=Ref("pp_tier")),
    "GET /api/partner/tier-reviews": op(API_MANAGER_READ),
    "POST /api/partner/tier-reviews": op(
        API_ADMIN_CREATE, {"reviewed_on": "2024-01-01", "tier_id": Ref("pp_tier")}
    ),
    "GET /api/partner/activity-types": op(API_STAFF_READ),
    "POST /api/partner/activity-types": op(
        API_ADMIN_CREATE, {"tool": "sales", "name": "Matrix activity"}
    ),
    "PATCH /api/partner/activity-types/{activity_type_id}": op(
        API_ADMIN_WRITE, {"order": 3}, activity_type_id=Ref("pp_activity_type")
    ),
    "GET /api/partner/mappings": op(API_MANAGER_READ),
    "POST /api/partner/mappings": op(
        API_ADMIN_CREATE,
        {"activity_type_id": Ref("pp_activity_type"), "task_category_id": Ref("portal_category")},
    ),
    "DELETE /api/partner/mappings/{mapping_id}": op(
        E(401, 404, 404, 403, 204), mapping_id=Ref("pp_mapping")
    ),
    "GET /api/partner/settings": op(API_MANAGER_READ),
    "PATCH /api/partner/settings": op(API_ADMIN_WRITE, {"lapse_alert_days": 40}),
    "GET /api/partner/standing": op(API_MANAGER_READ),
    "GET /api/partner/points": op(API_MANAGER_READ),
    # Posted without a file the upload is invalid (422); a token nobody uploaded is a 404.
    "POST /api/partner/imports": op(E(401, 404, 404, 403, 422), {}),
    "POST /api/partner/imports/{token}/confirm": op(
        E(401, 404, 404, 403, 404), token="accounts-" + "0" * 32
    ),
    # [anchor: ACCREDITATIONS-API operations]
    # As on the pages (the gate refuses agents and clients before the body is read); the
    # catalogue and the settings are changed by admins only. A move the accreditation's or the
    # complaint's state does not allow is the service's 409.
    "GET /api/partner/accreditations": op(API_MANAGER_READ),
    "POST /api/partner/accreditations": op(
        API_MANAGER_CREATE, {"accreditation_type_id": Ref("pp_accreditation_type")}
    ),
    "GET /api/partner/accreditations/{accreditation_id}": op(
        API_MANAGER_READ, accreditation_id=Ref("pp_accreditation")
    ),
    "GET /api/partner/accreditations/{accreditation_id}/evaluations": op(
        API_MANAGER_READ, accreditation_id=Ref("pp_accreditation")
    ),
    "POST /api/partner/accreditations/{accreditation_id}/issue": op(
        API_MANAGER_WRITE, {"issued_on": "2024-02-01"}, accreditation_id=Ref("pp_application")
    ),
    "POST /api/partner/accreditations/{accreditation_id}/revoke": op(
        API_MANAGER_WRITE, {"reason": "Matrix"}, accreditation_id=Ref("pp_accreditation")
    ),
    "POST /api/partner/accreditations/{accreditation_id}/lapse": op(
        API_MANAGER_WRITE, {"reason": "Matrix"}, accreditation_id=Ref("pp_accreditation")
    ),
    # Held, not under board review: the board has nothing to renew (409).
    "POST /api/partner/accreditations/{accreditation_id}/board-renewal": op(
        E(401, 404, 404, 403, 409),
        {"decided_on": "2024-02-01"},
        accreditation_id=Ref("pp_accreditation"),
    ),
    "GET /api/partner/marks": op(API_MANAGER_READ),
    "GET /api/partner/accreditation-types": op(API_MANAGER_READ),
    "POST /api/partner/accreditation-types": op(
        API_ADMIN_CREATE, {"name": "Matrix accreditation (API)"}
    ),
    "PATCH /api/partner/accreditation-types/{accreditation_type_id}": op(
        API_ADMIN_WRITE, {"order": 4}, accreditation_type_id=Ref("pp_accreditation_type")
    ),
    "GET /api/partner/accreditation-settings": op(API_MANAGER_READ),
    "PATCH /api/partner/accreditation-settings": op(API_ADMIN_WRITE, {"grace_period_days": 100}),
    "GET /api/partner/complaints": op(API_MANAGER_READ),
    "POST /api/partner/complaints": op(
        API_MANAGER_CREATE,
        {"summary": "Matrix complaint (API)", "source": "customer", "company_id": Ref("company")},
    ),
    "GET /api/partner/complaints/{complaint_id}": op(
        API_MANAGER_READ, complaint_id=Ref("pp_complaint")
    ),
    "PATCH /api/partner/complaints/{complaint_id}": op(
        API_MANAGER_WRITE, {"summary": "Renamed complaint"}, complaint_id=Ref("pp_complaint")
    ),
    "POST /api/partner/complaints/{complaint_id}/advance": op(
        API_MANAGER_WRITE, {"reason": "No reply"}, complaint_id=Ref("pp_complaint")
    ),
    "POST /api/partner/complaints/{complaint_id}/resolve": op(
        API_MANAGER_WRITE, {"notes": "Refunded"}, complaint_id=Ref("pp_complaint")
    ),
    # Open: there is nothing to reopen (409).
    "POST /api/partner/complaints/{complaint_id}/reopen": op(
        E(401, 404, 404, 403, 409), {"reason": "Again"}, complaint_id=Ref("pp_complaint")
    ),
    "POST /api/partner/complaints/{complaint_id}/waiting": op(
        API_MANAGER_WRITE, {"waiting_on": "customer"}, complaint_id=Ref("pp_complaint")
    ),
    "POST /api/partner/complaints/{complaint_id}/finding": op(
        API_MANAGER_WRITE,
        {"fault": True, "decision_date": "2024-06-01"},
        complaint_id=Ref("pp_board_complaint"),
    ),
    "PATCH /api/partner/complaints/{complaint_id}/steps/{step_id}": op(
        API_MANAGER_WRITE,
        {"notes": "Matrix"},
        complaint_id=Ref("pp_complaint"),
        step_id=Ref("pp_complaint_step"),
    ),
}

# Apps that keep their routes in tests/matrix/<app>.py.
for _app_routes in (
    crm_records_routes.ROUTES,
    knowledge_routes.ROUTES,
    satisfaction_routes.ROUTES,
    reports_routes.ROUTES,
    tickets_email_routes.ROUTES,
    tickets_portal_routes.ROUTES,
):
    assert not set(_app_routes) & set(MATRIX), set(_app_routes) & set(MATRIX)
    MATRIX.update(_app_routes)


# ---------------------------------------------------------------- route enumeration
# (the walker, shared with the query budgets, is tests/routes.py)


def test_matrix_covers_every_route():
    routes = enumerate_routes()
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without a permission matrix entry: {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def test_matrix_entries_are_complete():
    for key, route in MATRIX.items():
        assert route.checks, key
        for check in route.checks:
            assert tuple(check.expect) == ACTORS, key
        if route.owned is not None:
            assert isinstance(route.kwargs[route.owned], Ref), key


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def contact(admin, company):
    return services.contact_create(
        by=admin,
        first_name="Amal",
        last_name="Owned",
        email="amal@acme-dental.com",
        company=company,
    )


@pytest.fixture
def other_contact(admin, other_company):
    return services.contact_create(
        by=admin,
        first_name="Olga",
        last_name="Foreign",
        email="olga@other.example",
        company=other_company,
    )


@pytest.fixture
def line_item(deal):
    return deal.line_items.get()


@pytest.fixture
def stage(email_pipeline):
    return email_pipeline.stages.order_by("order", "id").first()


@pytest.fixture
def target_stage(email_pipeline):
    """An open stage the deal can move to without required properties."""
    return Stage.objects.get(pipeline=email_pipeline, name="Qualified")


@pytest.fixture
def custom_property(admin):
    return services.property_create(by=admin, object_type="deal", label="Matrix note", type="text")


@pytest.fixture
def invitation(admin):
    invitation, _token = invitation_create(by=admin, email="invitee@agency.test", role=Role.AGENT)
    return invitation


@pytest.fixture
def agent_token(agent):
    token, _plain = api_token_create(user=agent, name="agent token")
    return token


@pytest.fixture
def ticket_pipeline(db):
    """Website Creation: its entry stage needs no property, so a ticket opens with a name."""
    return Pipeline.objects.get(object_type="ticket", name="Website Creation")


@pytest.fixture
def entry_stage(ticket_pipeline):
    return ticket_pipeline.stages.get(is_entry=True)


@pytest.fixture
def ticket_target_stage(ticket_pipeline):
    return ticket_pipeline.stages.get(name="Working On The Website")


@pytest.fixture
def ticket(admin, company, ticket_pipeline, entry_stage):
    return ticket_services.ticket_create(
        by=admin,
        pipeline=ticket_pipeline,
        stage=entry_stage,
        company=company,
        name="Acme website",
    )


@pytest.fixture
def saved_view(agent):
    return SavedView.objects.create(user=agent, name="Mine", query="owner=me")


@pytest.fixture
def sla_policy(ticket_pipeline):
    return SlaPolicy.objects.filter(pipeline=ticket_pipeline).first()


@pytest.fixture
def calendar(db):
    return Calendar.objects.get(is_default=True)


@pytest.fixture
def holiday(admin, calendar):
    return sla_services.holiday_add(
        by=admin, calendar=calendar, date=dt.date(2031, 1, 1), name="New year"
    )


@pytest.fixture
def team(agent):
    team = Team.objects.create(name="Matrix team", lead=agent)
    team.members.add(agent)
    return team


@pytest.fixture
def workflow(admin, email_pipeline):
    workflow = automation_services.workflow_save(
        by=admin,
        name="Matrix workflow",
        trigger="deal_stage_entered",
        trigger_config={"pipeline_id": email_pipeline.pk, "stage_kind": "won"},
    )
    automation_services.action_add(
        by=admin,
        workflow=workflow,
        type="notify",
        config={"user_ids": [admin.pk], "title": "Won: {{ deal.name }}"},
    )
    return workflow


@pytest.fixture
def workflow_run(workflow, deal):
    """A failed run of ``workflow`` for a stage change of ``deal`` (replaying it succeeds)."""
    with transaction.atomic():
        event = record_event(
            kind="deal.stage_changed",
            subject=deal,
            company_id=deal.company_id,
            data={"pipeline_id": deal.pipeline_id, "to_stage_id": deal.stage_id, "kind": "won"},
        )
    return WorkflowRun.objects.create(
        workflow=workflow,
        event=event,
        status=RunStatus.FAILED,
        attempts=5,
        error="Step 1 (Notify users or a team): boom",
        finished_at=timezone.now(),
    )


# ---------------------------------------------------------------- portal fixtures


@pytest.fixture
def portal_task(client_user):
    """A task request of ``company`` in triage, submitted by its client admin."""
    from partnerdesk.portal import services as portal_services
    from partnerdesk.portal.models import TaskCategory

    return portal_services.task_submit(
        by=client_user,
        title="Matrix task",
        category=TaskCategory.objects.get(name="HubSpot Administration"),
    )


# [anchor: PORTAL-CLIENT fixtures]


@pytest.fixture
def portal_attachment(portal_task, client_user, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from partnerdesk.portal import services as portal_services

    settings.PARTNERDESK_PRIVATE_ROOT = tmp_path
    message = portal_services.message_post(
        by=client_user,
        task=portal_task,
        body="See the file.",
        files=[SimpleUploadedFile("export.csv", b"a,b\n1,2\n", "text/csv")],
    )
    return message.attachments.get()


@pytest.fixture
def portal_plan(db):
    from partnerdesk.portal.models import Plan

    return Plan.objects.get(name="Duo")


# [anchor: PORTAL-BOOKING fixtures]


def _consultation_task(client_user, title: str):
    from partnerdesk.portal import services as portal_services
    from partnerdesk.portal.models import TaskCategory

    return portal_services.task_submit(
        by=client_user, title=title, category=TaskCategory.objects.get(is_consultation=True)
    )


@pytest.fixture
def booking_task(client_user):
    """A consultation task of ``company`` without a session (the admin consults: the
    consultants team has no member, so admins and managers do)."""
    return _consultation_task(client_user, "Matrix consultation")


@pytest.fixture
def booked_session(client_user, admin):
    """A session booked on another consultation task of ``company``."""
    from partnerdesk.portal import booking

    task = _consultation_task(client_user, "Matrix booked consultation")
    start = booking.free_slots()[2].starts_at  # well inside the window
    return booking.session_book(by=client_user, task=task, starts_at=start)


@pytest.fixture
def booking_slot(admin):
    """A free slot, as posted to the pages and the API: its ``pk`` is the ISO start."""
    from types import SimpleNamespace

    from partnerdesk.portal import booking

    return SimpleNamespace(pk=booking.free_slots()[-3].starts_at.isoformat())


# [anchor: TASKDESK fixtures]

# [anchor: PORTAL-API fixtures]


@pytest.fixture
def portal_category(db):
    from partnerdesk.portal.models import TaskCategory

    return TaskCategory.objects.get(name="HubSpot Administration")


# [anchor: IMPORTS-API fixtures]


@pytest.fixture
def import_job(admin):
    """An uploaded file with errors (no Record ID column): nothing to import, no file kept."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from partnerdesk.crm import importing

    return importing.import_create(
        by=admin, uploaded_file=SimpleUploadedFile("matrix.csv", b"Company name\nAcme\n")
    )


# [anchor: PARTNER-PROGRAM fixtures]


@pytest.fixture
def pp_account(admin, company):
    """A HubSpot account of ``company`` with a subscription, managed."""
    from partnerdesk.partner_program import services as pp_services

    account = pp_services.account_create(
        by=admin,
        company=company,
        hub_id="7700101",
        name="Acme portal",
        opened_on=dt.date(2020, 1, 1),
    )
    pp_services.subscription_create(
        by=admin,
        account=account,
        product="Marketing Hub Professional",
        mrr="1000",
        currency="USD",
        start_date=dt.date(2024, 1, 1),
    )
    return account


@pytest.fixture
def pp_subscription(pp_account):
    return pp_account.subscriptions.get()


@pytest.fixture
def pp_relationship(admin, pp_account):
    """An open managed relationship of ``pp_account``."""
    from partnerdesk.partner_program import services as pp_services

    return pp_services.relationship_add(
        by=admin, account=pp_account, kind="managed", started_on=dt.date(2024, 1, 1)
    )


@pytest.fixture
def pp_activity(agent, pp_account):
    """A qualifying activity the agent recorded by hand."""
    from partnerdesk.partner_program import services as pp_services
    from partnerdesk.partner_program.models import ActivityType

    return pp_services.activity_record(
        by=agent,
        account=pp_account,
        employee=agent,
        activity_type=ActivityType.objects.get(key="marketing-blog-post"),
        occurred_on=dt.date(2024, 6, 3),
    )


@pytest.fixture
def pp_certification(admin, agent):
    from partnerdesk.partner_program import services as pp_services

    return pp_services.certification_add(
        by=admin, employee=agent, name="Inbound Marketing", issued_on=dt.date(2024, 1, 10)
    )


@pytest.fixture
def pp_activity_type(db):
    from partnerdesk.partner_program.models import ActivityType

    return ActivityType.objects.get(key="operations-workflow")


@pytest.fixture
def pp_mapping(admin, pp_activity_type, portal_category):
    from partnerdesk.partner_program import services as pp_services

    return pp_services.mapping_add(
        by=admin, activity_type=pp_activity_type, task_category=portal_category
    )


@pytest.fixture
def pp_tier(admin):
    """A tier no review credited (so it may be deleted)."""
    from partnerdesk.partner_program import services as pp_services

    return pp_services.tier_create(by=admin, name="Matrix tier", order=9, min_total_points=10)


# [anchor: PARTNER-DASHBOARD fixtures]


@pytest.fixture
def dash_renewal(admin, company):
    """A subscription renewing on 2030-03-01, on an account of ``company`` of its own."""
    from partnerdesk.partner_program import services as pp_services

    account = pp_services.account_create(
        by=admin,
        company=company,
        hub_id="7700301",
        name="Renewing portal",
        opened_on=dt.date(2020, 1, 1),
    )
    return pp_services.subscription_create(
        by=admin,
        account=account,
        product="Sales Hub Professional",
        mrr="500",
        currency="USD",
        start_date=dt.date(2024, 3, 1),
        renewal_date=dt.date(2030, 3, 1),
    )


# [anchor: ACCREDITATIONS fixtures]


@pytest.fixture
def pp_accreditation_type(admin):
    """An accreditation without prerequisites that nobody applied for."""
    from partnerdesk.partner_program import services as pp_services

    return pp_services.accreditation_type_create(by=admin, name="Matrix accreditation")


@pytest.fixture
def pp_application(admin):
    """An application of 1 January 2024 (of its own type, without prerequisites)."""
    from partnerdesk.partner_program import services as pp_services

    kind = pp_services.accreditation_type_create(by=admin, name="Matrix application")
    return pp_services.accreditation_apply(
        by=admin, accreditation_type=kind, applied_on=dt.date(2024, 1, 1)
    )


@pytest.fixture
def pp_accreditation(admin):
    """A held (active) accreditation of its own type, issued on 1 February 2024."""
    from partnerdesk.partner_program import services as pp_services

    kind = pp_services.accreditation_type_create(by=admin, name="Matrix held accreditation")
    application = pp_services.accreditation_apply(
        by=admin, accreditation_type=kind, applied_on=dt.date(2024, 1, 1)
    )
    return pp_services.accreditation_issue(
        by=admin, accreditation=application, issued_on=dt.date(2024, 2, 1)
    )


@pytest.fixture
def pp_complaint(admin, company):
    """An open complaint at its first step, received on 1 January 2024."""
    from partnerdesk.partner_program import services as pp_services

    return pp_services.complaint_open(
        by=admin,
        summary="Matrix complaint",
        source="customer",
        company=company,
        opened_on=dt.date(2024, 1, 1),
    )


@pytest.fixture
def pp_complaint_step(pp_complaint):
    return pp_complaint.steps.get()


@pytest.fixture
def pp_board_complaint(admin):
    """A serious infringement at the review board since 1 January 2024."""
    from partnerdesk.partner_program import services as pp_services

    return pp_services.complaint_open(
        by=admin,
        summary="Matrix serious infringement",
        source="hubspot_cs",
        serious_infringement=True,
        opened_on=dt.date(2024, 1, 1),
    )


# [anchor: WEBHOOKS fixtures]


@pytest.fixture
def webhook_endpoint(admin):
    from partnerdesk.webhooks import services as webhook_services

    endpoint, _secret = webhook_services.endpoint_create(
        by=admin, name="Matrix webhook", url="https://hooks.example.com/matrix", all_events=True
    )
    return endpoint


@pytest.fixture
def webhook_delivery(webhook_endpoint, deal):
    """A failed delivery of ``deal``'s creation (replaying it queues it again)."""
    from partnerdesk.core.models import Event
    from partnerdesk.webhooks.models import Delivery, DeliveryStatus
    from partnerdesk.webhooks.services import body_of

    event = Event.objects.get(kind="deal.created", subject_id=deal.pk)
    return Delivery.objects.create(
        endpoint=webhook_endpoint,
        event=event,
        kind=event.kind,
        body=body_of(event),
        status=DeliveryStatus.FAILED,
        attempts=8,
        last_error="HTTP 500",
    )


def _notification(user, title: str) -> Notification:
    return Notification.objects.create(
        user=user, kind=Kind.WORKFLOW, title=title, url="/app/", dedupe_key=f"matrix:{title}"
    )


def _resolve(value, request):
    if isinstance(value, Ref):
        return request.getfixturevalue(value.fixture).pk
    if isinstance(value, dict):
        return {k: _resolve(v, request) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, request) for v in value]
    return value


def _user(actor, request):
    return None if actor == ANON else request.getfixturevalue(actor)


# Each new test Client loads the middleware again, and WhiteNoise's middleware rescans the
# static files when it is created (~30 ms a time, most of this module's run time). The handler
# holds no per-client state (cookies live on the Client), so one is shared by the matrix.
_HANDLER = ClientHandler(enforce_csrf_checks=False)


def _client(actor, request, *, token: bool) -> Client:
    user = _user(actor, request)
    if user is None:
        client = Client()
    elif token:
        client = request.getfixturevalue("api_client_for")(user)
    else:
        client = login(user)
    client.handler = _HANDLER
    return client


def _url(key: str, route: Route, kwargs: dict) -> tuple[str, str | None]:
    """(url, method) for a route; API operations carry their method in the key."""
    if route.is_api_operation:
        method, path = key.split(" ", 1)
        return path.format(**kwargs), method
    return reverse(key, kwargs=kwargs), None


def _call(client: Client, method: str, url: str, data, *, api_op: bool):
    if api_op:
        if data is None:
            return client.generic(method, url)
        return client.generic(method, url, json.dumps(data), content_type="application/json")
    if method == "GET":
        return client.get(url)
    return client.post(url, data or {})


def _request(key, route, check, actor, request, kwargs_override=None):
    kwargs = {k: _resolve(v, request) for k, v in route.kwargs.items()}
    kwargs.update(kwargs_override or {})
    url, method = _url(key, route, kwargs)
    method = method or check.method
    client = _client(actor, request, token=route.is_api_operation)
    data = _resolve(check.data, request)
    response = _call(client, method, url, data, api_op=route.is_api_operation)
    return method, url, response


def _describe(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" -> {location}" if location else "")


def _assert_expected(expected: Expect, response, *, api_op: bool, context: str):
    if isinstance(expected, Redirect):
        location = response.headers.get("Location", "")
        ok = response.status_code == 302 and (
            location == expected.to if expected.exact else location.startswith(expected.to)
        )
        assert ok, f"{context}: expected {expected}, got {_describe(response)}"
        return
    assert response.status_code == expected, (
        f"{context}: expected {expected}, got {_describe(response)}"
    )
    if api_op and expected >= 400:
        codes = {401: "not_authenticated", 403: "forbidden", 404: "not_found"}
        if expected in codes:
            assert response.json()["code"] == codes[expected], (context, response.content)


MATRIX_CASES = [
    pytest.param(key, index, actor, id=f"{key} {check.method or ''} {actor}".replace("  ", " "))
    for key, route in MATRIX.items()
    for index, check in enumerate(route.checks)
    for actor in ACTORS
]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "check_index", "actor"), MATRIX_CASES)
def test_permission_matrix(key, check_index, actor, request):
    route = MATRIX[key]
    check = route.checks[check_index]
    method, url, response = _request(key, route, check, actor, request)
    _assert_expected(
        check.expect[actor],
        response,
        api_op=route.is_api_operation,
        context=f"{actor} {method} {url}",
    )


# ---------------------------------------------------------------- "not yours" == "missing"

_VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'"X-CSRFToken": "[^"]*"'), '"X-CSRFToken": ""'),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
]


def _shape(response, *, api_op: bool):
    if api_op:
        return response.json()
    body = response.content.decode()
    for pattern, replacement in _VOLATILE:
        body = pattern.sub(replacement, body)
    return response["Content-Type"], body


OWNED_CASES = [
    pytest.param(key, index, id=f"{key} {check.method or ''}".strip())
    for key, route in MATRIX.items()
    if route.owned is not None
    for index, check in enumerate(route.checks)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "check_index"), OWNED_CASES)
def test_other_company_object_looks_like_a_missing_one(key, check_index, request):
    """A client of another company cannot tell a foreign object from a missing id."""
    route = MATRIX[key]
    check = route.checks[check_index]
    api_op = route.is_api_operation
    _m, url, existing = _request(key, route, check, OTHER, request)
    _m, missing_url, missing = _request(
        key, route, check, OTHER, request, kwargs_override={route.owned: MISSING_ID}
    )
    # 404 for records the client's own company may use; 403 where the role is refused first
    # (a staff action): either way the same answer for a foreign id and a missing one.
    expected = check.expect[OTHER]
    assert expected in (403, 404), f"{key}: a foreign object must be refused"
    assert existing.status_code == expected, f"{url}: {_describe(existing)}"
    assert missing.status_code == expected, f"{missing_url}: {_describe(missing)}"
    assert _shape(existing, api_op=api_op) == _shape(missing, api_op=api_op)
    if api_op:
        assert existing.json()["code"] == ("not_found" if expected == 404 else "forbidden")


# ---------------------------------------------------------------- exports and lists


def _browser(user) -> Client:
    client = login(user)
    client.handler = _HANDLER
    return client


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["crm:company_export", "crm:contact_export", "crm:deal_export"])
@pytest.mark.parametrize("actor", [OWN, OTHER])
def test_staff_exports_are_not_found_for_clients(
    name, actor, request, contact, other_contact, deal, other_deal
):
    response = _browser(request.getfixturevalue(actor)).get(reverse(name))
    assert response.status_code == 404
    assert not getattr(response, "streaming", False)
    body = response.content.decode()
    for text in ("Acme", "Other Co", "amal@", "olga@", "mailboxes"):
        assert text not in body


@pytest.mark.django_db
def test_staff_company_export_has_every_company(agent, company, other_company):
    rows = _csv_rows(_browser(agent).get(reverse("crm:company_export")))
    assert {"Acme Dental", "Other Co"} <= {row[1] for row in rows[1:]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "own_email", "foreign_email"),
    [
        (OWN, "amal@acme-dental.com", "olga@other.example"),
        (OTHER, "olga@other.example", "amal@acme-dental.com"),
    ],
)
def test_portal_contact_export_has_only_own_company(
    actor, own_email, foreign_email, request, contact, other_contact
):
    response = _browser(request.getfixturevalue(actor)).get(reverse("portal:contact_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert rows[0] == ["First Name", "Last Name", "Email", "Phone Number", "Job Title"]
    emails = [row[2] for row in rows[1:]]
    assert emails == [own_email]
    assert all(foreign_email not in cell for row in rows for cell in row)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "own", "foreign"),
    [
        ("/api/companies", "company", "other_company"),
        ("/api/contacts", "contact", "other_contact"),
        ("/api/deals", "deal", "other_deal"),
    ],
)
def test_api_lists_hold_only_own_company_rows_for_clients(
    path, own, foreign, request, client_user, api_client_for
):
    own_pk = request.getfixturevalue(own).pk
    foreign_pk = request.getfixturevalue(foreign).pk
    body = api_client_for(client_user).get(path, {"limit": 200}).json()
    ids = [item["id"] for item in body["items"]]
    assert ids == [own_pk]
    assert foreign_pk not in ids
    assert body["count"] == 1


@pytest.mark.django_db
def test_portal_home_shows_only_own_company(client_user, deal, other_deal, contact, other_contact):
    body = _browser(client_user).get(reverse("portal:home")).content.decode()
    assert deal.name in body
    assert contact.email in body
    assert other_deal.name not in body
    assert other_contact.email not in body
    assert "Other Co" not in body


# ---------------------------------------------------------------- automations and notifications

# Routes whose id names an automation record: a missing id is a 404 (web pages and API alike).
AUTOMATION_OBJECT_ROUTES = [
    ("automation:workflow_edit", "pk"),
    ("automation:run_detail", "pk"),
    ("automation:run_replay", "pk"),
    ("GET /api/workflows/{workflow_id}", "workflow_id"),
    ("PUT /api/workflows/{workflow_id}", "workflow_id"),
    ("GET /api/workflow-runs/{run_id}", "run_id"),
    ("POST /api/workflow-runs/{run_id}/replay", "run_id"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "kwarg", "check_index"),
    [
        pytest.param(key, kwarg, index, id=f"{key} {check.method or ''}".strip())
        for key, kwarg in AUTOMATION_OBJECT_ROUTES
        for index, check in enumerate(MATRIX[key].checks)
        if check.expect[ADMIN] != 405
    ],
)
def test_missing_automation_record_is_not_found(key, kwarg, check_index, request):
    route = MATRIX[key]
    check = route.checks[check_index]
    _m, url, response = _request(
        key, route, check, ADMIN, request, kwargs_override={kwarg: MISSING_ID}
    )
    assert response.status_code == 404, f"{url}: {_describe(response)}"
    if route.is_api_operation:
        assert response.json()["code"] == "not_found"
        # An agent gets what the role gets for an existing record: a read of a missing id is a
        # 404; an admin write is refused for the role (403) whether or not the id exists.
        _m, url, response = _request(
            key, route, check, AGENT, request, kwargs_override={kwarg: MISSING_ID}
        )
        expected = 403 if check.expect[AGENT] == 403 else 404
        assert response.status_code == expected, f"agent {url}: {_describe(response)}"


@pytest.mark.django_db
@pytest.mark.parametrize("action_name", ["remove_action", "up", "down"])
def test_workflow_page_refuses_another_workflows_action(action_name, admin, workflow):
    """The action ids posted to a workflow's page must be that workflow's: others are 404."""
    other = automation_services.workflow_save(by=admin, name="Other", trigger="ticket_created")
    foreign = automation_services.action_add(
        by=admin, workflow=other, type="notify", config={"include_owner": True}
    )
    automation_services.action_add(
        by=admin, workflow=other, type="notify", config={"user_ids": [admin.pk]}
    )
    before = list(other.actions.order_by("order", "id").values_list("pk", "order"))
    url = reverse("automation:workflow_edit", kwargs={"pk": workflow.pk})
    for action_id in (foreign.pk, MISSING_ID):
        response = _browser(admin).post(url, {"action": action_name, "action_id": action_id})
        assert response.status_code == 404, action_id
    assert list(other.actions.order_by("order", "id").values_list("pk", "order")) == before
    assert workflow.actions.count() == 1


@pytest.mark.django_db
def test_refused_automation_writes_change_nothing(
    agent, workflow, workflow_run, api_client_for, request
):
    client = api_client_for(agent)
    payload = _resolve(WORKFLOW_PAYLOAD, request)
    assert (
        client.post("/api/workflows", payload, content_type="application/json").status_code == 403
    )
    response = client.put(f"/api/workflows/{workflow.pk}", payload, content_type="application/json")
    assert response.status_code == 403
    assert client.post(f"/api/workflow-runs/{workflow_run.pk}/replay").status_code == 403
    web = _browser(agent)
    response = web.post(
        reverse("automation:workflow_list"),
        {"name": "Agent's workflow", "trigger": "ticket_created", "match": "all"},
    )
    assert response.status_code == 403
    response = web.post(reverse("automation:run_replay", kwargs={"pk": workflow_run.pk}))
    assert response.status_code == 403

    assert not Workflow.objects.filter(name__in=[payload["name"], "Agent's workflow"]).exists()
    workflow.refresh_from_db()
    workflow_run.refresh_from_db()
    assert workflow.name == "Matrix workflow"
    assert [a.type for a in workflow.actions.all()] == ["notify"]
    assert (workflow_run.status, workflow_run.attempts) == (RunStatus.FAILED, 5)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_replay_by_admin_runs_the_failed_run_again(admin, workflow_run, api_client_for):
    body = api_client_for(admin).post(f"/api/workflow-runs/{workflow_run.pk}/replay").json()
    assert body["status"] == "succeeded"
    assert body["attempts"] == 0
    assert Notification.objects.filter(user=admin, title="Won: Acme mailboxes").count() == 1
    # Only a failed run can be replayed: a second replay is a conflict, not a second run.
    again = api_client_for(admin).post(f"/api/workflow-runs/{workflow_run.pk}/replay")
    assert again.status_code == 409
    assert Notification.objects.filter(user=admin, title="Won: Acme mailboxes").count() == 1


NOTIFICATION_PAIRS = [
    pytest.param(OWN, OTHER, id="client-vs-other-client"),
    pytest.param(OWN, AGENT, id="client-vs-agent"),
    pytest.param(AGENT, ADMIN, id="agent-vs-admin"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("owner_a", "owner_b"), NOTIFICATION_PAIRS)
def test_notifications_are_private(owner_a, owner_b, request, api_client_for):
    """User A neither sees nor marks user B's notification, on the pages or through the API."""
    user_a, user_b = request.getfixturevalue(owner_a), request.getfixturevalue(owner_b)
    mine = _notification(user_a, "Mine to read")
    theirs = Notification.objects.create(
        user=user_b,
        kind=Kind.WORKFLOW,
        title="Not yours",
        url="/app/tickets/",
        dedupe_key="matrix:theirs",
    )
    web, api_client = _browser(user_a), api_client_for(user_a)

    # Seen: only A's own.
    page = web.get(reverse("notifications:list")).content.decode()
    assert "Mine to read" in page
    assert "Not yours" not in page
    assert f'value="{theirs.pk}"' not in page
    body = api_client.get("/api/notifications").json()
    assert [item["id"] for item in body["items"]] == [mine.pk]
    assert (body["count"], body["unread"]) == (1, 1)
    badge = web.get(reverse("notifications:badge")).content.decode()
    assert re.search(r'id="unread-count"[^>]*>1<', badge), badge

    # Marking B's id as read (page, and "open" it) does nothing to it, nor to A's own.
    response = web.post(reverse("notifications:mark_read"), {"id": theirs.pk, "open": theirs.pk})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"  # not B's link
    marked = api_client.post(
        "/api/notifications/read", {"ids": [theirs.pk]}, content_type="application/json"
    ).json()
    assert marked == {"marked": 0, "unread": 1}
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read_at is None
    assert mine.read_at is None

    # "Mark all as read" is all of A's, none of B's.
    assert web.post(reverse("notifications:mark_read")).status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None
    body = api_client_for(user_b).get("/api/notifications", {"unread": True}).json()
    assert [item["id"] for item in body["items"]] == [theirs.pk]


@pytest.mark.django_db
def test_marking_a_bogus_id_marks_nothing(client_user, api_client_for):
    """A request naming a notification by an id that is not one must not mean "all of them"
    (the API already behaves so: ``ids`` given, none valid -> nothing marked)."""
    first, second = _notification(client_user, "First"), _notification(client_user, "Second")
    web = _browser(client_user)
    marked = api_client_for(client_user).post(
        "/api/notifications/read", {"ids": [0, 10**15]}, content_type="application/json"
    )
    assert marked.json() == {"marked": 0, "unread": 2}
    for bogus in ("abc", "0", "9" * 25):
        assert web.post(reverse("notifications:mark_read"), {"id": bogus}).status_code == 302
        unread = Notification.objects.filter(pk__in=[first.pk, second.pk], read_at__isnull=True)
        assert unread.count() == 2, f"posting id={bogus!r} marked every notification as read"


WEBHOOK_SECRET = "matrix-webhook-secret"


def _signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def webhook_secret(admin):
    automation_services.integrations_save(
        by=admin,
        github_api_url="https://api.github.com",
        github_repository="agency/product",
        github_webhook_secret=WEBHOOK_SECRET,
    )
    assert IntegrationSettings.load().secret("github_webhook_secret") == WEBHOOK_SECRET


ISSUE_CLOSED = json.dumps(
    {"action": "closed", "issue": {"number": 7}, "repository": {"full_name": "agency/product"}}
).encode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("sha256=" + "0" * 64, id="wrong"),
        pytest.param(_signature(ISSUE_CLOSED, "another-secret"), id="other-secret"),
        pytest.param(_signature(ISSUE_CLOSED)[7:], id="no-prefix"),
        pytest.param(_signature(ISSUE_CLOSED).replace("sha256", "sha1"), id="other-algorithm"),
        pytest.param(_signature(b"{}"), id="signs-another-body"),
    ],
)
@pytest.mark.parametrize("actor", [ANON, AGENT])
def test_github_webhook_refuses_a_bad_signature(webhook_secret, signature, actor, request):
    client = _client(actor, request, token=False)
    headers = {"X-GitHub-Event": "issues"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    response = client.post(
        "/hooks/github/", ISSUE_CLOSED, content_type="application/json", headers=headers
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "bad_signature"


@pytest.mark.django_db
def test_github_webhook_without_a_configured_secret_refuses_everything(admin):
    response = Client().post(
        "/hooks/github/",
        ISSUE_CLOSED,
        content_type="application/json",
        headers={"X-GitHub-Event": "issues", "X-Hub-Signature-256": _signature(ISSUE_CLOSED, "")},
    )
    assert response.status_code == 403
    assert response.json()["code"] == "bad_signature"


@pytest.mark.django_db
def test_github_webhook_accepts_a_signed_call_without_csrf(webhook_secret):
    """GitHub sends no CSRF token: the signature is the authentication."""
    client = Client(enforce_csrf_checks=True)
    ping = b'{"zen": "Keep it logically awesome."}'
    response = client.post(
        "/hooks/github/",
        ping,
        content_type="application/json",
        headers={"X-GitHub-Event": "ping", "X-Hub-Signature-256": _signature(ping)},
    )
    assert (response.status_code, response.json()) == (200, {"ok": True})
    response = client.post(
        "/hooks/github/",
        ISSUE_CLOSED,
        content_type="application/json",
        headers={"X-GitHub-Event": "issues", "X-Hub-Signature-256": _signature(ISSUE_CLOSED)},
    )
    assert (response.status_code, response.json()) == (200, {"ok": True, "tickets": 0})


# ---------------------------------------------------------------- authorise first, always
# (issue 9, point 10) An actor the API refuses because of who they are (anonymous, a client
# on a staff resource, an agent on an admin write) gets that refusal whatever the body says: a
# malformed body must not turn a 401/403/404 into a 422, or a caller learns what the operation
# would accept (and, for lookups in the body, which ids exist) without the right to call it.
# Refusals that depend on the object (a client of another company on a record their own
# company may change) are the tenancy 404 checked above.

UNKNOWN_FIELD = "field_nobody_sends"


def _denied(status) -> bool:
    return not isinstance(status, Redirect) and status in (401, 403, 404)


def _role_denials(route, check):
    """Actors refused for their role: anonymous, or a client when both clients are refused."""
    expect = check.expect
    clients_refused = _denied(expect[OWN]) and _denied(expect[OTHER])
    for actor in ACTORS:
        if not _denied(expect[actor]):
            continue
        if actor in (OWN, OTHER) and not clients_refused:
            continue  # the other client's 404 is about the object, not the role
        yield actor


CASES = [
    pytest.param(key, index, actor, id=f"{key} {actor}")
    for key, route in MATRIX.items()
    if route.is_api_operation
    for index, check in enumerate(route.checks)
    if isinstance(check.data, dict)
    for actor in _role_denials(route, check)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "check_index", "actor"), CASES)
def test_refusal_comes_before_validation(key, check_index, actor, request):
    route = MATRIX[key]
    check = route.checks[check_index]
    bad = type(check)(check.method, check.expect, {**check.data, UNKNOWN_FIELD: 1})
    method, url, response = _request(key, route, bad, actor, request)
    _assert_expected(
        check.expect[actor], response, api_op=True, context=f"{actor} {method} {url} (bad body)"
    )


def test_the_walk_finds_operations():
    assert len(CASES) > 50
