"""Who may do what: role predicates shared by every service, and the system actor.

Every service takes ``by``: the user acting, or :data:`SYSTEM` when the product itself acts
(an automation, a scheduled job, the task queue starting the next task). ``None`` is never an
actor: a service called with ``by=None`` is refused, so a forgotten argument cannot pass a check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from django.utils.translation import gettext_lazy as _

from .errors import forbidden

if TYPE_CHECKING:
    from django.utils.functional import Promise


class SystemActor:
    """The product acting on its own. It passes the staff checks; it is nobody's user, so events
    it causes record no actor and it never becomes an owner, assignee or author."""

    is_system: Final = True
    is_authenticated: Final = False
    is_active: Final = True
    is_agency_staff: Final = True
    is_admin: Final = True
    is_manager_or_admin: Final = True
    is_client: Final = False
    is_client_admin: Final = False
    pk: Final = None
    id: Final = None
    company_id: Final = None
    language: Final = "en"
    display_name: Final = "Partnerdesk"

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return self.display_name


SYSTEM: Final = SystemActor()

# A user (accounts.User) or SYSTEM; typed loosely so core does not import accounts.
Actor = Any


def is_system(by: Actor) -> bool:
    return by is SYSTEM


def person(by: Actor):
    """The user behind ``by``, or None for the system (for author/owner/actor fields)."""
    return None if by is SYSTEM else by


def _actor(by: Actor) -> Actor:
    if by is None:
        raise forbidden(_("Nobody is signed in."))
    if by is not SYSTEM and not getattr(by, "is_active", False):
        raise forbidden(_("This account is inactive."))
    return by


def require_staff(by: Actor, message: str | Promise | None = None) -> None:
    if not _actor(by).is_agency_staff:
        raise forbidden(message or _("Only the agency's staff can do this."))


def require_manager(by: Actor, message: str | Promise | None = None) -> None:
    if not _actor(by).is_manager_or_admin:
        raise forbidden(message or _("Only an admin or a manager can do this."))


def require_admin(by: Actor, message: str | Promise | None = None) -> None:
    if not _actor(by).is_admin:
        raise forbidden(message or _("Only an admin can change the configuration."))


def require_client_of(by: Actor, company_id: int, message: str | Promise | None = None) -> None:
    actor = _actor(by)
    if not actor.is_client or actor.company_id != company_id:
        raise forbidden(message or _("Only a user of the client's company can do this."))


def require_party(by: Actor, company_id: int | None, message: str | Promise | None = None) -> None:
    """Staff, or a user of the record's company (others never get here: their lookup 404s)."""
    actor = _actor(by)
    if not (actor.is_agency_staff or (company_id is not None and actor.company_id == company_id)):
        raise forbidden(
            message or _("Only the agency's staff or a user of the client's company can do this.")
        )
