"""A deal asked for from a ticket, on PostgreSQL and RabbitMQ: one request however agents race, one link."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from kombu import Producer

from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.testing import all_at_once, amqp_server_url, contract_with
from service_desk.config import SERVICE
from service_desk.handlers import HANDLERS

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]


def test_an_opened_deal_published_twice_on_rabbitmq_links_its_ticket_once(client, agent, customer_created, uow_factory):
    url = amqp_server_url()
    if url is None:
        pytest.skip("RabbitMQ is not available: set CRM_TEST_AMQP_URL")
    customer_id = customer_created(owner_id="rep-1")
    ticket = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Export fails"},
                         headers=agent).json
    asked = client.post(f"/api/v1/tickets/{ticket['id']}/opportunity-request", json={"name": "Export add-on"},
                        headers=agent)
    assert asked.status_code == 202, asked.json
    opened = contract_with("sales.opportunity.opened.v1", customer_id=customer_id, source="ticket",
                           source_ticket_id=ticket["id"], opportunity_id=str(uuid.uuid4()))
    topology = Topology(exchange_name=f"test.{uuid.uuid4().hex[:10]}.events")
    consumer = EventConsumer(connect(url), topology, SERVICE, HANDLERS, uow_factory)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run_until, args=(stop,), daemon=True)
    try:
        with connect(url) as connection:
            topology.declare(connection, [consumer.queue])
            # A redelivery: the same envelope, as the broker hands it over again when an ack was lost.
            for _ in range(2):
                Producer(connection).publish(opened.to_json(), exchange=topology.exchange, routing_key=opened.name,
                                             **opened.amqp_properties())
        thread.start()
        deadline = time.monotonic() + 20
        while consumer.processed + consumer.duplicates < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (consumer.processed, consumer.duplicates, consumer.dead_lettered) == (1, 1, 0)
    finally:
        stop.set()
        thread.join(10)
        with connect(url) as connection:
            channel = connection.default_channel
            for queue in (consumer.queue, topology.dead_letter_queue):
                channel.queue_delete(queue.name)
            for exchange in (topology.exchange, topology.dead_letter_exchange):
                exchange(channel).delete()
    linked = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json
    assert (linked["opportunity_id"], linked["version"]) == (opened.payload["opportunity_id"], asked.json["version"] + 1)


def test_two_agents_asking_at_the_same_moment_make_one_request(app, client, agent, headers, customer_created, published):
    customer_id = customer_created(owner_id="rep-1")
    ticket = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Export fails"},
                         headers=agent).json
    path = f"/api/v1/tickets/{ticket['id']}/opportunity-request"
    answers = all_at_once(app, [(path, {"name": "Export add-on"}, agent),
                                (path, {"name": "Export module"}, headers("agent-2", "service_agent"))])
    assert sorted(status for status, _ in answers) == [202, 409]
    assert [body["code"] for status, body in answers if status == 409] == ["opportunity_already_requested"]
    assert [e["name"] for e in published()].count("service_desk.ticket.opportunity_requested.v1") == 1
