"""An opportunity asked for from a ticket: opened once for the customer's owner, or refused, through the consumer."""
from __future__ import annotations

import threading
import time
import uuid
from decimal import Decimal

import pytest
from kombu import Producer
from sqlalchemy import func, select

from crm_shared.bus.connection import connect
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.db import inbox
from crm_shared.envelope import Envelope, format_time, utc_now
from crm_shared.testing import amqp_server_url, contract, contract_with
from sales.config import SERVICE
from sales.db import opportunities
from sales.handlers import HANDLERS
from sales.ticket_handlers import InvalidPayload

REQUESTED = "service_desk.ticket.opportunity_requested.v1"
AGENT = contract(REQUESTED).payload["requested_by"]


@pytest.fixture
def customer(client, headers) -> dict:
    created = client.post("/api/v1/customers", json={"name": "Acme", "channel": "web"}, headers=headers("rep-1", "sales_rep"))
    assert created.status_code == 201, created.json
    return created.json


@pytest.fixture
def request_for(customer):
    def requested(**changes) -> Envelope:
        return contract_with(REQUESTED, **{"customer_id": customer["id"], "ticket_id": str(uuid.uuid4()),
                                           "requested_at": format_time(utc_now()), **changes})

    return requested


def deals_from_ticket(uow_factory, ticket_id: str) -> list[dict]:
    with uow_factory() as uow:
        return [dict(row) for row in uow.session.execute(
            select(opportunities).where(opportunities.c.source_ticket_id == ticket_id)).mappings()]


def test_the_request_opens_one_deal_for_the_owner_naming_the_ticket_with_the_note_as_a_follow_up(
        deliver, request_for, customer, uow_factory, published, client, headers):
    request = request_for()
    ticket_id = request.payload["ticket_id"]
    assert deliver(request) is True
    [deal] = deals_from_ticket(uow_factory, ticket_id)
    assert (deal["owner_id"], deal["created_by"], deal["source"], deal["customer_id"], deal["name"], deal["amount"],
            deal["currency"], deal["stage"], deal["status"]) == (
        "rep-1", AGENT, "ticket", customer["id"], request.payload["name"], Decimal("30000.00"), "CNY",
        "qualification", "open")
    opened = [e for e in published() if e["name"] == "sales.opportunity.opened.v1"]
    assert len(opened) == 1
    assert set(opened[0]["payload"]) == set(contract("sales.opportunity.opened.v1").payload)
    assert (opened[0]["payload"]["opportunity_id"], opened[0]["payload"]["source_ticket_id"],
            opened[0]["payload"]["source"], opened[0]["causation_id"]) == (deal["id"], ticket_id, "ticket", request.id)
    rep = headers("rep-1", "sales_rep")
    [note] = client.get(f"/api/v1/opportunities/{deal['id']}/follow-ups", headers=rep).json["items"]
    assert (note["kind"], note["author_id"], note["content"]) == ("note", AGENT, request.payload["note"])
    assert [e["name"] for e in published()][-2:] == ["sales.follow_up.recorded.v1", "sales.opportunity.opened.v1"]
    kinds = [e["kind"] for e in client.get(f"/api/v1/customers/{customer['id']}/timeline", headers=rep).json["items"]]
    assert {"opportunity_opened", "follow_up"} <= set(kinds)


def test_a_redelivery_or_a_republished_request_opens_nothing_twice(deliver, request_for, uow_factory, published):
    request = request_for()
    assert deliver(request) is True
    assert deliver(request) is False
    republished = Envelope.from_dict({**request.to_dict(), "id": str(uuid.uuid4())})
    assert deliver(republished) is True
    assert len(deals_from_ticket(uow_factory, request.payload["ticket_id"])) == 1
    assert [e["name"] for e in published()].count("sales.opportunity.opened.v1") == 1
    assert [e["name"] for e in published()].count("sales.follow_up.recorded.v1") == 1


def test_a_request_without_an_amount_opens_a_deal_worth_nothing_yet_and_without_a_note_no_follow_up(
        deliver, request_for, uow_factory, published):
    request = request_for(amount=None, note=None)
    assert deliver(request) is True
    [deal] = deals_from_ticket(uow_factory, request.payload["ticket_id"])
    assert deal["amount"] == Decimal("0.00")
    assert "sales.follow_up.recorded.v1" not in [e["name"] for e in published()]


def test_a_customer_in_the_pool_or_unknown_to_sales_gets_a_refusal_and_no_deal(
        deliver, request_for, customer, client, headers, uow_factory, published):
    returned = client.post(f"/api/v1/customers/{customer['id']}/return-to-pool", json={"reason": "Not a fit"},
                           headers=headers("rep-1", "sales_rep"))
    assert returned.status_code == 200
    in_pool, unknown = request_for(), request_for(customer_id=str(uuid.uuid4()))
    for request, reason in ((in_pool, "customer_in_pool"), (unknown, "unknown_customer")):
        assert deliver(request) is True
        assert deals_from_ticket(uow_factory, request.payload["ticket_id"]) == []
        refusal = published()[-1]
        assert refusal["name"] == "sales.opportunity_request.refused.v1"
        assert set(refusal["payload"]) == set(contract("sales.opportunity_request.refused.v1").payload)
        assert (refusal["payload"]["ticket_id"], refusal["payload"]["reason"], refusal["payload"]["requested_at"]) == (
            request.payload["ticket_id"], reason, request.payload["requested_at"])


def test_a_request_missing_its_name_fails_and_leaves_no_deal_no_event_and_no_inbox_mark(
        deliver, request_for, uow_factory, published):
    before = len(published())
    request = request_for(name=None)
    with pytest.raises(InvalidPayload):
        deliver(request)
    with uow_factory() as uow:
        marks = uow.session.execute(select(func.count()).select_from(inbox).where(inbox.c.event_id == request.id))
        assert marks.scalar_one() == 0
    assert deals_from_ticket(uow_factory, request.payload["ticket_id"]) == []
    assert len(published()) == before


@pytest.mark.integration
def test_a_request_published_twice_on_rabbitmq_opens_one_deal(postgresql_only, request_for, uow_factory, published):
    url = amqp_server_url()
    if url is None:
        pytest.skip("RabbitMQ is not available: set CRM_TEST_AMQP_URL")
    topology = Topology(exchange_name=f"test.{uuid.uuid4().hex[:10]}.events")
    consumer = EventConsumer(connect(url), topology, SERVICE, HANDLERS, uow_factory)
    request = request_for()
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run_until, args=(stop,), daemon=True)
    try:
        with connect(url) as connection:
            topology.declare(connection, [consumer.queue])
            # The broker redelivers a message whose ack was lost: the same envelope arrives a second time.
            for _ in range(2):
                Producer(connection).publish(request.to_json(), exchange=topology.exchange, routing_key=request.name,
                                             **request.amqp_properties())
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
    assert len(deals_from_ticket(uow_factory, request.payload["ticket_id"])) == 1
    assert [e["name"] for e in published()].count("sales.opportunity.opened.v1") == 1
