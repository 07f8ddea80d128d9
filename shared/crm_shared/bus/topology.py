"""The bus topology: one topic exchange, a queue per consuming service, and the dead-letter pair."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from kombu import Connection, Exchange, Queue, binding

from crm_shared.settings import Settings


@dataclass(frozen=True)
class Topology:
    """Names on the broker. Tests give each run its own exchange and queue prefix to stay isolated."""

    exchange_name: str
    queue_prefix: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> "Topology":
        return cls(exchange_name=settings.exchange, queue_prefix=settings.queue_prefix)

    @property
    def exchange(self) -> Exchange:
        return Exchange(self.exchange_name, type="topic", durable=True)

    @property
    def dead_letter_exchange(self) -> Exchange:
        return Exchange(f"{self.exchange_name}.dead-letter", type="topic", durable=True)

    @property
    def dead_letter_queue(self) -> Queue:
        return Queue(
            f"{self.queue_prefix}{self.exchange_name}.dead-letter",
            exchange=self.dead_letter_exchange,
            routing_key="#",
            durable=True,
        )

    def consumer_queue(self, consumer: str, event_names: Iterable[str]) -> Queue:
        """The durable queue of one consuming service, bound to each event name it handles."""
        return Queue(
            f"{self.queue_prefix}{self.exchange_name}.{consumer}",
            [binding(self.exchange, routing_key=name) for name in sorted(set(event_names))],
            durable=True,
            queue_arguments={"x-dead-letter-exchange": self.dead_letter_exchange.name},
        )

    def declare(self, connection: Connection, queues: Iterable[Queue] = ()) -> None:
        """Declare the exchanges, the dead-letter queue and `queues` with their bindings (idempotent)."""
        channel = connection.default_channel
        self.exchange.declare(channel=channel)
        self.dead_letter_exchange.declare(channel=channel)
        self.dead_letter_queue.declare(channel=channel)
        for queue in queues:
            queue(channel).declare()
