"""Asking sales for an opportunity from a ticket, and the ticket linked to the deal, through the Flask test client."""
from __future__ import annotations

import uuid

import pytest

from crm_shared.envelope import format_time, parse_time, utc_now
from crm_shared.testing import contract, contract_with

REQUESTED = "service_desk.ticket.opportunity_requested.v1"
BODY = {"name": "Invoice export add-on", "amount": "30000", "note": "Finance exports by hand every quarter."}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture
def ticket(client, agent, customer_created) -> dict:
    customer_id = customer_created(owner_id="rep-1")
    opened = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Export fails"}, headers=agent)
    assert opened.status_code == 201, opened.json
    return opened.json


def ask(client, ticket: dict, headers: dict, body: dict | None = None):
    return client.post(f"/api/v1/tickets/{ticket['id']}/opportunity-request", json=BODY if body is None else body,
                       headers=headers)


def opened_from(ticket: dict, **changes):
    return contract_with("sales.opportunity.opened.v1", customer_id=ticket["customer_id"], source="ticket",
                         source_ticket_id=ticket["id"], opportunity_id=str(uuid.uuid4()), **changes)


def test_an_agent_asks_for_an_opportunity_and_the_request_goes_out_through_the_outbox(client, agent, ticket, published):
    response = ask(client, ticket, agent)
    assert response.status_code == 202, response.json
    asked = response.json
    assert (asked["opportunity_requested_by"], asked["opportunity_id"], asked["opportunity_refusal"]) == (
        "agent-1", None, None)
    event = published()[-1]
    assert event["name"] == REQUESTED and event["producer"] == "service_desk" and event["actor"] == "agent-1"
    assert set(event["payload"]) == set(contract(REQUESTED).payload)
    assert event["payload"] == {
        "ticket_id": ticket["id"], "customer_id": ticket["customer_id"], "requested_by": "agent-1",
        "requested_at": format_time(parse_time(asked["opportunity_requested_at"])),
        "name": "Invoice export add-on", "amount": "30000.00", "currency": "CNY", "note": BODY["note"],
    }


def test_a_ticket_asks_once_until_sales_answers(client, agent, ticket, published):
    assert ask(client, ticket, agent).status_code == 202
    before = len(published())
    assert_error(ask(client, ticket, agent), 409, "opportunity_already_requested")
    assert len(published()) == before


def test_only_the_desks_people_ask_and_an_unknown_ticket_is_404(client, headers, ticket, published):
    before = len(published())
    assert_error(ask(client, ticket, headers("rep-1", "sales_rep")), 403)
    assert_error(ask(client, {"id": str(uuid.uuid4())}, headers("agent-1", "service_agent")), 404)
    assert len(published()) == before


@pytest.mark.parametrize("body, field", [
    ({"name": "  "}, "name"),
    ({}, "name"),
    ({"name": "x", "amount": "12.345"}, "amount"),
    ({"name": "x", "amount": "-1"}, "amount"),
    ({"name": "x", "currency": "yuan"}, "currency"),
    ({"name": "x", "colour": "red"}, "colour"),
])
def test_an_invalid_request_is_refused_and_nothing_is_published(client, agent, ticket, published, body, field):
    before = len(published())
    assert field in assert_error(ask(client, ticket, agent, body), 422)["errors"]
    assert len(published()) == before
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json["opportunity_requested_at"] is None


def test_a_customer_in_the_public_pool_cannot_have_a_deal_asked_for(client, agent, ticket, deliver, published):
    returned = contract_with("sales.customer.returned.v1", customer_id=ticket["customer_id"],
                             returned_at=format_time(utc_now()))
    assert deliver(returned) is True
    before = len(published())
    assert_error(ask(client, ticket, agent), 409, "customer_in_pool")
    assert len(published()) == before


def test_the_deal_sales_opened_from_the_ticket_is_linked_once(client, agent, ticket, deliver):
    assert ask(client, ticket, agent).status_code == 202
    opened = opened_from(ticket)
    assert deliver(opened) is True
    assert deliver(opened) is False
    linked = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json
    assert linked["opportunity_id"] == opened.payload["opportunity_id"]
    # Another deal naming the ticket later (opened by hand in sales) does not replace the one asked for.
    assert deliver(opened_from(ticket)) is True
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json["opportunity_id"] == linked["opportunity_id"]
    assert_error(ask(client, ticket, agent), 409, "opportunity_already_requested")


def test_deals_from_no_ticket_or_an_unknown_ticket_change_no_ticket(client, agent, ticket, deliver):
    assert deliver(contract("sales.opportunity.opened.v1")) is True
    assert deliver(opened_from({"id": str(uuid.uuid4()), "customer_id": ticket["customer_id"]})) is True
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json["opportunity_id"] is None


def test_a_refusal_shows_on_the_ticket_and_the_agent_may_ask_again(client, agent, ticket, deliver, published):
    asked = ask(client, ticket, agent).json
    refusal = contract_with("sales.opportunity_request.refused.v1", ticket_id=ticket["id"],
                            customer_id=ticket["customer_id"], requested_at=published()[-1]["payload"]["requested_at"])
    assert deliver(refusal) is True
    refused = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json
    assert (refused["opportunity_refusal"], refused["opportunity_requested_at"]) == (
        "customer_in_pool", asked["opportunity_requested_at"])
    again = ask(client, ticket, agent)
    assert again.status_code == 202 and again.json["opportunity_refusal"] is None
    assert [e["name"] for e in published()].count(REQUESTED) == 2
