from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET


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
