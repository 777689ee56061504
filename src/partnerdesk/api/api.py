"""The JSON API: one NinjaAPI, routers from each app's api.py, errors as JSON problems."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from partnerdesk.accounts.api import router as accounts_router
from partnerdesk.accounts.api_auth import ANY_USER
from partnerdesk.automation.api import router as automation_router
from partnerdesk.core.api import Problem
from partnerdesk.core.errors import DomainError
from partnerdesk.crm.api import router as crm_router
from partnerdesk.knowledge.api import router as knowledge_router
from partnerdesk.notifications.api import router as notifications_router
from partnerdesk.partner_program.api import router as partner_program_router
from partnerdesk.portal.api import router as portal_router
from partnerdesk.portal.booking_api import router as booking_router
from partnerdesk.reports.api import router as reports_router
from partnerdesk.satisfaction.api import router as satisfaction_router
from partnerdesk.sla.api import router as sla_router
from partnerdesk.tickets.api import router as tickets_router
from partnerdesk.tickets.client_api import router as tickets_client_router
from partnerdesk.webhooks.api import router as webhooks_router

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Every operation can answer these, whatever its own responses say: a body that cannot be
# parsed (400) and input that breaks the schema or a rule (422), both as a JSON problem.
COMMON_RESPONSES = {
    "400": "The request body could not be parsed (code bad_request).",
    "422": "The input breaks the schema or a rule; `errors` names each field.",
}


class PartnerdeskAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        schema["components"].setdefault("schemas", {}).setdefault(
            "Problem", Problem.model_json_schema()
        )
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in COMMON_RESPONSES.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": PROBLEM_REF}},
                        },
                    )
        return schema


api = PartnerdeskAPI(
    title="Partnerdesk API",
    version="1",
    description=(
        "Everything a user can do in Partnerdesk. Authenticate with a personal API token "
        "(`Authorization: Bearer pd_…`, created under Profile → API tokens). Errors are JSON "
        "objects with a stable `code`, a `message`, the `field` and a list of `errors`."
    ),
    auth=ANY_USER,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def problem(request, status: int, code: str, message: str, field=None, errors=None):
    body = {
        "code": code,
        "message": message,
        "field": field,
        "errors": errors
        if errors is not None
        else [{"field": field, "code": code, "message": message}],
    }
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


LOCATIONS = {"body", "query", "path", "payload", "filters", "form", "file", "page"}


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ())]
        # Drop where ninja found the value (body/query/path/form/file, then the parameter's
        # own name for a whole-schema parameter), keeping at least the field's name.
        while len(loc) > 1 and loc[0] in LOCATIONS:
            loc = loc[1:]
        if loc and loc[0] in ("body", "query", "path", "form"):
            loc = []
        errors.append(
            {
                "field": ".".join(loc) or None,
                "code": "invalid_input",
                "message": str(error.get("msg", "Invalid value.")),
            }
        )
    first = errors[0] if errors else {"field": None, "message": "Invalid input."}
    message = (
        "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        or "Invalid input."
    )
    return problem(request, 422, "invalid_input", message, first["field"], errors)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return problem(
        request, 401, "not_authenticated", "Send a valid API token: Authorization: Bearer <token>."
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return problem(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return problem(request, 403, "forbidden", str(exc) or "You do not have permission to do this.")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    code = "bad_request" if exc.status_code == 400 else "http_error"
    return problem(request, exc.status_code, code, str(exc))


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request, exc: MultiPartParserError):
    """A multipart body without a usable boundary (or otherwise broken) is the client's error."""
    return problem(
        request,
        400,
        "bad_request",
        "The request body is not valid multipart/form-data (check the boundary): " + str(exc),
    )


@api.exception_handler(UnicodeDecodeError)
def on_undecodable(request, exc: UnicodeDecodeError):
    return problem(request, 400, "bad_request", "The request body is not valid UTF-8.")


# The api app is the top layer: it only assembles every app's router.
api.add_router("/", accounts_router)
api.add_router("/", crm_router)
api.add_router("/", tickets_router)
api.add_router("/", tickets_client_router)
api.add_router("/", sla_router)
api.add_router("/", automation_router)
api.add_router("/", notifications_router)
api.add_router("/", portal_router)
api.add_router("/", booking_router)
api.add_router("/", webhooks_router)
api.add_router("/", partner_program_router)
api.add_router("/", knowledge_router)
api.add_router("/", satisfaction_router)
api.add_router("/", reports_router)
