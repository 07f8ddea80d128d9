"""Restarts survived: PostgreSQL restarted twice under load, the running workers carry on, no half-applied effect."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import exists, select
from sqlalchemy.exc import DBAPIError

from crm_shared.bus.connection import connect
from fault_service import (
    CONSUMER, EVENT, change_widgets, queue_depth, rows_per_event, unpublished, wait_for, widgets,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.long]

TOTAL = 3_000
PER_UNIT_OF_WORK = 10


@pytest.mark.timeout(240)
def test_a_postgresql_restart_under_load_leaves_every_effect_whole_and_once(
    fault_engine, fault_database_url, uow_factory, fault_bus, faults_postgres, background, workers
):
    url, topology = fault_bus
    queue = topology.consumer_queue(CONSUMER, [EVENT])
    with connect(url) as connection:
        topology.declare(connection, [queue])
    process_config = dict(database_url=fault_database_url, bus_url=url, exchange=topology.exchange_name)
    consumer = workers.start(role="consumer", handler="pairs", name=CONSUMER, **process_config)
    relay = workers.start(role="relay", batch_size=100, **process_config)

    written: list = []
    write_retries: list[str] = []

    def already_written(first_number: int) -> bool:
        with fault_engine.connect() as connection:
            return connection.execute(select(exists().where(widgets.c.number == first_number))).scalar()

    def write_state_changes(stop: threading.Event) -> None:
        # The client side: a change that failed because the database went away is tried again, unless
        # its commit did land before the connection broke.
        for start in range(0, TOTAL, PER_UNIT_OF_WORK):
            while not stop.is_set():
                try:
                    if not already_written(start):
                        change_widgets(uow_factory, list(range(start, start + PER_UNIT_OF_WORK)))
                    written.append(start)
                    break
                except DBAPIError as error:
                    write_retries.append(type(error).__name__)
                    time.sleep(0.2)
            time.sleep(0.003)

    background.start(write_state_changes, "writer")
    effects_at_restart = []
    for mode, after in (("immediate", 600), ("fast", 1_800)):
        wait_for(lambda: len(rows_per_event(fault_engine)) >= after, timeout=90, what=f"{after} events handled",
                 interval=0.2)
        effects_at_restart.append(len(rows_per_event(fault_engine)))
        faults_postgres.restart(mode)

    wait_for(lambda: len(written) * PER_UNIT_OF_WORK == TOTAL, timeout=90, what="every state change written")
    wait_for(lambda: unpublished(fault_engine) == 0, timeout=60, what="the outbox published", interval=0.2)
    wait_for(lambda: len(rows_per_event(fault_engine)) == TOTAL and queue_depth(url, queue) == 0, timeout=90,
             what=f"the effects of all {TOTAL} events", interval=0.5)
    time.sleep(1.0)

    # The workers did meet the outage (and the same processes did all the work: they reconnected, not died).
    noticed = workers.log_tail(consumer, None).count("database unavailable") + \
        workers.log_tail(relay, None).count("outbox relay failed")
    assert noticed > 0, "neither worker noticed the database going away"
    assert consumer.poll() is None, workers.log_tail(consumer)
    assert relay.poll() is None, workers.log_tail(relay)
    assert workers.stop(consumer) == 0, workers.log_tail(consumer)
    assert workers.stop(relay) == 0, workers.log_tail(relay)
    assert all(count < TOTAL for count in effects_at_restart), "each restart came while events were flowing"

    per_event = rows_per_event(fault_engine)
    assert len(per_event) == TOTAL
    broken = {event_id: parts for event_id, parts in per_event.items() if parts != [1, 2]}
    assert not broken, f"{len(broken)} events have a half or doubled effect: {list(broken.items())[:5]}"
    assert queue_depth(url, queue) == 0
    assert queue_depth(url, topology.dead_letter_queue) == 0, "a database outage sent good events to dead letters"
