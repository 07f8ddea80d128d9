"""The event archive: every consumed envelope, appended once, replayed in the order things happened."""
from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Iterator, Sequence

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import Session

from crm_shared.bulk import BulkInsert
from crm_shared.envelope import Envelope, format_time, utc_now
from reporting.db import event_archive

REPLAY_ORDER = (event_archive.c.occurred_at, event_archive.c.received_at, event_archive.c.event_id)


class EventArchive:
    """The append-only archive of consumed events, in the caller's transaction."""

    def __init__(self, session: Session):
        self.session = session

    def append(self, envelope: Envelope) -> bool:
        """Store the envelope; False if the archive already holds it (then nothing may count it again)."""
        return envelope.id in self.append_all([envelope])

    def append_all(self, envelopes: Sequence[Envelope]) -> set[str]:
        """Store the envelopes in one statement; the ids of those the archive did not hold yet.

        The inbox already lets each event through once per consumer; this makes the archive itself the
        guard, so a duplicate that reaches it another way (a replayed export, a second queue, twice in one
        batch) counts once.
        """
        received = utc_now()
        rows: dict[str, dict] = {}
        for index, envelope in enumerate(envelopes):
            if envelope.id in rows:
                continue
            rows[envelope.id] = {
                "event_id": envelope.id,
                "name": envelope.name,
                "occurred_at": envelope.occurred,
                "producer": envelope.producer,
                "actor": envelope.actor,
                "correlation_id": envelope.correlation_id,
                "causation_id": envelope.causation_id,
                "payload": envelope.payload,
                # A microsecond apart in arrival order, so a replay breaks ties of occurred_at as they arrived.
                "received_at": received + timedelta(microseconds=index),
            }
        if not rows:
            return set()
        statement, bulk = _append_statement(self.session.get_bind().dialect.name)
        # Sorted by id so that concurrent appends take their locks in one order; RETURNING, not rowcount:
        # a row comes back only if this statement inserted it.
        return set(self.session.execute(statement, bulk.parameters([rows[key] for key in sorted(rows)])).scalars())

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


@cache
def _append_statement(dialect: str):
    bulk = BulkInsert(dialect, event_archive, [column.name for column in event_archive.c])
    statement = bulk.statement.on_conflict_do_nothing(index_elements=[event_archive.c.event_id])
    return statement.returning(event_archive.c.event_id), bulk


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
