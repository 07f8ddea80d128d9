"""The live_events table: appended to by the gateway worker, read by the web processes' pollers."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Iterable

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_shared.envelope import Envelope, utc_now
from gateway.db import live_events


@dataclass(frozen=True)
class LiveEvent:
    """One stored envelope and its position in the table."""

    position: int
    event_id: str
    name: str
    body: str
    # The teams of the people the event is about, as they were when the worker stored it.
    owner_team_ids: frozenset[str] = frozenset()

    @cached_property
    def payload(self) -> dict[str, Any]:
        payload = json.loads(self.body).get("payload")
        return payload if isinstance(payload, dict) else {}


def append(session: Session, envelope: Envelope, owner_team_ids: Iterable[str] = ()) -> None:
    """Record an envelope for the browsers; a second copy of the same event is ignored."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(live_events)
        .values(
            event_id=envelope.id,
            name=envelope.name,
            body=envelope.to_json(),
            owner_team_ids=sorted(set(owner_team_ids)),
            occurred_at=envelope.occurred,
            created_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


def _events(rows) -> list[LiveEvent]:
    return [
        LiveEvent(row.position, row.event_id, row.name, row.body, frozenset(row.owner_team_ids or ()))
        for row in rows
    ]


def read_after(connection: Connection, position: int, limit: int = 500) -> list[LiveEvent]:
    """Events after `position`, oldest first."""
    rows = connection.execute(
        select(
            live_events.c.position,
            live_events.c.event_id,
            live_events.c.name,
            live_events.c.body,
            live_events.c.owner_team_ids,
        )
        .where(live_events.c.position > position)
        .order_by(live_events.c.position)
        .limit(limit)
    ).all()
    return _events(rows)


def latest_position(connection: Connection) -> int:
    return connection.execute(select(func.coalesce(func.max(live_events.c.position), 0))).scalar_one()


def position_of(connection: Connection, event_id: str) -> int | None:
    return connection.execute(
        select(live_events.c.position).where(live_events.c.event_id == event_id)
    ).scalar_one_or_none()


def prune(engine: Engine, older_than: datetime) -> int:
    """Delete events recorded before `older_than`; a browser away longer reloads its page instead."""
    with engine.begin() as connection:
        return connection.execute(delete(live_events).where(live_events.c.created_at < older_than)).rowcount
