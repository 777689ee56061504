def axes_username(request, credentials) -> str | None:
    """The address being signed in to, lower-cased, so "A@x" and "a@x" share one lockout."""
    value = (credentials or {}).get("username") or request.POST.get("username")
    return value.strip().lower() if isinstance(value, str) else None
