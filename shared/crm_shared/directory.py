"""A service's copy of the gateway's user directory (roles, teams, active), kept from `gateway.user.*` events.

A service that enforces "managers see their teams'" needs to know who is in which team without calling
the gateway: it adds these tables to its metadata (and a migration creating them), maps the two events
to `keep_user_in_directory`, and filters with `members_of_teams`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, MetaData, String, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_shared.db import UtcDateTime
from crm_shared.envelope import Envelope, parse_time

USER_REGISTERED = "gateway.user.registered.v1"
USER_CHANGED = "gateway.user.changed.v1"


@dataclass(frozen=True)
class DirectoryTables:
    users: Table
    user_teams: Table


def directory_tables(metadata: MetaData) -> DirectoryTables:
    """Define `directory_users` and `directory_user_teams` in a service's metadata."""
    users = Table(
        "directory_users",
        metadata,
        Column("user_id", String(36), primary_key=True),
        Column("username", String(150), nullable=False),
        Column("display_name", String(200), nullable=False),
        Column("roles", JSON, nullable=False),
        Column("active", Boolean, nullable=False),
        # When the gateway made the change the row holds: an older event arriving late is ignored.
        Column("changed_at", UtcDateTime(), nullable=False),
    )
    user_teams = Table(
        "directory_user_teams",
        metadata,
        Column("user_id", String(36), ForeignKey(users.c.user_id, ondelete="CASCADE"), primary_key=True),
        Column("team_id", String(36), primary_key=True),
        Index("ix_directory_user_teams_team_id", "team_id"),
    )
    return DirectoryTables(users, user_teams)


class InvalidUserEvent(ValueError):
    """A user event missing a fact: the consumer dead-letters it rather than half applying it."""


@dataclass(frozen=True)
class DirectoryEntry:
    """A user as the gateway describes them, as of `changed_at`."""

    user_id: str
    username: str
    display_name: str
    roles: frozenset[str]
    team_ids: frozenset[str]
    active: bool
    changed_at: datetime


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidUserEvent(f"payload field {key!r} must be a non-empty string, not {value!r}")
    return value


def _strings(payload: Mapping[str, Any], key: str) -> frozenset[str]:
    values = payload.get(key)
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise InvalidUserEvent(f"payload field {key!r} must be a list of non-empty strings, not {values!r}")
    return frozenset(values)


def directory_entry(envelope: Envelope) -> DirectoryEntry:
    """What a `gateway.user.registered.v1` / `changed.v1` event says of its user, checked."""
    payload = envelope.payload
    active = payload.get("active")
    if not isinstance(active, bool):
        raise InvalidUserEvent(f"payload field 'active' must be true or false, not {active!r}")
    changed_at = payload.get("changed_at")
    try:
        at = parse_time(changed_at) if isinstance(changed_at, str) else envelope.occurred
    except ValueError as error:
        raise InvalidUserEvent(f"payload field 'changed_at' is not a time with a zone: {changed_at!r}") from error
    username = _text(payload, "username")
    return DirectoryEntry(
        user_id=_text(payload, "user_id"),
        username=username,
        display_name=payload.get("display_name") or username,
        roles=_strings(payload, "roles"),
        team_ids=_strings(payload, "team_ids"),
        active=active,
        changed_at=at,
    )


class Directory:
    """Reads and writes of the directory tables in one session (the unit of work's)."""

    def __init__(self, session: Session, tables: DirectoryTables):
        self.session = session
        self.tables = tables

    def _insert(self, table: Table):
        build = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        return build(table)

    def apply(self, entry: DirectoryEntry) -> bool:
        """Replace what the directory holds of the user, unless a later change was applied already; True if taken."""
        users, user_teams = self.tables.users, self.tables.user_teams
        applied_at = self.session.scalars(
            select(users.c.changed_at).where(users.c.user_id == entry.user_id).with_for_update()
        ).first()
        if applied_at is not None and applied_at > entry.changed_at:
            return False  # events can arrive out of order (a redelivery after a failure): keep the newer facts
        values = {
            "username": entry.username, "display_name": entry.display_name, "roles": sorted(entry.roles),
            "active": entry.active, "changed_at": entry.changed_at,
        }
        self.session.execute(
            self._insert(users).values(user_id=entry.user_id, **values)
            .on_conflict_do_update(index_elements=[users.c.user_id], set_=values)
        )
        self.session.execute(delete(user_teams).where(user_teams.c.user_id == entry.user_id))
        if entry.team_ids:
            self.session.execute(
                self._insert(user_teams).values([{"user_id": entry.user_id, "team_id": t} for t in sorted(entry.team_ids)])
            )
        return True

    def teams_of(self, user_id: str) -> frozenset[str] | None:
        """The teams the directory has the user in; None if it never heard of them (fall back to the token)."""
        users, user_teams = self.tables.users, self.tables.user_teams
        known = self.session.execute(select(users.c.active).where(users.c.user_id == user_id)).first()
        if known is None:
            return None
        if not known.active:
            return frozenset()
        return frozenset(self.session.scalars(select(user_teams.c.team_id).where(user_teams.c.user_id == user_id)))

    def members_of_teams(self, team_ids: Iterable[str]):
        """A subquery of the users in any of `team_ids`, for `owner_id IN (...)` filters."""
        return members_of_teams(self.tables, team_ids)


def members_of_teams(tables: DirectoryTables, team_ids: Iterable[str]):
    """A subquery of the users the directory has in any of `team_ids`, for `owner_id IN (...)` filters."""
    return select(tables.user_teams.c.user_id).where(tables.user_teams.c.team_id.in_(sorted(set(team_ids))))


def keep_user_in_directory(envelope: Envelope, directory: Directory) -> bool:
    """A user registered or changed: their roles, teams and active flag replace what the directory had."""
    return directory.apply(directory_entry(envelope))
