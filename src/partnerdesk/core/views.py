from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
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


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"code": "not_found", "message": "Not found.", "field": None, "errors": []}, status=404
        )
    return render(request, "errors/404.html", status=404)


def forbidden(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"code": "forbidden", "message": "Forbidden.", "field": None, "errors": []}, status=403
        )
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def server_error(request):
    return HttpResponse(
        "<h1>Something went wrong</h1><p>The error has been logged. Please try again.</p>",
        status=500,
    )
