"""The event archive: every consumed envelope, appended once, replayed in the order things happened."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import literal, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_shared.envelope import Envelope, format_time, utc_now
from reporting.db import event_archive

REPLAY_ORDER = (event_archive.c.occurred_at, event_archive.c.received_at, event_archive.c.event_id)


class EventArchive:
    """The append-only archive of consumed events, in the caller's transaction."""

    def __init__(self, session: Session):
        self.session = session

    def append(self, envelope: Envelope) -> bool:
        """Store the envelope; False if the archive already holds it (then nothing may count it again).

        The inbox already lets each event through once per consumer; this makes the archive itself the
        guard, so a duplicate that reaches it another way (a replayed export, a second queue) counts once.
        """
        statement = (
            self._insert()
            .values(
                event_id=envelope.id,
                name=envelope.name,
                occurred_at=envelope.occurred,
                producer=envelope.producer,
                actor=envelope.actor,
                correlation_id=envelope.correlation_id,
                causation_id=envelope.causation_id,
                payload=envelope.payload,
                received_at=utc_now(),
            )
            .on_conflict_do_nothing(index_elements=[event_archive.c.event_id])
            .returning(event_archive.c.event_id)
        )
        # RETURNING, not rowcount: the row comes back only if this statement inserted it.
        return self.session.execute(statement).first() is not None

    def _insert(self):
        dialect = self.session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(event_archive)

    def hold_appends(self) -> None:
        """Make appends by other transactions wait until this one ends; reads go on.

        On PostgreSQL an EXCLUSIVE table lock conflicts only with writers. On SQLite every write
        transaction already holds the database's one write lock (BEGIN IMMEDIATE), so nothing is needed.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.connection().exec_driver_sql("LOCK TABLE event_archive IN EXCLUSIVE MODE")

    def replay(self, batch_size: int = 1000) -> Iterator[Envelope]:
        """Every archived event, oldest first (ties: first received), read in batches of `batch_size`."""
        after = None
        while True:
            query = select(event_archive).order_by(*REPLAY_ORDER).limit(batch_size)
            if after is not None:
                bounds = (literal(value, column.type) for column, value in zip(REPLAY_ORDER, after))
                query = query.where(tuple_(*REPLAY_ORDER) > tuple_(*bounds))
            batch = self.session.execute(query).all()
            for row in batch:
                yield _envelope(row)
            if len(batch) < batch_size:
                return
            last = batch[-1]
            after = (last.occurred_at, last.received_at, last.event_id)


def _envelope(row) -> Envelope:
    return Envelope(
        id=row.event_id,
        name=row.name,
        occurred_at=format_time(row.occurred_at),
        producer=row.producer,
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
        actor=row.actor,
        payload=row.payload,
    )
