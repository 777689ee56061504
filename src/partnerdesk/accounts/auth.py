"""django-axes hooks: whose sign-in it is and where it comes from."""

import ipaddress

from django.conf import settings


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
