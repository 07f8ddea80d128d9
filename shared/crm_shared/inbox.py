"""The inbox: remembers which events a consumer has handled, so a redelivery has no second effect."""
from __future__ import annotations

from functools import cache
from typing import Sequence

from sqlalchemy.orm import Session

from crm_shared.bulk import BulkInsert
from crm_shared.db import inbox
from crm_shared.envelope import Envelope, utc_now


def first_delivery(session: Session, consumer: str, envelope: Envelope) -> bool:
    """Mark `envelope` as handled by `consumer` in the caller's transaction; False if it already was.

    A concurrent duplicate blocks on the primary key until the first transaction ends, then
    inserts nothing, so exactly one of them goes on to apply the effects.
    """
    return envelope.id in first_deliveries(session, consumer, [envelope])


def first_deliveries(session: Session, consumer: str, envelopes: Sequence[Envelope]) -> set[str]:
    """Mark the envelopes as handled by `consumer` in one statement; the ids not marked before.

    An id twice in `envelopes` is marked (and returned) once.
    """
    now = utc_now()
    rows = {
        envelope.id: {"consumer": consumer, "event_id": envelope.id, "event_name": envelope.name, "processed_at": now}
        for envelope in envelopes
    }
    if not rows:
        return set()
    statement, bulk = _mark_statement(session.get_bind().dialect.name)
    # Sorted so that concurrent batches wait on each other's rows in one order, never in a cycle.
    # RETURNING rather than rowcount: psycopg reports -1 for this statement under SQLAlchemy 2.1.
    return set(session.execute(statement, bulk.parameters([rows[key] for key in sorted(rows)])).scalars())


@cache
def _mark_statement(dialect: str):
    bulk = BulkInsert(dialect, inbox, ["consumer", "event_id", "event_name", "processed_at"])
    statement = bulk.statement.on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    return statement.returning(inbox.c.event_id), bulk
