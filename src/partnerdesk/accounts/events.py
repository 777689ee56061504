"""The event kinds the accounts app records."""

from enum import StrEnum


class AccountsEvent(StrEnum):
    USER_JOINED = "user.joined"
    USER_UPDATED = "user.updated"
    API_TOKEN_CREATED = "api_token.created"  # noqa: S105 (an event kind, not a secret)
    API_TOKEN_REVOKED = "api_token.revoked"  # noqa: S105
    TEAM_SAVED = "team.saved"
