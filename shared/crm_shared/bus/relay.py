"""The outbox relay: publishes committed events to the bus and marks them published."""
from __future__ import annotations

import json
import logging
import threading
from typing import Callable

from kombu import Connection, Producer
from sqlalchemy import Engine, select, update

from crm_shared.bus.topology import Topology
from crm_shared.db import outbox
from crm_shared.envelope import Envelope, utc_now

log = logging.getLogger(__name__)

RETRY_POLICY = {"interval_start": 0.2, "interval_step": 0.5, "interval_max": 2.0, "max_retries": 10}


class OutboxRelay:
    """Publishes outbox rows in order, persistent, mandatory and confirmed, then marks them.

    A crash after the broker confirmed and before the mark re-publishes those rows on the next
    run: consumers deduplicate on the event id, so that is safe. On PostgreSQL concurrent relays
    skip each other's locked rows; on SQLite the transaction takes the write lock up front.
    """

    def __init__(
        self,
        engine: Engine,
        connect: Callable[[], Connection],
        topology: Topology,
        batch_size: int = 500,
        poll_seconds: float = 0.05,
    ):
        self.engine = engine
        self.connect = connect
        self.topology = topology
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.returned = 0
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            self._connection = self.connect()
            self._connection.ensure_connection(max_retries=3)
            self.topology.declare(self._connection)
            channel = self._connection.default_channel
            # Only AMQP channels report returned messages; the embedded bus has no such callback.
            on_return = self._on_return if hasattr(channel, "events") else None
            self._producer = Producer(channel, on_return=on_return)
        return self._producer

    def _on_return(self, exception, exchange, routing_key, message) -> None:
        # Mandatory publishing makes the broker tell us when no queue is bound for an event.
        self.returned += 1
        log.warning("event %s was not routed to any queue (%s)", routing_key, exception)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.release()
        self._connection = None
        self._producer = None

    def publish_batch(self) -> int:
        """Publish up to `batch_size` pending events; returns how many were published."""
        query = (
            select(outbox.c.position, outbox.c.name, outbox.c.body)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.position)
            .limit(self.batch_size)
        )
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
            if not rows:
                return 0
            producer = self._ensure_producer()
            for row in rows:
                envelope = Envelope.from_dict(json.loads(row.body))
                producer.publish(
                    row.body,
                    exchange=self.topology.exchange,
                    routing_key=row.name,
                    mandatory=True,
                    retry=True,
                    retry_policy=RETRY_POLICY,
                    **envelope.amqp_properties(),
                )
            connection.execute(
                update(outbox)
                .where(outbox.c.position.in_([row.position for row in rows]))
                .values(published_at=utc_now())
            )
        return len(rows)

    def run(self, stop: threading.Event) -> None:
        """Publish until `stop` is set; failures are logged and retried, never fatal."""
        failures = 0
        while not stop.is_set():
            try:
                published = self.publish_batch()
                failures = 0
            except Exception:
                failures += 1
                log.exception("outbox relay failed (attempt %d); retrying", failures)
                self.close()
                stop.wait(min(0.5 * failures, 5.0))
                continue
            if published == 0:
                stop.wait(self.poll_seconds)
        self.close()
