"""A tiny service for the fault tests: state changes that emit events, and handlers whose effects can be counted.

Both the test process and the worker processes it starts (fault_worker.py) import it, so they agree on
the tables, the event name and what each handler writes.
"""
from __future__ import annotations

import time
from typing import Callable

from kombu import Queue
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select

from crm_shared.bus.connection import connect
from crm_shared.db import messaging_metadata, outbox
from crm_shared.envelope import Envelope
from crm_shared.uow import UnitOfWork

EVENT = "faults.widget.changed.v1"
CONSUMER = "faults-consumer"

metadata = MetaData()
# The producing side's state: one row per change, written in the same transaction as its event.
widgets = Table(
    "widgets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", Integer, nullable=False),
)
# The consuming side's effects. Deliberately no unique constraint: a doubled effect shows as two rows.
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("number", Integer, nullable=False),
    Column("part", Integer, nullable=False),
)


def create_tables(engine: Engine) -> None:
    messaging_metadata.create_all(engine)
    metadata.create_all(engine)


def change_widgets(uow_factory: Callable[[], UnitOfWork], numbers: list[int]) -> list[Envelope]:
    """One unit of work: a widget row per number and its event through the outbox, committed together."""
    events = [Envelope.new(EVENT, {"number": number}, producer="faults") for number in numbers]
    with uow_factory() as uow:
        uow.session.execute(insert(widgets), [{"number": number} for number in numbers])
        for envelope in events:
            uow.emit(envelope)
        uow.commit()
    return events


def record_effect(envelope: Envelope, uow: UnitOfWork) -> None:
    uow.session.execute(insert(effects).values(event_id=envelope.id, number=envelope.payload["number"], part=1))


def record_pair(envelope: Envelope, uow: UnitOfWork) -> None:
    """Two rows per event, flushed apart, so a transaction cut between them would show as half an effect."""
    record_effect(envelope, uow)
    uow.session.flush()
    time.sleep(0.001)
    uow.session.execute(insert(effects).values(event_id=envelope.id, number=envelope.payload["number"], part=2))


def effect_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(effects)).scalar_one()


def rows_per_event(engine: Engine) -> dict[str, list[int]]:
    """{event_id: sorted parts} of every effect row."""
    found: dict[str, list[int]] = {}
    with engine.connect() as connection:
        for event_id, part in connection.execute(select(effects.c.event_id, effects.c.part)):
            found.setdefault(event_id, []).append(part)
    return {event_id: sorted(parts) for event_id, parts in found.items()}


def unpublished(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()


def queue_depth(bus_url: str, queue: Queue) -> int:
    """Messages ready in `queue`, asked with a passive declare (no management plugin needed)."""
    with connect(bus_url) as connection:
        _name, messages, _consumers = connection.default_channel.queue_declare(queue=queue.name, passive=True)
        return messages


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
