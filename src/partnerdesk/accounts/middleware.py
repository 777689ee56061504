import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.views.i18n import set_language

# The language a visitor picked on the sign-in page (the header's switcher), kept in the
# session until they sign in: their account then speaks it (accounts.views.LoginView).
CHOSEN_LANGUAGE = "partnerdesk_chosen_language"


class UserLanguageMiddleware:
    """Use the signed-in user's language and time zone for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The active time zone is per thread: never let one request's leak into the next.
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if view_func is set_language and request.method == "POST":
            language = request.POST.get("language", "")
            if (
                user is not None
                and not user.is_authenticated
                and language in dict(settings.LANGUAGES)
            ):
                request.session[CHOSEN_LANGUAGE] = language
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.timezone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.timezone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
            else:
                timezone.deactivate()
        return None
