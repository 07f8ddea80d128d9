"""The gateway's user events reach the leads directory through the real consumer, on PostgreSQL (and RabbitMQ)."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from kombu import Producer
from sqlalchemy import select

from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.envelope import format_time
from crm_shared.testing import amqp_server_url, contract, contract_with
from leads.config import SERVICE
from leads.db import claimants
from leads.directory_handlers import USER_CHANGED, USER_REGISTERED
from leads.handlers import HANDLERS

# The directory is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

USER = contract(USER_REGISTERED).payload["user_id"]
EAST, NORTH = contract(USER_CHANGED).payload["team_ids"]


def directory_of(uow_factory, user_id: str):
    with uow_factory() as uow:
        roles, teams = uow.claimants.known(user_id)
        row = uow.session.execute(select(claimants).where(claimants.c.user_id == user_id)).mappings().first()
    return roles, teams, (dict(row) if row else None)


def test_the_contract_events_keep_the_directory_once_each_and_in_order(deliver, uow_factory):
    registered, changed = contract(USER_REGISTERED), contract(USER_CHANGED)
    assert deliver(registered) is True and deliver(registered) is False
    roles, teams, row = directory_of(uow_factory, USER)
    assert (roles, teams) == ({"sales_rep"}, {EAST})
    assert (row["username"], row["display_name"], row["active"], row["seen_at"]) == ("li.wei", "李伟", True, None)
    assert deliver(changed) is True
    assert directory_of(uow_factory, USER)[:2] == ({"sales_manager", "sales_rep"}, {EAST, NORTH})
    # The registration delivered again under a new id (a republish), older than what was applied: ignored.
    assert deliver(contract_with(USER_REGISTERED)) is True
    assert directory_of(uow_factory, USER)[:2] == ({"sales_manager", "sales_rep"}, {EAST, NORTH})
    later = changed.occurred + timedelta(minutes=5)
    assert deliver(contract_with(USER_CHANGED, active=False, changed_at=format_time(later))) is True
    roles, teams, row = directory_of(uow_factory, USER)
    assert (roles, teams, row["active"]) == (frozenset(), {EAST, NORTH}, False)


def test_a_user_event_missing_a_fact_changes_nothing(deliver, uow_factory):
    with pytest.raises(ValueError):
        deliver(contract_with(USER_REGISTERED, team_ids="east"))
    with pytest.raises(ValueError):
        deliver(contract_with(USER_REGISTERED, active=None))
    assert directory_of(uow_factory, USER)[2] is None


def test_a_user_published_on_rabbitmq_reaches_the_directory_and_a_managers_view(
        client, uow_factory, tokens, new_lead, admin):
    url = amqp_server_url()
    if url is None:
        pytest.skip("RabbitMQ is not available: set CRM_TEST_AMQP_URL")
    topology = Topology(exchange_name=f"test.{uuid.uuid4().hex[:10]}.events")
    consumer = EventConsumer(connect(url), topology, SERVICE, HANDLERS, uow_factory)
    rep = tokens.headers(USER, ["sales_rep"], "li.wei")
    manager = tokens.headers("manager-east", ["sales_manager"], "manager", teams=[EAST])
    lead = client.post("/api/v1/leads", json=new_lead, headers=admin).json
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep).status_code == 200
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=manager).status_code == 404
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run_until, args=(stop,), daemon=True)
    try:
        with connect(url) as connection:
            topology.declare(connection, [consumer.queue])
            envelope = contract_with(USER_REGISTERED)
            Producer(connection).publish(envelope.to_json(), exchange=topology.exchange, routing_key=envelope.name,
                                         **envelope.amqp_properties())
        thread.start()
        deadline = time.monotonic() + 20
        while consumer.processed < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert consumer.processed == 1 and consumer.dead_lettered == 0
    finally:
        stop.set()
        thread.join(10)
        with connect(url) as connection:
            channel = connection.default_channel
            for queue in (consumer.queue, topology.dead_letter_queue):
                channel.queue_delete(queue.name)
            for exchange in (topology.exchange, topology.dead_letter_exchange):
                exchange(channel).delete()
    assert directory_of(uow_factory, USER)[:2] == ({"sales_rep"}, {EAST})
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=manager).status_code == 200
