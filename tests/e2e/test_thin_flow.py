"""The thin flow through the gateway, with every arrow between services an event on the bus."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from kombu import Queue

from crm_shared.bus.connection import connect
from crm_shared.envelope import Envelope
from crm_shared.testing import drain, poll

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

THIN_FLOW_EVENTS = {
    "leads.lead.created.v1",
    "leads.lead.claimed.v1",
    "leads.lead.converted.v1",
    "sales.customer.created.v1",
    "service_desk.ticket.opened.v1",
}


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["status"] == status and body["message"]
    if code:
        assert body["code"] == code, body
    return body


@pytest.fixture
def outside_subscriber(running_system):
    """An outside system's own queue bound to every event on the exchange."""
    queue = Queue(
        f"outside-{uuid.uuid4().hex[:8]}", exchange=running_system.topology.exchange, routing_key="#", durable=True
    )
    with connect(running_system.bus_url) as connection:
        running_system.topology.exchange(connection.default_channel).declare()
        queue(connection.default_channel).declare()
        yield connection, queue
        queue(connection.default_channel).delete()


def test_a_lead_becomes_a_customer_with_a_ticket_and_every_step_is_an_event(running_system, outside_subscriber):
    api = running_system.gateway_url + "/api/v1"
    manager, rep1, rep2, agent = (running_system.login(u) for u in ("manager", "rep1", "rep2", "agent1"))
    channel = f"e2e-{uuid.uuid4().hex[:6]}"

    created = requests.post(
        f"{api}/leads",
        json={"company": "杭州示例贸易", "contact_name": "Li Na", "phone": "+86 571 5555 0199",
              "email": "li.na@example.cn", "channel": channel},
        headers=manager, timeout=10,
    )
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]

    # Two reps claim at the same moment: exactly one wins, the other gets 409.
    start = threading.Barrier(2)
    answers = {}

    def claim(name, headers):
        start.wait()
        answers[name] = requests.post(f"{api}/leads/{lead_id}/claim", headers=headers, timeout=10)

    threads = [threading.Thread(target=claim, args=(n, h)) for n, h in (("rep1", rep1), ("rep2", rep2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses == [200, 409], {n: r.text for n, r in answers.items()}
    winner = next(n for n, r in answers.items() if r.status_code == 200)
    loser = "rep2" if winner == "rep1" else "rep1"
    assert_error_shape(answers[loser], 409, "lead_already_claimed")
    owner = rep1 if winner == "rep1" else rep2

    converted = requests.post(f"{api}/leads/{lead_id}/convert", headers=owner, timeout=10)
    assert converted.status_code == 200, converted.text

    customers = poll(
        lambda: requests.get(f"{api}/customers", params={"lead_id": lead_id}, headers=owner, timeout=10).json(),
        lambda body: body.get("total") == 1,
        what="the customer created from the converted lead",
    )
    customer = customers["items"][0]
    assert customer["lead_id"] == lead_id

    ticket = poll(
        lambda: requests.post(
            f"{api}/tickets",
            json={"customer_id": customer["id"], "subject": "Invoice export fails", "priority": "high"},
            headers=agent, timeout=10,
        ),
        lambda response: response.status_code == 201,
        what="the service desk to know the customer",
    )
    ticket_opened_at = time.monotonic()

    row = poll(
        lambda: next(
            (c for c in requests.get(f"{api}/dashboards/channels", headers=manager, timeout=10).json()["channels"]
             if c["channel"] == channel),
            None,
        ),
        lambda found: found is not None and found["tickets"] == 1,
        what="the channel dashboard to count the ticket",
    )
    dashboard_lag = time.monotonic() - ticket_opened_at
    print(f"dashboard reflected the ticket {dashboard_lag * 1000:.0f} ms after it was opened")
    assert {k: row[k] for k in ("leads_created", "leads_claimed", "leads_converted", "customers", "tickets")} == {
        "leads_created": 1, "leads_claimed": 1, "leads_converted": 1, "customers": 1, "tickets": 1,
    }

    overview = requests.get(f"{api}/customers/{customer['id']}/overview", headers=owner, timeout=10)
    assert overview.status_code == 200, overview.text
    assert overview.json()["lead"]["id"] == lead_id
    assert [t["id"] for t in overview.json()["tickets"]] == [ticket.json()["id"]]

    connection, queue = outside_subscriber
    seen: list[Envelope] = []

    def fetch_ours():
        for message in drain(connection, queue, expected=100, timeout=0.2):
            envelope = Envelope.from_json(message.body)  # raises if any envelope is invalid
            if {envelope.payload.get("lead_id"), envelope.payload.get("customer_id")} & {lead_id, customer["id"]}:
                seen.append(envelope)
        return {e.name for e in seen}

    poll(fetch_ours, lambda names: THIN_FLOW_EVENTS <= names, what="all five events at the outside subscriber")
    assert sorted(e.name for e in seen) == sorted(THIN_FLOW_EVENTS), "each event exactly once"
    for envelope in seen:
        assert envelope.producer == envelope.name.split(".")[0]
    by_name = {e.name: e for e in seen}
    # The customer was created because of the conversion, and the chain shares one correlation.
    assert by_name["sales.customer.created.v1"].causation_id == by_name["leads.lead.converted.v1"].id
    assert by_name["sales.customer.created.v1"].correlation_id == by_name["leads.lead.converted.v1"].correlation_id


def test_bad_input_gets_one_error_shape_and_changes_nothing(running_system):
    api = running_system.gateway_url + "/api/v1"
    manager, agent = running_system.login("manager"), running_system.login("agent1")
    before = requests.get(f"{api}/leads", headers=manager, timeout=10).json()["total"]

    malformed = requests.post(
        f"{api}/leads", data="{not json", headers={**manager, "Content-Type": "application/json"}, timeout=10
    )
    assert_error_shape(malformed, 400)
    unknown_field = requests.post(
        f"{api}/leads", json={"company": "X", "contact_name": "Y", "channel": "web", "colour": "red"},
        headers=manager, timeout=10,
    )
    assert "colour" in assert_error_shape(unknown_field, 422)["errors"]
    wrong_type = requests.post(
        f"{api}/leads", json={"company": 12, "contact_name": "Y", "channel": "web"}, headers=manager, timeout=10
    )
    assert "company" in assert_error_shape(wrong_type, 422)["errors"]
    missing = requests.post(f"{api}/leads", json={"company": "X"}, headers=manager, timeout=10)
    assert "contact_name" in assert_error_shape(missing, 422)["errors"]
    assert_error_shape(requests.post(f"{api}/leads/{uuid.uuid4()}/claim", headers=manager, timeout=10), 404)
    lead = requests.post(
        f"{api}/leads", json={"company": "Z", "contact_name": "Q", "channel": "web"}, headers=manager, timeout=10
    ).json()
    assert_error_shape(requests.post(f"{api}/leads/{lead['id']}/claim", headers=agent, timeout=10), 403)
    unknown_customer = requests.post(
        f"{api}/tickets", json={"customer_id": str(uuid.uuid4()), "subject": "x"}, headers=agent, timeout=10
    )
    assert "customer_id" in assert_error_shape(unknown_customer, 422)["errors"]
    assert_error_shape(requests.get(f"{api}/leads", timeout=10), 401)

    after = requests.get(f"{api}/leads", headers=manager, timeout=10).json()
    assert after["total"] == before + 1  # only the one valid lead
    unclaimed = requests.get(f"{api}/leads/{lead['id']}", headers=manager, timeout=10).json()
    assert unclaimed["status"] == "pool" and unclaimed["owner_id"] is None


def test_the_gateway_answers_503_with_the_error_shape_when_a_service_is_down(running_system):
    manager = running_system.login("manager")
    url = running_system.gateway_url + "/api/v1/dashboards/channels"
    running_system.stop("reporting-web")
    try:
        body = assert_error_shape(requests.get(url, headers=manager, timeout=10), 503, "service_unavailable")
        assert "reporting" in body["message"]
    finally:
        running_system.start("reporting-web")
        running_system.wait_ready("reporting")
    assert requests.get(url, headers=manager, timeout=10).status_code == 200
