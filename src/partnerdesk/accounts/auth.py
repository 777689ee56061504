"""The authentication backend, and django-axes hooks: whose sign-in it is and where it comes
from."""

import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

# Figures loaded with the signed-in user, in the same query (name -> expression factory).
_USER_ANNOTATIONS: dict[str, Callable[[], Any]] = {}


def annotate_signed_in_user(name: str, expression: Callable[[], Any]) -> None:
    """Load ``name`` with the signed-in user on every request, in the query that loads the user
    anyway. An app above accounts registers it from ``AppConfig.ready`` (the notifications'
    unread count for the bell in every page's header), so no page pays a query of its own."""
    _USER_ANNOTATIONS[name] = expression


class UserBackend(ModelBackend):
    """Django's model backend (sign-in by email and password, ``is_active``); the user a session
    names is loaded with the registered annotations."""

    def get_user(self, user_id):
        model = get_user_model()
        users = model._default_manager.all()
        if _USER_ANNOTATIONS:
            users = users.annotate(**{name: make() for name, make in _USER_ANNOTATIONS.items()})
        try:
            user = users.get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials) -> str | None:
    """The address being signed in to, lower-cased, so "A@x" and "a@x" share one lockout."""
    value = (credentials or {}).get("username") or request.POST.get("username")
    return value.strip().lower() if isinstance(value, str) else None


def client_ip(request) -> str | None:
    """The client's IP address, for axes' per-IP lockout (``AXES_CLIENT_IP_CALLABLE``).

    Directly exposed (``PARTNERDESK_PROXY_COUNT`` = 0, the default): ``REMOTE_ADDR``; a header
    the client sends is never trusted. Behind N reverse proxies that each append the address
    they received the request from to ``PARTNERDESK_CLIENT_IP_HEADER`` (X-Forwarded-For), the
    client is the N-th address from the right: what the outermost proxy saw. Addresses further
    left were written by the client and are ignored. Without it, everyone behind the proxy
    shares its address, and one person's failures lock out everybody's sign-in to an account.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.PARTNERDESK_PROXY_COUNT
    header = request.META.get(settings.PARTNERDESK_CLIENT_IP_HEADER, "") if count else ""
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if not hops:
        return remote
    # Fewer hops than proxies: the request skipped the outer ones; the left-most is the
    # address the first proxy it reached saw.
    candidate = hops[-count] if len(hops) >= count else hops[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
