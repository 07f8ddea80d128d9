"""The registry of read models: add a projection module and list it in PROJECTIONS, nothing else."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from crm_shared.envelope import Envelope
from reporting import rollup_sql
from reporting.config import reporting_time_zone
from reporting.projections import channel_stats, lead_facts, people, sales_facts, ticket_facts
from reporting.projections.base import Projection
from reporting.projections.changes import Changes

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


def apply(envelope: Envelope, changes: Changes) -> None:
    """Add what one event does to every read model that cares about it to the batch's changes."""
    for projection in PROJECTIONS:
        handler = projection.handlers.get(envelope.name)
        if handler is not None:
            handler(envelope, changes)


def project(envelopes: Iterable[Envelope], session: Session) -> None:
    """Project the events, in this order, onto every read model, in the caller's transaction.

    Set-based: the batch's changes are folded per table and row, then written a statement per table
    (see projections/changes.py), which leaves what projecting them one after the other would.
    """
    changes = Changes()
    for envelope in envelopes:
        apply(envelope, changes)
    # The database derives columns and roll-ups from what each write finds committed (rollup_sql.py).
    rollup_sql.hold_projection_lock(session)
    changes.write(session)


def clear(session: Session) -> None:
    """Empty every read model (DELETE, not TRUNCATE, so dashboards keep reading the old numbers meanwhile).

    Dependants first (tickets and sales facts before the leads they are credited to), so the database's
    derived columns have nothing left to bring up to date; the roll-ups, emptied with their facts, are then
    keyed by the configured time zone's days for the replay.
    """
    for projection in reversed(PROJECTIONS):
        for table in reversed(projection.tables):
            session.execute(delete(table))
    if session.get_bind().dialect.name == "postgresql":
        rollup_sql.refill(session.connection(), reporting_time_zone().key)
