"""No event lost, no effect doubled: 10,000 state changes flow through the outbox while RabbitMQ restarts twice."""
from __future__ import annotations

import threading
import time

import pytest

from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.relay import OutboxRelay
from fault_service import (
    CONSUMER, EVENT, change_widgets, queue_depth, record_effect, rows_per_event, unpublished, wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.long]

TOTAL = 10_000
PER_UNIT_OF_WORK = 10
# The second restart is made while the consumer holds this event, committed and not yet acknowledged.
RESTART_WHILE_HANDLING = 7_000


# One event per unit of work, and batches of 50 as a read model's consumer takes them (several events a
# transaction, one multiple ack per batch, the batch's database work in a thread beside the reading).
@pytest.mark.parametrize("batch_size", [1, 50], ids=["one_by_one", "batched"])
@pytest.mark.timeout(300)
def test_every_state_change_is_processed_exactly_once_while_rabbitmq_restarts_twice(
    fault_engine, uow_factory, fault_bus, faults_rabbitmq, background, batch_size
):
    url, topology = fault_bus
    first_restart_done = threading.Event()
    broker_down = threading.Event()
    restarts: list[str] = []

    def restart_while_holding_an_unacked_message() -> None:
        faults_rabbitmq.stop_app()
        broker_down.set()
        faults_rabbitmq.start_app()
        restarts.append("while an event was handled and not yet acknowledged")

    def handler(envelope, uow) -> None:
        record_effect(envelope, uow)
        if (envelope.payload["number"] >= RESTART_WHILE_HANDLING and first_restart_done.is_set()
                and not broker_down.is_set() and len(restarts) == 1):
            threading.Thread(target=restart_while_holding_an_unacked_message, daemon=True).start()
            # Commit only once the broker is gone: the ack after the commit cannot reach it, so the
            # broker must deliver this event again, and the inbox must recognise it.
            assert broker_down.wait(90), "the broker did not stop"

    consumer = EventConsumer(connect(url), topology, CONSUMER, {EVENT: handler}, uow_factory, retry_delay=0.01,
                             batch_size=batch_size)
    with connect(url) as connection:
        topology.declare(connection, [consumer.queue])
    relay = OutboxRelay(fault_engine, lambda: connect(url), topology, batch_size=200)

    written: list = []

    def write_state_changes(stop: threading.Event) -> None:
        for start in range(0, TOTAL, PER_UNIT_OF_WORK):
            if stop.is_set():
                return
            written.extend(change_widgets(uow_factory, list(range(start, start + PER_UNIT_OF_WORK))))
            time.sleep(0.002)  # a steady stream of changes rather than one burst, so the restart cuts into it

    background.start(write_state_changes, "writer")
    background.start(relay.run, "relay")
    background.start(consumer.run_until, "consumer")

    wait_for(lambda: len(written) >= 2_000, timeout=60, what="2,000 state changes written")
    written_at_first_restart = len(written)
    faults_rabbitmq.restart()
    restarts.append("while state changes were written and relayed")
    first_restart_done.set()

    wait_for(lambda: len(restarts) == 2, timeout=150, what="the second restart (consumer holding an unacked event)")
    wait_for(lambda: len(written) == TOTAL and unpublished(fault_engine) == 0, timeout=120,
             what="every state change written and its event published")
    wait_for(lambda: consumer.processed >= TOTAL and queue_depth(url, consumer.queue) == 0, timeout=150,
             what=f"{TOTAL} events processed", interval=0.5)
    time.sleep(1.0)  # let any redelivery still on its way arrive
    background.stop_all()
    consumer.connection.release()

    assert written_at_first_restart < TOTAL, "the first restart came while changes were still being written"
    per_event = rows_per_event(fault_engine)
    assert set(per_event) == {envelope.id for envelope in written}, "every event has an effect, none invented"
    doubled = {event_id: parts for event_id, parts in per_event.items() if parts != [1]}
    assert not doubled, f"{len(doubled)} events had their effect applied more than once"
    assert consumer.processed == TOTAL
    # The restarts did cause redeliveries, and the inbox absorbed them.
    assert consumer.duplicates >= 1
    assert consumer.dead_lettered == 0
    assert relay.returned == 0
    # Drained: nothing waiting in the consumer's queue (unacked messages would be back in it by now).
    assert queue_depth(url, consumer.queue) == 0
    assert queue_depth(url, topology.dead_letter_queue) == 0
