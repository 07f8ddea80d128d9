"""The user directory kept from the gateway's user events: roles, teams and the active flag of every user."""
from __future__ import annotations

from typing import Any, Mapping

from crm_shared.directory import USER_CHANGED, USER_REGISTERED
from crm_shared.envelope import Envelope, parse_time
from leads.repository import DirectoryEntry
from leads.timeline_handlers import InvalidPayload, _id
from leads.uow import LeadsUnitOfWork

__all__ = ["USER_CHANGED", "USER_REGISTERED", "directory_entry", "keep_user_in_directory"]


def _ids(payload: Mapping[str, Any], key: str) -> frozenset[str]:
    values = payload.get(key)
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise InvalidPayload(f"payload field {key!r} must be a list of non-empty strings, not {values!r}")
    return frozenset(values)


def directory_entry(envelope: Envelope) -> DirectoryEntry:
    """What a user event says of its user, checked: an event missing a fact is dead-lettered, not half applied."""
    payload = envelope.payload
    active = payload.get("active")
    if not isinstance(active, bool):
        raise InvalidPayload(f"payload field 'active' must be true or false, not {active!r}")
    changed_at = payload.get("changed_at")
    try:
        at = parse_time(changed_at) if isinstance(changed_at, str) else envelope.occurred
    except ValueError as error:
        raise InvalidPayload(f"payload field 'changed_at' is not a time with a zone: {changed_at!r}") from error
    return DirectoryEntry(
        user_id=_id(payload, "user_id"),
        username=_id(payload, "username"),
        display_name=payload.get("display_name") or payload["username"],
        roles=_ids(payload, "roles"),
        team_ids=_ids(payload, "team_ids"),
        active=active,
        at=at,
    )


def keep_user_in_directory(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """A user registered or changed: their roles, teams and active flag replace what the directory had."""
    uow.claimants.apply(directory_entry(envelope))
