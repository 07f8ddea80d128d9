"""Ordering: 50 shuffled updates of one opportunity, the reporting worker killed midway, end at the last version."""
from __future__ import annotations

import random
import subprocess
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from kombu import Producer
from sqlalchemy import func, select

from crm_shared import testing
from crm_shared.bus.connection import connect
from crm_shared.db import inbox, make_engine
from crm_shared.envelope import Envelope
from fault_service import queue_depth, wait_for
from reporting.config import SERVICE, SERVICE_ROOT
from reporting.db import fact_opportunities
from reporting.handlers import HANDLERS

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.long]

UPDATES = 50
STAGES = ("qualification", "proposal", "negotiation")
OPPORTUNITY_ID = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c60"


def opportunity_versions() -> list[Envelope]:
    """Version i of the opportunity, in the order sales changed it (occurred_at one minute apart)."""
    start = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
    versions = []
    for number in range(UPDATES):
        name = "sales.opportunity.stage_changed.v1" if number % 2 == 0 else "sales.opportunity.updated.v1"
        changed = testing.contract_with(name, opportunity_id=OPPORTUNITY_ID, stage=STAGES[number % len(STAGES)],
                                        amount=f"{1000 + number}.00")
        data = changed.to_dict()
        data["occurred_at"] = (start + timedelta(minutes=number)).isoformat().replace("+00:00", "Z")
        versions.append(Envelope.from_dict(data))
    return versions


def handled(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(inbox).where(inbox.c.consumer == SERVICE)
        ).scalar_one()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("batch_size", [1, 10])
def test_shuffled_updates_with_a_consumer_crash_leave_the_read_model_at_the_last_version(
    batch_size, fault_database_url, fault_bus, workers, tmp_path
):
    url, topology = fault_bus
    testing.migrate(testing.service_settings(SERVICE, tmp_path, fault_database_url), SERVICE_ROOT)
    versions = opportunity_versions()
    arrival = versions[:]
    random.Random(batch_size).shuffle(arrival)
    assert arrival[-1] is not versions[-1], "the last version must not simply arrive last"
    queue = topology.consumer_queue(SERVICE, HANDLERS)
    with connect(url) as connection:
        topology.declare(connection, [queue])
        producer = Producer(connection)
        for envelope in arrival:
            producer.publish(envelope.to_json(), exchange=topology.exchange, routing_key=envelope.name,
                             **envelope.amqp_properties())
    engine = make_engine(fault_database_url)
    try:
        config = dict(role="consumer", handler="reporting", name=SERVICE, database_url=fault_database_url,
                      bus_url=url, exchange=topology.exchange_name, batch_size=batch_size,
                      kill_after=[arrival[UPDATES // 2].id])
        process = workers.start(**config)
        try:
            returncode = process.wait(60)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the consumer was not killed:\n{workers.log_tail(process)}") from None
        assert returncode == -9, workers.log_tail(process)
        handled_at_crash = handled(engine)
        assert 0 < handled_at_crash < UPDATES, "the crash came in the middle of the stream"

        process = workers.start(**config)
        wait_for(lambda: handled(engine) == UPDATES and queue_depth(url, queue) == 0, timeout=60,
                 what="every update handled", interval=0.2)
        assert workers.stop(process) == 0, workers.log_tail(process)

        with engine.connect() as connection:
            rows = connection.execute(select(fact_opportunities)).mappings().all()
    finally:
        engine.dispose()
    last = versions[-1]
    assert len(rows) == 1
    assert rows[0]["opportunity_id"] == OPPORTUNITY_ID
    assert rows[0]["stage"] == last.payload["stage"]
    assert rows[0]["amount"] == Decimal(last.payload["amount"])
    assert rows[0]["state_at"] == last.occurred
    assert rows[0]["status"] == "open"
