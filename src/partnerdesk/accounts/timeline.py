"""Sentences for accounts timeline entries."""

from django.utils.translation import gettext as _

from partnerdesk.core.events import describe_changes, register_describer

from .events import AccountsEvent

register_describer(AccountsEvent.USER_JOINED, lambda e: _("Joined Partnerdesk"))
register_describer(
    AccountsEvent.USER_UPDATED, lambda e: _("User updated: %(c)s") % {"c": describe_changes(e)}
)
register_describer(
    AccountsEvent.API_TOKEN_CREATED,
    lambda e: _("API token created: %(n)s") % {"n": e.data.get("name")},
)
register_describer(
    AccountsEvent.API_TOKEN_REVOKED,
    lambda e: _("API token revoked: %(n)s") % {"n": e.data.get("name")},
)
register_describer(
    AccountsEvent.TEAM_SAVED, lambda e: _("Team saved: %(n)s") % {"n": e.data.get("name")}
)
