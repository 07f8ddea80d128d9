"""The events the gateway publishes: who the users are, so services keep a directory of them (see contracts/)."""
from __future__ import annotations

from datetime import datetime

from crm_shared.envelope import Envelope, format_time
from gateway.config import SERVICE
from gateway.domain import User

USER_REGISTERED = "gateway.user.registered.v1"
# Roles, teams, name or the active flag changed; the payload is the whole user again, as after registration.
USER_CHANGED = "gateway.user.changed.v1"


def user_payload(user: User, at: datetime) -> dict:
    """Everything a directory needs of a user (never the password hash or the language)."""
    return {
        "user_id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user.roles),
        "team_ids": sorted(team.id for team in user.teams),
        "teams": [{"id": team.id, "name": team.name} for team in sorted(user.teams, key=lambda t: (t.name, t.id))],
        "active": user.active,
        "changed_at": format_time(at),
    }


def user_registered(user: User, at: datetime) -> Envelope:
    return Envelope.new(USER_REGISTERED, user_payload(user, at), producer=SERVICE, occurred_at=at)


def user_changed(user: User, at: datetime) -> Envelope:
    return Envelope.new(USER_CHANGED, user_payload(user, at), producer=SERVICE, occurred_at=at)
