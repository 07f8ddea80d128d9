"""An agent asks for an opportunity from a ticket: sales opens it for the owner, the ticket links to it, once."""
from __future__ import annotations

import uuid

import pytest
import requests
from kombu import Producer, Queue

from crm_shared.bus.connection import connect
from crm_shared.envelope import Envelope
from crm_shared.testing import drain, poll

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

REQUESTED = "service_desk.ticket.opportunity_requested.v1"


@pytest.fixture
def requests_on_the_bus(running_system):
    """A queue of our own bound to the desk's opportunity requests, to republish one as a redelivery would."""
    queue = Queue(f"requests-{uuid.uuid4().hex[:8]}", exchange=running_system.topology.exchange, routing_key=REQUESTED,
                  durable=True)
    with connect(running_system.bus_url) as connection:
        running_system.topology.exchange(connection.default_channel).declare()
        queue(connection.default_channel).declare()
        yield connection, queue
        queue(connection.default_channel).delete()


def test_a_ticket_asks_for_a_deal_which_sales_opens_once_and_the_ticket_links(running_system, requests_on_the_bus):
    api = running_system.gateway_url + "/api/v1"
    rep, agent = running_system.login("rep1"), running_system.login("agent1")
    name = f"Ticket customer {uuid.uuid4().hex[:6]}"
    customer = requests.post(f"{api}/customers", json={"name": name, "channel": "web"}, headers=rep, timeout=10)
    assert customer.status_code == 201, customer.text
    customer = customer.json()

    def open_ticket(subject: str) -> dict:
        return poll(lambda: requests.post(f"{api}/tickets", json={"customer_id": customer["id"], "subject": subject},
                                          headers=agent, timeout=10),
                    lambda response: response.status_code == 201, what="the service desk to know the customer").json()

    ticket = open_ticket("Exports by hand every quarter")
    asked = requests.post(f"{api}/tickets/{ticket['id']}/opportunity-request", headers=agent, timeout=10,
                          json={"name": "Export add-on", "amount": "30000.00", "note": "Finance asked about it."})
    assert asked.status_code == 202, asked.text

    linked = poll(lambda: requests.get(f"{api}/tickets/{ticket['id']}", headers=agent, timeout=10).json(),
                  lambda body: body.get("opportunity_id") is not None, what="the ticket to link the deal")
    deal = requests.get(f"{api}/opportunities/{linked['opportunity_id']}", headers=rep, timeout=10)
    assert deal.status_code == 200, deal.text
    deal = deal.json()
    assert (deal["customer_id"], deal["owner_id"], deal["source"], deal["source_ticket_id"], deal["amount"]) == (
        customer["id"], customer["owner_id"], "ticket", ticket["id"], "30000.00")
    timeline = requests.get(f"{api}/customers/{customer['id']}/timeline", headers=rep, timeout=10).json()
    assert {("opportunity_opened", deal["id"]), ("follow_up", None)} <= {
        (e["kind"], e["record_id"] if e["kind"] != "follow_up" else None) for e in timeline["items"]}

    # The request arrives again: the same message (a redelivery) and a copy under a new id (a republish).
    connection, queue = requests_on_the_bus
    [message] = poll(lambda: [m for m in drain(connection, queue, expected=10, timeout=0.2)
                              if Envelope.from_json(m.body).payload["ticket_id"] == ticket["id"]],
                     lambda found: len(found) == 1, what="the request on the bus")
    original = Envelope.from_json(message.body)
    copy = Envelope.from_dict({**original.to_dict(), "id": str(uuid.uuid4())})
    with connect(running_system.bus_url) as publisher:
        for envelope in (original, copy):
            Producer(publisher).publish(envelope.to_json(), exchange=running_system.topology.exchange,
                                        routing_key=envelope.name, **envelope.amqp_properties())
    # A second ticket's request after them, on the same queue: once its deal is linked, sales has handled both copies.
    later = open_ticket("Wants a second site")
    assert requests.post(f"{api}/tickets/{later['id']}/opportunity-request", json={"name": "Second site"},
                         headers=agent, timeout=10).status_code == 202
    poll(lambda: requests.get(f"{api}/tickets/{later['id']}", headers=agent, timeout=10).json(),
         lambda body: body.get("opportunity_id") is not None, what="the second ticket to link its deal")
    deals = requests.get(f"{api}/opportunities", params={"customer_id": customer["id"]}, headers=rep, timeout=10).json()
    assert sorted((d["source_ticket_id"], d["name"]) for d in deals["items"]) == sorted(
        [(ticket["id"], "Export add-on"), (later["id"], "Second site")])
    assert requests.get(f"{api}/tickets/{ticket['id']}", headers=agent, timeout=10).json()["opportunity_id"] == deal["id"]
