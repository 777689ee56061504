from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import translation
from django.views.decorators.http import require_GET

from .access import admin_required
from .workers import worker_status


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.user.is_client:
        return redirect("portal:home")
    return redirect("dashboard:home")


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@admin_required
@require_GET
def workers(request):
    """Settings → Workers: the background workers' heartbeats and the task queue."""
    status = worker_status()
    oldest = status.oldest_waiting
    return render(
        request,
        "core/workers.html",
        {
            "status": status,
            "oldest_since": status.now - oldest if oldest is not None else None,
            "seen_within_seconds": int(status.seen_within.total_seconds()),
            "stale_after_minutes": int(status.stale_after.total_seconds() // 60),
        },
    )


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def _in_user_language(request) -> None:
    """Speak the signed-in user's language on an error page. A URL that matches no route never
    reaches ``UserLanguageMiddleware.process_view``, which does it for every view; a failing
    database (a 500) must not stop the error page, which then keeps the request's language."""
    try:
        user = getattr(request, "user", None)
        language = user.language if user is not None and user.is_authenticated else ""
    except Exception:
        return
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"code": "not_found", "message": "Not found.", "field": None, "errors": []}, status=404
        )
    _in_user_language(request)
    return render(request, "errors/404.html", status=404)


def forbidden(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"code": "forbidden", "message": "Forbidden.", "field": None, "errors": []}, status=403
        )
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def server_error(request):
    """The product's own 500 page, in the user's language. It extends nothing and reads no
    context processor: whatever broke (the database too) must not break it."""
    if _wants_json(request):
        return JsonResponse(
            {
                "code": "server_error",
                "message": "Something went wrong on our side. Please try again.",
                "field": None,
                "errors": [],
            },
            status=500,
        )
    _in_user_language(request)
    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
