"""What the partner program's API modules share: the lookups that turn an id into a row the
caller may see (or a 404 problem, as for a missing one), and today's date."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from partnerdesk.core.api import Problem, lookup

from .. import selectors
from ..models import ActivityType, HubSpotAccount, Relationship, Subscription
from ..services.common import today

__all__ = [
    "ERRORS",
    "account_of",
    "activity_type_of",
    "relationship_of",
    "subscription_of",
    "today",
]

ERRORS = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


def account_of(request, account_id: int) -> HubSpotAccount:
    return selectors.account_for(request.auth, account_id)


def subscription_of(request, subscription_id: int) -> Subscription:
    return get_object_or_404(selectors.subscriptions_for(request.auth), pk=subscription_id)


def relationship_of(request, relationship_id: int) -> Relationship:
    return get_object_or_404(selectors.relationships_for(request.auth), pk=relationship_id)


def activity_type_of(activity_type_id: int) -> ActivityType:
    """An activity type named in a body: a 422 problem on ``activity_type_id`` if unknown."""
    return lookup(ActivityType, activity_type_id, "activity_type")


def not_found() -> Http404:
    return Http404("Not found.")
