"""Sentences for the dashboard's timeline entries (one per ``DashboardEvent`` kind)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core.events import describe_changes as _changes
from partnerdesk.core.events import register_describer

from .events import DashboardEvent as E

TEAM_ROLES = {
    "channel_account_manager": gettext_lazy("Channel Account Manager"),
    "channel_consultant": gettext_lazy("Channel Consultant"),
}


def _reminder(event) -> str:
    d = event.data
    text = _(
        "Renewal reminder for %(products)s (%(days)s days before the deadline of %(deadline)s) "
        "sent to %(to)s"
    ) % {
        "products": ", ".join(d.get("products") or []),
        "days": d.get("days_before"),
        "deadline": d.get("deadline"),
        "to": ", ".join(d.get("to") or []),
    }
    if d.get("cc"):
        text += _(", copied to %(cc)s") % {"cc": ", ".join(d["cc"])}
    return text


def _team_member(event) -> str:
    role = str(TEAM_ROLES.get(event.data.get("role"), event.data.get("role", "")))
    if event.data.get("created"):
        return _("%(name)s is the agency's %(role)s at HubSpot") % {
            "name": event.data.get("name"),
            "role": role,
        }
    return _("HubSpot %(role)s changed: %(c)s") % {"role": role, "c": _changes(event)}


SENTENCES = {
    E.RENEWAL_UPDATED: lambda e: (
        _("Renewal of %(product)s on %(d)s: %(c)s")
        % {"product": e.data.get("product"), "d": e.data.get("renews_on"), "c": _changes(e)}
    ),
    E.RENEWAL_OWNER_SET: lambda e: (
        _("Renewal communication owner changed: %(c)s") % {"c": _changes(e)}
    ),
    E.RENEWAL_MANAGER_SET: lambda e: (
        _("HubSpot renewal manager changed: %(c)s") % {"c": _changes(e)}
    ),
    E.RENEWAL_REMINDER_SENT: _reminder,
    E.CLIENT_PORTAL_VIEWED: lambda e: _(
        "Client's portal viewed from the partner dashboard (read-only)"
    ),
    E.RENEWAL_SETTINGS_CHANGED: lambda e: _("Renewal settings changed: %(c)s") % {"c": _changes(e)},
    E.TEAM_MEMBER_SAVED: _team_member,
}

for _kind_value, _sentence in SENTENCES.items():
    register_describer(_kind_value, _sentence)
