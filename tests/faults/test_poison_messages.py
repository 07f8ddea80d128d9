"""Poison isolated: 10 events no handler can take, among 10,000, end in the dead-letter queue and block nothing."""
from __future__ import annotations

import random
import time

import pytest

from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer
from crm_shared.envelope import Envelope
from crm_shared.testing import drain
from fault_service import (
    CONSUMER, EVENT, change_widgets, queue_depth, record_effect, rows_per_event, unpublished, wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.long]

TOTAL = 10_000
ATTEMPTS = 2


@pytest.mark.timeout(240)
def test_ten_poison_messages_in_ten_thousand_are_dead_lettered_intact_and_the_rest_processed_once(
    fault_engine, fault_database_url, uow_factory, fault_bus, background, workers
):
    url, topology = fault_bus
    poison_numbers = set(random.Random(20261127).sample(range(TOTAL), 10))
    attempts_per_poison: dict[str, int] = {}

    def handler(envelope, uow) -> None:
        if envelope.payload["number"] in poison_numbers:
            attempts_per_poison[envelope.id] = attempts_per_poison.get(envelope.id, 0) + 1
            raise ValueError(f"widget {envelope.payload['number']} cannot be handled")
        record_effect(envelope, uow)

    # Batches, as the read models consume: a poison message must fail alone, not with its batch.
    consumer = EventConsumer(connect(url), topology, CONSUMER, {EVENT: handler}, uow_factory,
                             attempts=ATTEMPTS, retry_delay=0.01, batch_size=50)
    with connect(url) as connection:
        topology.declare(connection, [consumer.queue])
    events = []
    for start in range(0, TOTAL, 500):
        events.extend(change_widgets(uow_factory, list(range(start, start + 500))))
    poison = {envelope.id: envelope for envelope in events if envelope.payload["number"] in poison_numbers}
    # The relay in a process of its own, as in production: the consumer here gets the test process's CPU.
    relay = workers.start(role="relay", database_url=fault_database_url, bus_url=url,
                          exchange=topology.exchange_name)
    background.start(consumer.run_until, "consumer")

    wait_for(lambda: consumer.processed + consumer.dead_lettered >= TOTAL, timeout=180,
             what="every event processed or dead-lettered", interval=0.5)
    wait_for(lambda: unpublished(fault_engine) == 0 and queue_depth(url, consumer.queue) == 0, timeout=30,
             what="the outbox and the queue empty")
    time.sleep(0.5)
    assert workers.stop(relay) == 0, workers.log_tail(relay)
    background.stop_all()
    consumer.connection.release()

    with connect(url) as connection:
        dead = drain(connection, topology.dead_letter_queue, expected=len(poison) + 1, timeout=3)
    assert len(dead) == len(poison), "exactly the poison messages are dead-lettered"
    for message in dead:
        envelope = Envelope.from_json(message.body)
        original = poison[envelope.id]
        assert message.body == original.to_json(), "the dead-lettered body is the envelope as published"
        assert message.properties["message_id"] == original.id
        assert message.headers["x-crm-consumer"] == CONSUMER
        assert message.headers["x-crm-attempts"] == ATTEMPTS
        assert f"widget {original.payload['number']} cannot be handled" in message.headers["x-crm-error"]
    # Each poison message was tried ATTEMPTS times on its own, after (at most) once within its failed batch.
    assert set(attempts_per_poison) == set(poison)
    assert all(ATTEMPTS <= tries <= ATTEMPTS + 1 for tries in attempts_per_poison.values()), attempts_per_poison

    # Nothing silently dropped: each event is either processed once or dead-lettered.
    per_event = rows_per_event(fault_engine)
    assert set(per_event) == {envelope.id for envelope in events} - set(poison)
    assert all(parts == [1] for parts in per_event.values()), "an effect was applied twice"
    assert consumer.processed == TOTAL - len(poison)
    assert consumer.dead_lettered == len(poison)
    assert queue_depth(url, consumer.queue) == 0
    assert queue_depth(url, topology.dead_letter_queue) == 0
