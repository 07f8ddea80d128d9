"""The idempotent consumer: handle each event once, ack after commit, dead-letter what keeps failing."""
from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Callable, Mapping

from kombu import Connection, Consumer, Producer
from kombu.mixins import ConsumerMixin
from sqlalchemy.exc import InterfaceError, OperationalError

from crm_shared import context, inbox
from crm_shared.bus.relay import RETRY_POLICY
from crm_shared.bus.topology import Topology
from crm_shared.envelope import Envelope, InvalidEnvelope
from crm_shared.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, UnitOfWork], None]

# Errors that say the database is away, not that the event is bad: wait and try again without
# spending an attempt, so a database restart never sends good events to the dead-letter queue.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class EventConsumer(ConsumerMixin):
    """Consumes one service's queue; each handler runs in a unit of work with the inbox row."""

    def __init__(
        self,
        connection: Connection,
        topology: Topology,
        name: str,
        handlers: Mapping[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        attempts: int = 3,
        prefetch_count: int = 50,
        retry_delay: float = 0.2,
    ):
        self.connection = connection
        self.topology = topology
        self.name = name
        self.handlers = dict(handlers)
        self.uow_factory = uow_factory
        self.attempts = attempts
        self.prefetch_count = prefetch_count
        self.retry_delay = retry_delay
        self.queue = topology.consumer_queue(name, self.handlers)
        self.processed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self._dead_letter_connection: Connection | None = None

    def get_consumers(self, consumer_class, channel):
        self.topology.declare(self.connection, [self.queue])
        return [
            consumer_class(
                queues=[self.queue],
                on_message=self.on_message,
                prefetch_count=self.prefetch_count,
                accept=["application/json"],
            )
        ]

    def stop(self) -> None:
        self.should_stop = True

    # -- one message ----------------------------------------------------------------------------

    def on_message(self, message) -> None:
        try:
            envelope = Envelope.from_json(message.body)
        except InvalidEnvelope as error:
            self.dead_letter(message, routing_key="invalid", reason=f"invalid envelope: {error}", attempts=0)
            message.ack()
            return
        handler = self.handlers.get(envelope.name)
        if handler is None:
            log.warning("%s has no handler for %s; acknowledged without effect", self.name, envelope.name)
            message.ack()
            return
        failures = 0
        while True:
            try:
                self.handle(envelope, handler)
                break
            except TRANSIENT_ERRORS:
                if self.should_stop:
                    return  # not acked: the broker redelivers it to whoever runs next
                log.exception("database unavailable while %s handled %s; waiting", self.name, envelope.name)
                time.sleep(1.0)
            except Exception:
                failures += 1
                log.exception("%s failed on %s (attempt %d of %d)", self.name, envelope.id, failures, self.attempts)
                if failures >= self.attempts:
                    self.dead_letter(
                        message, routing_key=envelope.name, reason=traceback.format_exc(limit=5), attempts=failures
                    )
                    break
                time.sleep(self.retry_delay * failures)
        message.ack()

    def handle(self, envelope: Envelope, handler: Handler) -> bool:
        """Apply `handler` once: the inbox row and the effects commit together, or neither does."""
        with context.use(envelope.caused_context()):
            with self.uow_factory() as uow:
                if not inbox.first_delivery(uow.session, self.name, envelope):
                    self.duplicates += 1
                    return False
                handler(envelope, uow)
                uow.commit()
        self.processed += 1
        return True

    def dead_letter(self, message, *, routing_key: str, reason: str, attempts: int) -> None:
        """Send the message, body untouched, to the dead-letter exchange with why it failed."""
        if self._dead_letter_connection is None:
            self._dead_letter_connection = self.connection.clone()
        headers = dict(message.headers or {})
        headers.update({"x-crm-consumer": self.name, "x-crm-error": reason[-4000:], "x-crm-attempts": attempts})
        properties = {
            key: message.properties[key]
            for key in ("message_id", "type", "correlation_id", "timestamp")
            if message.properties.get(key) is not None
        }
        producer = Producer(self._dead_letter_connection)
        producer.publish(
            message.body,
            exchange=self.topology.dead_letter_exchange,
            routing_key=routing_key,
            headers=headers,
            content_type=message.content_type or "application/json",
            content_encoding=message.content_encoding or "utf-8",
            delivery_mode=2,
            retry=True,
            retry_policy=RETRY_POLICY,
            declare=[self.topology.dead_letter_exchange, self.topology.dead_letter_queue],
            **properties,
        )
        self.dead_lettered += 1
        log.error("%s dead-lettered a message (%s)", self.name, reason.splitlines()[-1] if reason else "")

    def run_until(self, stop: threading.Event) -> None:
        """Consume until `stop` is set (the worker's signal handler sets it)."""
        watcher = threading.Thread(target=lambda: (stop.wait(), self.stop()), daemon=True)
        watcher.start()
        self.run()
        if self._dead_letter_connection is not None:
            self._dead_letter_connection.release()
