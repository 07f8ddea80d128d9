"""The inbox: remembers which events a consumer has handled, so a redelivery has no second effect."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_shared.db import inbox
from crm_shared.envelope import Envelope, utc_now


def first_delivery(session: Session, consumer: str, envelope: Envelope) -> bool:
    """Mark `envelope` as handled by `consumer` in the caller's transaction; False if it already was.

    A concurrent duplicate blocks on the primary key until the first transaction ends, then
    inserts nothing, so exactly one of them goes on to apply the effects.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(inbox)
        .values(consumer=consumer, event_id=envelope.id, event_name=envelope.name, processed_at=utc_now())
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(inbox.c.event_id)
    )
    # RETURNING rather than rowcount: psycopg reports -1 for this statement under SQLAlchemy 2.1.
    return session.execute(statement).first() is not None
