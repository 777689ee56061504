"""Sentences for the partner program's timeline entries (one per ``PartnerEvent`` kind)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.core.events import describe_changes as _changes
from partnerdesk.core.events import register_describer

from .events import PartnerEvent as E
from .models import AccreditationState, ComplaintStepKind, EvaluationResult, WaitingOn

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


def _label(choices, value) -> str:
    """A choice's label in the active language (the value itself if it is not a choice)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def describe_reasons(reasons: list[dict]) -> str:
    """An accreditation's at-risk reasons as one line (pages use it too)."""
    parts = []
    for r in reasons or []:
        code = r.get("code")
        if code == "tier":
            text = (
                _("credited tier %(tier)s is below %(minimum)s")
                if r.get("credited_tier")
                else _("no tier is credited, %(minimum)s or above is needed")
            ) % {"tier": r.get("credited_tier"), "minimum": r.get("minimum_tier")}
            if r.get("grace_period_ends_on"):
                text += " " + _("(grace period until %(d)s)") % {"d": r["grace_period_ends_on"]}
            parts.append(text)
        elif code == "certifications":
            parts.extend(
                _("%(name)s held by %(held)s of %(required)s employees")
                % {"name": m.get("name"), "held": m.get("held"), "required": m.get("required")}
                for m in r.get("missing", [])
            )
        elif code == "marks":
            parts.append(
                _("%(n)s marks on record (more than %(max)s: the renewal goes to the board)")
                % {"n": r.get("count"), "max": r.get("max")}
            )
    return "; ".join(parts)


def _accreditation_state(event) -> str:
    d = event.data
    to = d.get("to")
    why = d.get("reason") or describe_reasons(d.get("reasons") or [])
    if d.get("cause") == "standards" and to == AccreditationState.ACTIVE:
        text = _("%(type)s is no longer at risk: every standard is met") % {"type": d.get("type")}
    elif d.get("cause") == "standards" and d.get("from") == to:
        text = _("%(type)s at risk for other reasons") % {"type": d.get("type")}
    else:
        text = _("%(type)s: %(from)s → %(to)s") % {
            "type": d.get("type"),
            "from": _label(AccreditationState, d.get("from")),
            "to": _label(AccreditationState, to),
        }
        if d.get("cause") == "board":
            text += " " + (
                _("(review board, director-level approval)")
                if d.get("director_approved")
                else _("(review board)")
            )
    return f"{text}: {why}" if why else text


def _evaluated(event) -> str:
    d = event.data
    text = _("Evaluation of %(type)s due %(d)s: %(result)s") % {
        "type": d.get("type"),
        "d": d.get("due_on"),
        "result": _label(EvaluationResult, d.get("result")),
    }
    if d.get("next_evaluation_on"):
        text += "; " + _("next evaluation %(d)s") % {"d": d["next_evaluation_on"]}
    return text


def _step(value) -> str:
    return _label(ComplaintStepKind, value)


def _with_reason(text: str, event) -> str:
    reason = event.data.get("reason")
    return f"{text}: {reason}" if reason else text


def _opened(event) -> str:
    d = event.data
    if d.get("serious"):
        text = _("Complaint recorded as a serious infringement, straight to the review board")
    else:
        text = _("Complaint recorded")
    return f"{text}: {d.get('summary')}"


def _escalated(event) -> str:
    d = event.data
    text = _("Complaint escalated from %(from)s to %(to)s") % {
        "from": _step(d.get("from")),
        "to": _step(d.get("to")),
    }
    if d.get("serious") and d.get("to") == ComplaintStepKind.REVIEW_BOARD:
        text += " " + _("(serious infringement)")
    if d.get("owner"):
        text += ", " + _("owner %(o)s") % {"o": d["owner"]}
    return _with_reason(text, event)


def _finding(event) -> str:
    d = event.data
    text = (
        _("Review board finding of %(d)s: the agency was at fault")
        if d.get("fault")
        else _("Review board finding of %(d)s: the agency was not at fault")
    ) % {"d": d.get("decision_date")}
    if d.get("director_approved"):
        text += " " + _("(director-level approval)")
    return f"{text}: {d['notes']}" if d.get("notes") else text


def _waiting(event) -> str:
    d = event.data
    if not d.get("waiting_on"):
        return _with_reason(_("The complaint waits on nobody"), event)
    return _with_reason(
        _("The complaint now waits on %(who)s") % {"who": _label(WaitingOn, d["waiting_on"])},
        event,
    )


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
    E.ACCREDITATION_TYPE_SAVED: lambda e: (
        _("Accreditation %(n)s added") % {"n": e.data.get("name")}
        if e.data.get("created")
        else _("Accreditation %(n)s changed: %(c)s") % {"n": e.data.get("name"), "c": _changes(e)}
    ),
    E.ACCREDITATION_APPLIED: lambda e: (
        _("Applied for %(type)s on %(d)s")
        % {"type": e.data.get("type"), "d": e.data.get("applied_on")}
    ),
    E.ACCREDITATION_ISSUED: lambda e: (
        _("%(type)s issued on %(d)s; first evaluation %(next)s")
        % {
            "type": e.data.get("type"),
            "d": e.data.get("issued_on"),
            "next": e.data.get("next_evaluation_on"),
        }
    ),
    E.ACCREDITATION_STATE_CHANGED: _accreditation_state,
    E.ACCREDITATION_EVALUATED: _evaluated,
    E.COMPLAINT_OPENED: _opened,
    E.COMPLAINT_UPDATED: lambda e: _with_reason(
        _("Complaint changed: %(c)s") % {"c": _changes(e)}, e
    ),
    E.COMPLAINT_ESCALATED: _escalated,
    E.COMPLAINT_RESOLVED: lambda e: (
        _("Complaint resolved at the %(step)s step on %(d)s")
        % {"step": _step(e.data.get("step")), "d": e.data.get("resolved_on")}
        + (f": {e.data['notes']}" if e.data.get("notes") else "")
    ),
    E.COMPLAINT_REOPENED: lambda e: _with_reason(
        _("Complaint reopened at the %(step)s step") % {"step": _step(e.data.get("step"))}, e
    ),
    E.COMPLAINT_STEP_UPDATED: lambda e: (
        _("%(step)s step changed: %(c)s") % {"step": _step(e.data.get("step")), "c": _changes(e)}
    ),
    E.COMPLAINT_WAITING: _waiting,
    E.COMPLAINT_FINDING: _finding,
    E.MARK_PLACED: lambda e: _("Mark on record placed (%(n)s in all)") % {"n": e.data.get("count")},
}

for _kind_value, _sentence in SENTENCES.items():
    register_describer(_kind_value, _sentence)
