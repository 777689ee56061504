"""Sentences for the partner program's timeline entries (one per ``PartnerEvent`` kind)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core.events import describe_changes as _changes
from partnerdesk.core.events import register_describer

from .events import PartnerEvent as E

KINDS = {
    "sourced": gettext_lazy("sourced"),
    "assisted": gettext_lazy("assisted"),
    "managed": gettext_lazy("managed"),
}
REASONS = {
    "manual": gettext_lazy("ended by hand"),
    "lapsed": gettext_lazy("no qualifying activity for 60 days"),
    "services_ended": gettext_lazy("services ended"),
}


def _kind(event) -> str:
    return str(KINDS.get(event.data.get("kind"), event.data.get("kind", "")))


def _connection(event) -> str:
    d = event.data
    if d.get("in_partner_account") and d.get("client_assigned") and d.get("in_client_account"):
        return _("%(e)s is correctly connected to the account") % {"e": d.get("employee")}
    missing = [
        str(label)
        for key, label in (
            ("in_partner_account", gettext_lazy("not a user in the partner account")),
            ("client_assigned", gettext_lazy("client not assigned")),
            ("in_client_account", gettext_lazy("not a user in the client's account")),
        )
        if not d.get(key)
    ]
    return _("%(e)s is not correctly connected: %(missing)s") % {
        "e": d.get("employee"),
        "missing": ", ".join(missing),
    }


def _ended(event) -> str:
    reason = str(REASONS.get(event.data.get("reason"), event.data.get("reason", "")))
    text = _("The %(kind)s relationship ended on %(date)s (%(reason)s)") % {
        "kind": _kind(event),
        "date": event.data.get("ended_on"),
        "reason": reason,
    }
    return f"{text}: {event.data['note']}" if event.data.get("note") else text


def _started(event) -> str:
    if event.data.get("automatic"):
        return _("Managed relationship started with a qualifying activity on %(d)s") % {
            "d": event.data.get("started_on")
        }
    return _("%(kind)s relationship from %(d)s") % {
        "kind": _kind(event).capitalize(),
        "d": event.data.get("started_on"),
    }


def _tier(event) -> str:
    d = event.data
    if d.get("created"):
        return _("Tier %(n)s added") % {"n": d.get("name")}
    if d.get("deleted"):
        return _("Tier %(n)s removed") % {"n": d.get("name")}
    return _("Tier %(n)s changed: %(c)s") % {"n": d.get("name"), "c": _changes(event)}


SENTENCES = {
    E.ACCOUNT_CREATED: lambda e: (
        _("HubSpot account %(name)s (hub id %(hub)s) added")
        % {"name": e.data.get("name"), "hub": e.data.get("hub_id")}
    ),
    E.ACCOUNT_UPDATED: lambda e: _("HubSpot account updated: %(c)s") % {"c": _changes(e)},
    E.SUBSCRIPTION_ADDED: lambda e: (
        _("Subscription %(p)s added: %(mrr)s %(cur)s MRR from %(d)s")
        % {
            "p": e.data.get("product"),
            "mrr": e.data.get("mrr"),
            "cur": e.data.get("currency"),
            "d": e.data.get("start_date"),
        }
    ),
    E.SUBSCRIPTION_MRR_CHANGED: lambda e: (
        _("%(p)s MRR changed from %(old)s to %(mrr)s %(cur)s, from %(d)s")
        % {
            "p": e.data.get("product"),
            "old": e.data.get("previous"),
            "mrr": e.data.get("mrr"),
            "cur": e.data.get("currency"),
            "d": e.data.get("effective_on"),
        }
    ),
    E.SUBSCRIPTION_CANCELLED: lambda e: (
        _("Subscription %(p)s cancelled (it will not renew)") % {"p": e.data.get("product")}
    ),
    E.SUBSCRIPTION_ENDED: lambda e: (
        _("Subscription %(p)s ended on %(d)s")
        % {"p": e.data.get("product"), "d": e.data.get("ended_on")}
    ),
    E.RELATIONSHIP_STARTED: _started,
    E.RELATIONSHIP_ENDED: _ended,
    E.SERVICES_ENDED: lambda e: (
        _("Services ended on %(d)s: %(r)s")
        % {"d": e.data.get("ended_on"), "r": e.data.get("reason")}
    ),
    E.MANAGING_PARTNERS_SET: lambda e: (
        _("%(n)s partners manage the account from %(d)s")
        % {"n": e.data.get("count"), "d": e.data.get("effective_from")}
    ),
    E.CONNECTION_CONFIRMED: _connection,
    E.ACTIVITY_RECORDED: lambda e: (
        _("Qualifying activity by %(e)s on %(d)s: %(a)s")
        % {"e": e.data.get("employee"), "d": e.data.get("occurred_on"), "a": e.data.get("activity")}
    ),
    E.ACTIVITY_DELETED: lambda e: (
        _("Qualifying activity of %(d)s by %(e)s deleted: %(a)s")
        % {"e": e.data.get("employee"), "d": e.data.get("occurred_on"), "a": e.data.get("activity")}
    ),
    E.CERTIFICATION_ADDED: lambda e: (
        _("Certification %(n)s added for %(e)s")
        % {"n": e.data.get("name"), "e": e.data.get("employee")}
    ),
    E.CERTIFICATION_UPDATED: lambda e: (
        _("Certification %(n)s updated: %(c)s") % {"n": e.data.get("name"), "c": _changes(e)}
    ),
    E.RATES_SET: lambda e: (
        _(
            "Points per 100 USD from %(d)s: sourced %(s)s, assisted %(a)s, managed %(m)s, "
            "growth markets × %(g)s"
        )
        % {
            "d": e.data.get("effective_from"),
            "s": e.data.get("sourced"),
            "a": e.data.get("assisted"),
            "m": e.data.get("managed"),
            "g": e.data.get("growth_multiplier"),
        }
    ),
    E.CURRENCY_RATE_SET: lambda e: (
        _("From %(d)s, %(amount)s %(cur)s are worth 100 USD")
        % {
            "d": e.data.get("effective_from"),
            "amount": e.data.get("amount"),
            "cur": e.data.get("currency"),
        }
    ),
    E.TIER_SAVED: _tier,
    E.ACTIVITY_TYPE_SAVED: lambda e: (
        _("Activity type %(n)s added") % {"n": e.data.get("name")}
        if e.data.get("created")
        else _("Activity type %(n)s changed: %(c)s") % {"n": e.data.get("name"), "c": _changes(e)}
    ),
    E.MAPPING_ADDED: lambda e: (
        _("%(s)s now records %(a)s") % {"s": e.data.get("source"), "a": e.data.get("activity")}
    ),
    E.MAPPING_REMOVED: lambda e: (
        _("%(s)s no longer records %(a)s")
        % {"s": e.data.get("source"), "a": e.data.get("activity")}
    ),
    E.SETTINGS_CHANGED: lambda e: _("Partner program settings changed: %(c)s") % {"c": _changes(e)},
    E.TIER_REVIEWED: lambda e: (
        _("Tier review of %(d)s: %(t)s credited")
        % {"d": e.data.get("reviewed_on"), "t": e.data.get("tier") or _("no tier")}
    ),
}

for _kind_value, _sentence in SENTENCES.items():
    register_describer(_kind_value, _sentence)
