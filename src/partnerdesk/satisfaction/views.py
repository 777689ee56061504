"""Satisfaction pages: the one-click links of the survey email (public), the client's answer
page in the portal, and the staff's answers list and settings.

**One click records the score.** ``GET /csat/<token>/<score>/`` records the answer: that is
what "answered in one click from the email" means, and a form to confirm would be a second
click most people never make. The cost is known: a mail gateway that *follows* links to scan
them could answer for the client. The defences are that only ``GET`` records (``HEAD``, which
most scanners send, is refused with 405), that each survey takes one answer (a scanner
following all five links records the first and nothing more), and that the page is never
cached (``Cache-Control: no-store``) or indexed. Agencies whose clients sit behind such
gateways can turn the email off for tasks or tickets and ask in the portal only.

Every refusal says why and records nothing: a forged or mangled link (400 "not valid"), a
survey already answered (409, with the date and score), a closed survey (410).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core import clock
from partnerdesk.core.access import admin_required, client_required, staff_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import submit
from partnerdesk.core.pagination import CappedPaginator
from partnerdesk.core.tenancy import get_object_for_user_or_404

from . import errors, links, selectors, services
from .forms import AnswerFilterForm, AnswerForm, CommentForm, LinkCommentForm, SettingsForm
from .models import AnsweredVia, Survey, SurveySettings

LINK_TEMPLATE = "satisfaction/link.html"


def _no_index(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Not "no-referrer": the browser would then send "Origin: null" with the comment form,
    # which CSRF refuses. "same-origin" still keeps the token from other sites.
    response["Referrer-Policy"] = "same-origin"
    return response


def _survey_of(token: str) -> Survey | None:
    try:
        survey_id = links.read_token(token)
    except links.BadLink:
        return None
    return Survey.objects.select_related("task", "ticket", "company").filter(pk=survey_id).first()


def _link_page(request, survey, state: str, *, status: int = 200, **context):
    language = survey.language if survey is not None else translation.get_language()
    with translation.override(language):
        response = render(
            request,
            LINK_TEMPLATE,
            {"survey": survey, "state": state, "portal_path": _portal_path(survey), **context},
            status=status,
        )
    return _no_index(response)


def _portal_path(survey: Survey | None) -> str:
    return links.portal_path(survey) if survey is not None else ""


# ---------------------------------------------------------------- the email's links (public)


@never_cache
@require_GET
def answer(request, token: str, score: str):
    """One click: record ``score`` for the survey the token names, or say why not."""
    try:
        survey = services.survey_answer_from_link(token=token, score=score)
    except DomainError as exc:
        state = {"already_answered": "answered", "expired": "expired"}.get(exc.code, "invalid")
        shown = _survey_of(token) if state != "invalid" else None
        return _link_page(request, shown, state, status=exc.status, message=exc.message)
    form = LinkCommentForm(initial={"proof": links.comment_proof(survey)})
    return _link_page(request, survey, "thanks", form=form, token=token)


@never_cache
@require_POST
def comment(request, token: str):
    """The thank-you page's comment. Within an hour of the one-click answer its proof is
    enough; later (or without the proof) a signed-in user of the client's company may add it
    (anonymous: sign in first)."""
    survey = _survey_of(token)
    if survey is None:
        error = errors.invalid_link()
        return _link_page(request, None, "invalid", status=error.status, message=error.message)
    form = LinkCommentForm(request.POST)
    if not form.is_valid():
        return _link_page(request, survey, "thanks", status=400, form=form, token=token)
    text = form.cleaned_data["comment"]
    try:
        services.survey_comment_from_link(
            token=token, proof=form.cleaned_data["proof"], comment=text
        )
    except DomainError as exc:
        if exc.code == "sign_in_to_comment":
            return _comment_signed_in(request, survey, text)
        if exc.field == "comment" and exc.code in ("required", "too_long"):
            form.add_domain_error(exc)
            return _link_page(request, survey, "thanks", status=exc.status, form=form, token=token)
        return _link_page(request, survey, "refused", status=exc.status, message=exc.message)
    return _link_page(request, survey, "commented")


def _comment_signed_in(request, survey: Survey, text: str):
    """A comment whose link is too old: from a signed-in user of the company, else sign in
    (the portal's answer page takes it from there)."""
    user = request.user
    if not (user.is_authenticated and user.is_client and user.company_id == survey.company_id):
        return redirect_to_login(links.portal_path(survey))
    try:
        services.survey_comment(survey=survey, by=user, comment=text)
    except DomainError as exc:
        return _link_page(request, survey, "refused", status=exc.status, message=exc.message)
    return _link_page(request, survey, "commented")


# ---------------------------------------------------------------- the portal (clients)


def _next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


@client_required
@require_http_methods(["GET", "POST"])
def portal_answer(request, pk: int):
    """A signed-in client answers a survey of their company (score and comment in one form),
    or adds the comment of one answered from the email."""
    survey = get_object_for_user_or_404(selectors.surveys_for(request.user), request.user, pk=pk)
    now = clock.now()
    form_class = CommentForm if survey.is_answered else AnswerForm
    form = form_class(request.POST or None)
    if request.method == "POST":
        if survey.is_answered:
            outcome = submit(
                form,
                lambda d: services.survey_comment(
                    survey=survey, by=request.user, comment=d["comment"]
                ),
            )
        else:
            outcome = submit(
                form,
                lambda d: services.survey_answer(
                    survey=survey,
                    by=request.user,
                    score=d["score"],
                    comment=d["comment"],
                    via=AnsweredVia.PORTAL,
                ),
            )
        if outcome.ok:
            messages.success(request, _("Thank you for your answer."))
            return redirect(_next(request, links.portal_path(survey)))
    return render(
        request,
        "satisfaction/portal_answer.html",
        {
            "survey": survey,
            "form": form,
            "closed": not survey.is_answered and now >= survey.expires_at,
            "next": _next(request, ""),
        },
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------- staff


@staff_required
@require_GET
def answers(request):
    """Every survey answer (or the ones not answered), filterable by score, kind and date."""
    form = AnswerFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or ""
    filters = selectors.SurveyFilters(
        answered={"": True, "pending": False, "all": None}[status],
        score=data.get("score") or None,
        kind=data.get("kind") or None,
        answered_from=data.get("answered_from"),
        answered_to=data.get("answered_to"),
    )
    page = CappedPaginator(selectors.filter_surveys(request.user, filters), 25).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "objects": page.object_list,
        "querystring": query.urlencode(),
        "now": clock.now(),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "satisfaction/answers.html#results", context)
    return render(request, "satisfaction/answers.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    row = SurveySettings.load()
    form = SettingsForm(
        request.POST or None,
        initial={
            "enabled_for_tasks": row.enabled_for_tasks,
            "enabled_for_tickets": row.enabled_for_tickets,
            "link_valid_days": row.link_valid_days,
            "low_score_threshold": row.low_score_threshold,
        },
    )
    if request.method == "POST":
        outcome = submit(
            form,
            lambda d: services.survey_settings_update(
                by=request.user,
                enabled_for_tasks=d["enabled_for_tasks"],
                enabled_for_tickets=d["enabled_for_tickets"],
                link_valid_days=d["link_valid_days"],
                low_score_threshold=d["low_score_threshold"],
            ),
        )
        if outcome.ok:
            messages.success(request, _("Satisfaction settings saved."))
            return redirect("satisfaction:settings")
    return render(
        request,
        "satisfaction/settings.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
