"""Who may open which page. Client users never see the staff app: it is a 404 for them."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def _login(request):
    return redirect_to_login(request.get_full_path())


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _login(request)
        if not request.user.is_agency_staff:
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    wrapper.access = "staff"
    return wrapper


def admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _login(request)
        if not request.user.is_agency_staff:
            raise Http404("Not found.")
        if not request.user.is_admin:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only an admin can change the configuration.")
        return view(request, *args, **kwargs)

    wrapper.access = "admin"
    return wrapper


def client_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _login(request)
        if not request.user.is_client:
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    wrapper.access = "client"
    return wrapper
