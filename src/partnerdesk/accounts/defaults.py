"""The default teams, by stable key. Installed the first time an installer asks for one
(tickets, automation and portal defaults), never again: see ``core.defaults``."""

from __future__ import annotations

from partnerdesk.core.defaults import adopt_or_create, install_once

from .models import Team

SUPPORT = "support"
EMAIL_PROVISIONING = "email-provisioning"
WEBSITE = "website"
CONSULTANTS = "consultants"

TEAMS = {
    SUPPORT: "Support Team",
    EMAIL_PROVISIONING: "Email Provisioning",
    WEBSITE: "Website Team",
    CONSULTANTS: "Consultants",
}


def default_team(key: str) -> Team | None:
    """The default team ``key``, installed on the first call; ``None`` once an admin deleted it."""
    name = TEAMS[key]
    install_once(
        f"accounts.team.{key}",
        lambda: adopt_or_create(Team, key=key, match={"name__iexact": name}, values={"name": name}),
    )
    return Team.objects.filter(key=key).first()
