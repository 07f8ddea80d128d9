"""Opportunities and returning customers to the public pool, through the Flask test client on a migrated database."""
from __future__ import annotations

import uuid

import pytest

from crm_shared.testing import contract_with

GOOD = {"name": "ERP rollout", "amount": "120000.50", "currency": "CNY", "expected_close_date": "2027-02-26"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture
def customer_of(client, convert, headers):
    """Convert a lead for `owner` (no opportunity named) and return the customer made of it."""

    def made(owner: str) -> dict:
        lead_id = convert(owner_id=owner, opportunity=None).payload["lead_id"]
        return client.get(f"/api/v1/customers?lead_id={lead_id}", headers=headers(owner, "sales_rep")).json["items"][0]

    return made


def test_the_opportunity_named_at_conversion_is_listed_with_its_customer(client, convert, headers):
    lead_id = convert(owner_id="rep-1").payload["lead_id"]
    rep = headers("rep-1", "sales_rep")
    customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
    [opportunity] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
    assert (opportunity["name"], opportunity["amount"], opportunity["currency"]) == ("ERP rollout, phase 1", "120000.00", "CNY")
    assert (opportunity["stage"], opportunity["status"], opportunity["owner_id"]) == ("qualification", "open", "rep-1")
    assert client.get(f"/api/v1/opportunities/{opportunity['id']}", headers=rep).json == opportunity


def test_the_owner_opens_and_wins_an_opportunity_and_then_cannot_return_the_customer(
    client, customer_of, headers, published
):
    customer = customer_of("rep-1")
    rep = headers("rep-1", "sales_rep")
    created = client.post(f"/api/v1/customers/{customer['id']}/opportunities", json=GOOD, headers=rep)
    assert created.status_code == 201, created.json
    assert (created.json["amount"], created.json["expected_close_date"], created.json["status"]) == (
        "120000.50", "2027-02-26", "open")
    won = client.post(f"/api/v1/opportunities/{created.json['id']}/close", json={"outcome": "won"}, headers=rep)
    assert won.status_code == 200 and won.json["status"] == "won" and won.json["closed_by"] == "rep-1"
    assert_error(client.post(f"/api/v1/opportunities/{created.json['id']}/close", json={"outcome": "lost"},
                             headers=rep), 409, "opportunity_closed")
    before = len(published())
    body = assert_error(client.post(f"/api/v1/customers/{customer['id']}/return-to-pool", json={"reason": "no budget"},
                                    headers=rep), 409, "customer_has_won_deal")
    assert body["errors"] == {"won_deals": 1}
    assert len(published()) == before
    assert client.get(f"/api/v1/customers/{customer['id']}", headers=rep).json["owner_id"] == "rep-1"
    names = [e["name"] for e in published()]
    assert names[-2:] == ["sales.opportunity.opened.v1", "sales.opportunity.closed.v1"]


def test_the_owner_returns_a_customer_to_the_pool_with_its_history_and_one_event(client, customer_of, headers, published):
    customer = customer_of("rep-1")
    rep = headers("rep-1", "sales_rep")
    returned = client.post(f"/api/v1/customers/{customer['id']}/return-to-pool", json={"reason": "No budget"}, headers=rep)
    assert returned.status_code == 200, returned.json
    assert (returned.json["owner_id"], returned.json["in_pool"]) == (None, True)
    event = published()[-1]
    assert event["name"] == "sales.customer.returned.v1" and event["actor"] == "rep-1"
    assert {k: event["payload"][k] for k in ("customer_id", "lead_id", "previous_owner_id", "reason")} == {
        "customer_id": customer["id"], "lead_id": customer["lead_id"], "previous_owner_id": "rep-1", "reason": "No budget"}
    # The rep no longer sees it; a manager sees it with its whole ownership history.
    assert_error(client.get(f"/api/v1/customers/{customer['id']}", headers=rep), 404, "not_found")
    manager = headers("boss", "sales_manager")
    history = client.get(f"/api/v1/customers/{customer['id']}/ownership-history", headers=manager).json["items"]
    assert [(h["from_owner_id"], h["to_owner_id"], h["reason"], h["detail"]) for h in history] == [
        (None, "rep-1", "converted", None), ("rep-1", None, "returned", "No budget")]


def test_the_rep_who_claims_the_lead_again_becomes_the_customers_owner(client, customer_of, deliver, headers, published):
    customer = customer_of("rep-1")
    client.post(f"/api/v1/customers/{customer['id']}/return-to-pool", json={"reason": "No budget"},
                headers=headers("rep-1", "sales_rep"))
    claimed = contract_with("leads.lead.claimed.v1", lead_id=customer["lead_id"], customer_id=customer["id"],
                            owner_id="rep-2")
    assert deliver(claimed) is True and deliver(claimed) is False
    rep2 = headers("rep-2", "sales_rep")
    assert client.get(f"/api/v1/customers/{customer['id']}", headers=rep2).json["owner_id"] == "rep-2"
    changed = published()[-1]
    assert changed["name"] == "sales.customer.owner_changed.v1" and changed["causation_id"] == claimed.id
    assert (changed["payload"]["previous_owner_id"], changed["payload"]["owner_id"]) == (None, "rep-2")
    history = client.get(f"/api/v1/customers/{customer['id']}/ownership-history", headers=rep2).json["items"]
    assert [h["reason"] for h in history] == ["converted", "returned", "claimed"]


def test_who_may_return_customers_and_work_opportunities(client, customer_of, headers, in_directory, published):
    customer = customer_of("rep-1")
    in_directory("rep-1", "team-east")
    in_directory("boss", "team-east", roles=("sales_manager",))
    other_rep, manager, agent = headers("rep-2", "sales_rep"), headers("boss", "sales_manager"), headers("a", "service_agent")
    before = len(published())
    path = f"/api/v1/customers/{customer['id']}"
    assert_error(client.post(f"{path}/return-to-pool", json={"reason": "x"}, headers=other_rep), 404, "not_found")
    assert_error(client.post(f"{path}/return-to-pool", json={"reason": "x"}, headers=manager), 403, "not_customer_owner")
    assert_error(client.post(f"{path}/return-to-pool", json={"reason": "x"}, headers=agent), 403)
    assert_error(client.post(f"{path}/opportunities", json=GOOD, headers=other_rep), 404, "not_found")
    # An agent opens deals only from a ticket.
    assert_error(client.post(f"{path}/opportunities", json=GOOD, headers=agent), 422, "ticket_required")
    assert len(published()) == before
    # A sales manager works their team's customers' deals; the deal belongs to the customer's owner.
    made = client.post(f"{path}/opportunities", json=GOOD, headers=manager)
    assert made.status_code == 201 and (made.json["owner_id"], made.json["created_by"]) == ("rep-1", "boss")
    assert_error(client.get(f"/api/v1/opportunities/{made.json['id']}", headers=other_rep), 404, "not_found")


def test_bad_requests_are_refused_with_the_error_shape_and_change_nothing(client, customer_of, headers, published):
    customer = customer_of("rep-1")
    rep = headers("rep-1", "sales_rep")
    path = f"/api/v1/customers/{customer['id']}"
    opportunity = client.post(f"{path}/opportunities", json=GOOD, headers=rep).json
    before = len(published())
    post = lambda url, body: client.post(url, json=body, headers=rep)  # noqa: E731
    close = f"/api/v1/opportunities/{opportunity['id']}/close"
    refusals = [
        (post(f"{path}/opportunities", {**GOOD, "amount": 120000.5}), 422, "amount"),
        (post(f"{path}/opportunities", {**GOOD, "amount": "12.345"}), 422, "amount"),
        (post(f"{path}/opportunities", {**GOOD, "amount": "-1"}), 422, "amount"),
        (post(f"{path}/opportunities", {**GOOD, "amount": "1e5"}), 422, "amount"),
        (post(f"{path}/opportunities", {**GOOD, "currency": "cny"}), 422, "currency"),
        (post(f"{path}/opportunities", {**GOOD, "name": "  "}), 422, "name"),
        (post(f"{path}/opportunities", {**GOOD, "name": "x" * 201}), 422, "name"),
        (post(f"{path}/opportunities", {**GOOD, "expected_close_date": "soon"}), 422, "expected_close_date"),
        (post(f"{path}/opportunities", {**GOOD, "stage": "won"}), 422, "stage"),
        (post(f"{path}/opportunities", {"name": "X"}), 422, "amount"),
        (post(f"/api/v1/customers/{uuid.uuid4()}/opportunities", GOOD), 404, None),
        (post(close, {"outcome": "maybe"}), 422, "outcome"),
        (post(close, {}), 422, "outcome"),
        (post(close, {"outcome": "won", "colour": "red"}), 422, "colour"),
        (post(f"/api/v1/opportunities/{uuid.uuid4()}/close", {"outcome": "won"}), 404, None),
        (post(f"{path}/return-to-pool", {}), 422, "reason"),
        (post(f"{path}/return-to-pool", {"reason": "   "}), 422, "reason"),
        (post(f"{path}/return-to-pool", {"reason": "x" * 501}), 422, "reason"),
        (client.post(f"{path}/return-to-pool", json={"reason": "x"}), 401, None),
    ]
    for response, status, field in refusals:
        body = assert_error(response, status)
        if field:
            assert field in body["errors"], body
    assert len(published()) == before
    assert client.get(f"{path}/opportunities", headers=rep).json["items"] == [opportunity]
    assert client.get(path, headers=rep).json["owner_id"] == "rep-1"


def test_the_openapi_document_describes_the_new_endpoints(client):
    paths = set(client.get("/openapi.json").json["paths"])
    assert {"/api/v1/customers/{customer_id}/return-to-pool", "/api/v1/customers/{customer_id}/opportunities",
            "/api/v1/customers/{customer_id}/ownership-history", "/api/v1/opportunities/{opportunity_id}",
            "/api/v1/opportunities/{opportunity_id}/close"} <= paths
