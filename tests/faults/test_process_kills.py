"""Worker processes killed with SIGKILL at the worst moment: effects stay exactly once, redeliveries are absorbed."""
from __future__ import annotations

import subprocess
import time

import pytest

from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.relay import OutboxRelay
from fault_service import (
    CONSUMER, EVENT, change_widgets, queue_depth, record_effect, rows_per_event, unpublished, wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.long]

KILLED = -9  # Popen.returncode of a process ended by SIGKILL


def write_events(uow_factory, total: int, per_unit_of_work: int = 100) -> list:
    events = []
    for start in range(0, total, per_unit_of_work):
        events.extend(change_widgets(uow_factory, list(range(start, min(total, start + per_unit_of_work)))))
    return events


def wait_exit(process: subprocess.Popen, timeout: float, workers) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the worker did not exit within {timeout}s:\n{workers.log_tail(process)}") from None


@pytest.mark.timeout(180)
def test_a_consumer_killed_five_times_between_commit_and_ack_doubles_no_effect(
    fault_engine, fault_database_url, uow_factory, fault_bus, background, workers
):
    url, topology = fault_bus
    total = 2_000
    queue = topology.consumer_queue(CONSUMER, [EVENT])
    with connect(url) as connection:
        topology.declare(connection, [queue])
    events = write_events(uow_factory, total)
    relay = OutboxRelay(fault_engine, lambda: connect(url), topology, batch_size=200)
    background.start(relay.run, "relay")
    chosen = [events[number].id for number in (150, 550, 950, 1350, 1750)]
    consumer_config = dict(
        role="consumer", handler="effects", name=CONSUMER, database_url=fault_database_url, bus_url=url,
        exchange=topology.exchange_name, kill_after=chosen,
    )

    kills = 0
    for _run in range(len(chosen) + 1):
        process = workers.start(**consumer_config)
        if kills == len(chosen):
            break
        returncode = wait_exit(process, 60, workers)
        assert returncode == KILLED, f"the consumer exited with {returncode}:\n{workers.log_tail(process)}"
        kills += 1
    wait_for(lambda: len(rows_per_event(fault_engine)) == total and unpublished(fault_engine) == 0, timeout=90,
             what=f"the effects of all {total} events", interval=0.2)
    wait_for(lambda: queue_depth(url, queue) == 0, timeout=30, what="the queue to drain")
    time.sleep(1.0)  # redeliveries still on their way
    assert workers.stop(process) == 0, workers.log_tail(process)

    assert kills == len(chosen)
    assert sorted(path.name for path in workers.marker_dir.iterdir()) == sorted(chosen), "each chosen event killed once"
    per_event = rows_per_event(fault_engine)
    assert set(per_event) == {envelope.id for envelope in events}
    assert all(parts == [1] for parts in per_event.values()), "an effect was applied twice"
    # Each killed event had committed its effect but not been acked: it came again and the inbox stopped it.
    duplicates = workers.duplicates()
    assert set(chosen) <= set(duplicates), f"not every killed event was redelivered: {duplicates}"
    assert queue_depth(url, queue) == 0
    assert queue_depth(url, topology.dead_letter_queue) == 0


@pytest.mark.timeout(180)
def test_a_relay_killed_between_the_brokers_confirm_and_marking_the_rows_only_duplicates_deliveries(
    fault_engine, fault_database_url, uow_factory, fault_bus, background, workers
):
    url, topology = fault_bus
    total, batch_size, relay_kills = 1_000, 100, 3
    consumer = EventConsumer(connect(url), topology, CONSUMER, {EVENT: record_effect}, uow_factory)
    with connect(url) as connection:
        topology.declare(connection, [consumer.queue])
    events = write_events(uow_factory, total)
    background.start(consumer.run_until, "consumer")
    relay_config = dict(role="relay", database_url=fault_database_url, bus_url=url, exchange=topology.exchange_name,
                        batch_size=batch_size)

    for _ in range(relay_kills):
        process = workers.start(**relay_config, die_before_mark=True)
        returncode = wait_exit(process, 60, workers)
        assert returncode == KILLED, f"the relay exited with {returncode}:\n{workers.log_tail(process)}"
        # Killed before the mark: the batch it published is still pending in the outbox.
        assert unpublished(fault_engine) == total
    wait_for(lambda: consumer.processed >= batch_size, timeout=30, what="the killed relays' batches handled")

    process = workers.start(**relay_config)
    wait_for(lambda: unpublished(fault_engine) == 0, timeout=60, what="the outbox published")
    assert workers.stop(process) == 0, workers.log_tail(process)
    # Every publish arrives: the 1,000 events once each, plus the killed relays' batches again.
    expected_deliveries = total + relay_kills * batch_size
    wait_for(lambda: consumer.processed + consumer.duplicates == expected_deliveries, timeout=90,
             what=f"{expected_deliveries} deliveries", interval=0.2)
    background.stop_all()
    consumer.connection.release()

    per_event = rows_per_event(fault_engine)
    assert set(per_event) == {envelope.id for envelope in events}
    assert all(parts == [1] for parts in per_event.values()), "an effect was applied twice"
    assert consumer.processed == total
    assert consumer.duplicates == relay_kills * batch_size
    assert queue_depth(url, consumer.queue) == 0
