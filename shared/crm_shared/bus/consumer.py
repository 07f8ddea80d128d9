"""The idempotent consumer: handle each event once, ack after commit, dead-letter what keeps failing."""
from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from kombu import Connection, Consumer, Producer
from kombu.mixins import ConsumerMixin
from kombu.transport.virtual import Channel as VirtualChannel
from sqlalchemy.exc import InterfaceError, OperationalError

from crm_shared import context, inbox
from crm_shared.bus.relay import RETRY_POLICY
from crm_shared.bus.topology import Topology
from crm_shared.envelope import Envelope, InvalidEnvelope
from crm_shared.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, UnitOfWork], None]


@dataclass(frozen=True)
class BatchHandler:
    """A handler that can also apply many events at once, set-based, for read models fed fast.

    `one` handles a single event (as any handler); `many` applies several first deliveries, in arrival
    order, in the caller's unit of work, and must leave what `one` applied to each in turn would. It runs
    in no single event's message context, so it emits no events.
    """

    one: Handler
    many: Callable[[Sequence[Envelope], UnitOfWork], None]

    def __call__(self, envelope: Envelope, uow: UnitOfWork) -> None:
        self.one(envelope, uow)


# Errors that say the database is away, not that the event is bad: wait and try again without
# spending an attempt, so a database restart never sends good events to the dead-letter queue.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class EventConsumer(ConsumerMixin):
    """Consumes one service's queue; each handler runs in a unit of work with the inbox row.

    With `batch_size` > 1 the messages that arrive together are handled in ONE unit of work, committed
    once, then acked: a commit per event caps a consumer near the database's commit rate (~5,000/s here),
    a read model that takes thousands of events a second needs fewer commits. A batch is handed over when
    it holds `batch_size` messages, when no further message came for `batch_wait` seconds (the broker
    has nothing more ready), or when its first message has waited `batch_max_wait` seconds. Counting
    `batch_wait` from the last message rather than the first lets a backlog fill whole batches: reading
    a few hundred messages from the broker takes longer than batch_wait, and half-full batches cost
    nearly twice as much per event. Each event still has its own inbox row (all written by one
    statement), so redeliveries stay harmless; consecutive events of one BatchHandler go to its `many`
    together. If anything in a batch fails, the batch is rolled back and its messages are handled one by
    one as without batching, so one poison message is dead-lettered alone.

    A batch's database work runs in a thread of its own while this thread reads the next batch from the
    broker: waiting on the database took a third of a batching consumer's time, reading the broker
    another third, one after the other. One batch at most is in that thread, and the next is handed over
    only once it is settled, so batches still apply in arrival order. Everything that talks to the
    broker (acks, dead letters, the one-by-one retries of a failed batch) stays in this thread: a kombu
    connection is not shared between threads.
    """

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
        batch_size: int = 1,
        batch_wait: float = 0.02,
        batch_max_wait: float = 0.25,
    ):
        self.connection = connection
        self.topology = topology
        self.name = name
        self.handlers = dict(handlers)
        self.uow_factory = uow_factory
        self.attempts = attempts
        self.batch_size = max(1, batch_size)
        self.batch_wait = batch_wait
        self.batch_max_wait = max(batch_max_wait, batch_wait)
        # The broker must be allowed to send a whole batch ahead while one is in the database and one is
        # gathered, or every batch waits out batch_wait.
        self.prefetch_count = max(prefetch_count, 3 * self.batch_size)
        self.retry_delay = retry_delay
        self._batch: list[tuple[object, Envelope, Handler]] = []
        self._batch_started = 0.0
        self._batch_grew = 0.0
        # The batch whose database work runs in `_batch_thread`, with its outcome; None when there is none.
        self._in_database: tuple[list[tuple[object, Envelope, Handler]], Future] | None = None
        self._batch_thread: ThreadPoolExecutor | None = None
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

    def on_consume_ready(self, connection, channel, consumers, **kwargs) -> None:
        # After a reconnect, messages gathered on the old channel can no longer be acked; the broker
        # redelivers them, so they are dropped here rather than handled twice (the inbox would stop it anyway).
        # The same for a batch still in the database: it is let finish, and not acked.
        if self._in_database is not None:
            wait([self._in_database[1]])
            self._in_database = None
        self._batch = []

    def on_consume_end(self, connection, channel) -> None:
        # Stopping: the channel is still open, so the batch in the database is acked once committed.
        self.settle_batch(block=True)

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
        if self.batch_size > 1:
            self._batch_grew = time.monotonic()
            if not self._batch:
                self._batch_started = self._batch_grew
            self._batch.append((message, envelope, handler))
            if len(self._batch) >= self.batch_size:
                self.flush_batch()
            return
        self.handle_one(message, envelope, handler)

    def on_iteration(self) -> None:
        # Called between reads from the broker (after each message, or after `safety_interval` without one,
        # see run_until): a batch that stopped growing is handled now rather than waiting for more messages
        # that may never come, and one that keeps growing slowly is handled after batch_max_wait.
        self.settle_batch(block=False)
        if self._batch:
            now = time.monotonic()
            if now - self._batch_grew >= self.batch_wait or now - self._batch_started >= self.batch_max_wait:
                self.flush_batch()

    def flush_batch(self) -> None:
        """Settle the batch in the database, then hand the gathered messages to the batch thread."""
        batch, self._batch = self._batch, []
        self.settle_batch(block=True)
        if self.should_stop:
            # Left unacked for whoever runs next; and no later batch may be acked with `multiple`, which
            # would ack a message the one-by-one path left unacked while stopping.
            return
        if self._batch_thread is None:
            self._batch_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-batches")
        self._in_database = (batch, self._batch_thread.submit(self.apply_batch, batch))

    def apply_batch(self, batch: list[tuple[object, Envelope, Handler]]) -> bool:
        """In the batch thread: handle the batch in one unit of work; True once committed, False if
        stopped while the database was away. Raises what the batch failed with."""
        while True:
            try:
                self.handle_many([(envelope, handler) for _, envelope, handler in batch])
                return True
            except TRANSIENT_ERRORS:
                if self.should_stop:
                    return False  # none acked: the broker redelivers them to whoever runs next
                log.exception("database unavailable while %s handled a batch; waiting", self.name)
                time.sleep(1.0)

    def settle_batch(self, block: bool) -> None:
        """Ack the batch in the database once committed; if it failed, handle its messages one by one.

        Without `block`, only if its database work is already over."""
        if self._in_database is None:
            return
        batch, outcome = self._in_database
        if not block and not outcome.done():
            return
        self._in_database = None
        try:
            committed = outcome.result()
        except Exception:
            log.exception("%s failed on a batch of %d; handling them one by one", self.name, len(batch))
            for message, envelope, handler in batch:
                self.handle_one(message, envelope, handler)
            return
        if committed:
            self.ack_all([message for message, _, _ in batch])

    @staticmethod
    def ack_all(messages: list) -> None:
        """Acknowledge a committed batch: on RabbitMQ one ack for all, a frame per message otherwise.

        `multiple` acks every unacked delivery on the channel up to the last one's tag. Safe here: the
        batch holds every delivery since the previous batch (those acked on arrival aside), in delivery
        order, all from one channel (a reconnect drops the batches), and the batch before it is settled.
        kombu's virtual transports (the embedded bus) ignore `multiple`, so there each message is acked.
        """
        last = messages[-1]
        if isinstance(last.channel, VirtualChannel):
            for message in messages:
                message.ack()
        else:
            last.ack(multiple=True)

    def handle_one(self, message, envelope: Envelope, handler: Handler) -> None:
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

    def handle_many(self, batch: list[tuple[Envelope, Handler]]) -> None:
        """Apply each handler once (inbox row each) in a single unit of work: all commit, or none does."""
        with self.uow_factory() as uow:
            new = inbox.first_deliveries(uow.session, self.name, [envelope for envelope, _ in batch])
            fresh = []
            for envelope, handler in batch:
                if envelope.id in new:
                    new.discard(envelope.id)  # twice in one batch: the second is a duplicate
                    fresh.append((envelope, handler))
            self.duplicates += len(batch) - len(fresh)
            for handler, run in itertools.groupby(fresh, key=lambda pair: pair[1]):
                if isinstance(handler, BatchHandler):
                    handler.many([envelope for envelope, _ in run], uow)
                    continue
                for envelope, _ in run:
                    with context.use(envelope.caused_context()):
                        handler(envelope, uow)
            uow.commit()
        self.processed += len(fresh)

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
        # A short read timeout when batching, so on_iteration hands a quiet batch over within batch_wait.
        self.run(safety_interval=self.batch_wait if self.batch_size > 1 else 1)
        if self._batch_thread is not None:
            self._batch_thread.shutdown()
        if self._dead_letter_connection is not None:
            self._dead_letter_connection.release()
