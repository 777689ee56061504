from django.conf import settings


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "agency_name": settings.PARTNERDESK["AGENCY_NAME"],
        "is_staff_user": bool(user and user.is_authenticated and user.is_agency_staff),
        "is_client_user": bool(user and user.is_authenticated and user.is_client),
    }
