"""The registry of read models: add a projection module and list it in PROJECTIONS, nothing else."""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from crm_shared.envelope import Envelope
from reporting.projections import channel_stats, lead_facts, people, sales_facts, ticket_facts
from reporting.projections.base import Projection

PROJECTIONS: tuple[Projection, ...] = (
    people.PROJECTION,
    channel_stats.PROJECTION,
    lead_facts.PROJECTION,
    sales_facts.PROJECTION,
    ticket_facts.PROJECTION,
)


def consumed_events() -> list[str]:
    """Every event name some read model needs, so the worker's queue is bound to each."""
    return sorted({name for projection in PROJECTIONS for name in projection.handlers})


def apply(envelope: Envelope, session: Session) -> None:
    """Project one event onto every read model that cares about it, in the caller's transaction."""
    for projection in PROJECTIONS:
        handler = projection.handlers.get(envelope.name)
        if handler is not None:
            handler(envelope, session)


def clear(session: Session) -> None:
    """Empty every read model (DELETE, not TRUNCATE, so dashboards keep reading the old numbers meanwhile)."""
    for projection in PROJECTIONS:
        for table in projection.tables:
            session.execute(delete(table))
