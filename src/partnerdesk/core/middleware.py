from django.http import JsonResponse


class RejectNulBytesMiddleware:
    """NUL characters cannot be stored by PostgreSQL; refuse them up front with a clear message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        has_nul = "%00" in query or "\x00" in request.path or "%00" in request.path
        content_type = request.content_type or ""
        if (
            not has_nul
            and request.method in ("POST", "PUT", "PATCH")
            and not content_type.startswith("multipart/")
        ):
            body = request.body
            has_nul = b"\x00" in body or b"\\u0000" in body
            if content_type == "application/x-www-form-urlencoded":
                has_nul = has_nul or b"%00" in body
        if has_nul:
            return JsonResponse(
                {
                    "code": "invalid_input",
                    "message": "Text must not contain NUL (\\u0000) characters.",
                    "field": None,
                    "errors": [],
                },
                status=400,
            )
        return self.get_response(request)
