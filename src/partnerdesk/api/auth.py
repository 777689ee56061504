from ninja.security import APIKeyCookie, HttpBearer

from partnerdesk.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer pd_…`` with a personal API token."""

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session (for the docs page and htmx); CSRF-checked for writes."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None
