"""How the partner program's alerts are addressed and worded: to whom (admins and managers, or
admins only) and texts that ``notifications.services.notify`` renders in each recipient's
language (lazy strings). Shared by the daily job and the services that alert at once."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Role, User


def per_recipient(text: Callable[[], str]) -> str:
    """Text that ``notify`` renders in each recipient's language (a lazy string)."""
    return lazy(text, str)()


def alert_recipients() -> list[User]:
    """Admins and managers (active)."""
    return list(User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER], is_active=True))


def admins() -> list[User]:
    return list(User.objects.filter(role=Role.ADMIN, is_active=True))


def _text(message: str, **values: Any) -> str:
    """``message`` translated (in the language active when it is rendered), with ``values``."""
    return _(message) % {k: str(v) for k, v in values.items()} if values else _(message)


def translated(message: str, **values: Any) -> str:
    """A notification text ``notify`` renders in each recipient's language. ``message`` is
    marked for translation where it is written (``gettext_noop``); ``values`` may be lazy
    (a translated label), rendered in the recipient's language too."""
    return per_recipient(partial(_text, message, **values))
