"""Orders through the Flask test client: only for won deals, totals computed here, owners only, cancellation."""
from __future__ import annotations

import pytest

LINES = [
    {"sku": "LIC", "description": "Licences", "quantity": "3", "unit_price": "333.33", "discount_percent": "10"},
    {"sku": "SVC", "description": "Set-up", "quantity": "1.5", "unit_price": "200.00", "discount_amount": "50.00"},
]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture(autouse=True)
def one_team(in_directory):
    """rep-1 and the sales managers are one team, so the managers oversee rep-1's deals (rep-2 is in none)."""
    in_directory("rep-1", "east")
    for manager in ("boss", "boss-1", "boss-2"):
        in_directory(manager, "east", roles=("sales_manager",))


@pytest.fixture
def deal_of(client, convert, headers):
    """The opportunity named when a lead of `owner` was converted; won unless told otherwise."""

    def made(owner: str, won: bool = True) -> dict:
        rep = headers(owner, "sales_rep")
        lead_id = convert(owner_id=owner).payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        if won:
            closed = client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
            assert closed.status_code == 200, closed.json
            return closed.json
        return deal

    return made


def order_body(deal: dict, **changes) -> dict:
    return {"opportunity_id": deal["id"], "lines": LINES, "discount_percent": "5", "tax_rate": "13", **changes}


def test_the_owner_places_an_order_for_a_won_deal_with_totals_to_the_cent(client, deal_of, headers, published):
    deal = deal_of("rep-1")
    rep = headers("rep-1", "sales_rep")
    placed = client.post("/api/v1/orders", json=order_body(deal), headers=rep)
    assert placed.status_code == 201, placed.json
    order = placed.json
    assert (order["subtotal"], order["discount"], order["tax"], order["total"]) == (
        "1299.99", "207.50", "142.02", "1234.51")
    assert [(line["line_discount"], line["line_total"]) for line in order["lines"]] == [
        ("100.00", "899.99"), ("50.00", "250.00")]
    assert (order["status"], order["owner_id"], order["currency"], order["customer_id"]) == (
        "placed", "rep-1", "CNY", deal["customer_id"])
    assert client.get(f"/api/v1/orders/{order['id']}", headers=rep).json == order
    listed = client.get(f"/api/v1/orders?opportunity_id={deal['id']}", headers=rep)
    assert [o["id"] for o in listed.json["items"]] == [
        order["id"]]
    event = published()[-1]
    assert event["name"] == "sales.order.placed.v1"
    assert (event["payload"]["order_id"], event["payload"]["total"], event["payload"]["lines"]) == (
        order["id"], "1234.51", 2)


def test_an_open_or_lost_deal_gets_no_order_and_nothing_is_written(client, deal_of, headers, published):
    rep = headers("rep-1", "sales_rep")
    deal = deal_of("rep-1", won=False)
    before = len(published())
    body = assert_error(client.post("/api/v1/orders", json=order_body(deal), headers=rep), 409, "opportunity_not_won")
    assert "won" in body["message"]
    client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "lost", "reason": "price"}, headers=rep)
    assert_error(client.post("/api/v1/orders", json=order_body(deal), headers=rep), 409, "opportunity_not_won")
    assert [e["name"] for e in published()[before:]] == ["sales.opportunity.closed.v1"]
    assert client.get("/api/v1/orders", headers=rep).json["items"] == []


@pytest.mark.parametrize("changes, field", [
    ({"lines": []}, "lines"),
    ({"tax_rate": 13}, "tax_rate"),  # a JSON number would pass through a float
    ({"tax_rate": "100.01"}, "tax_rate"),
    ({"discount_amount": "1.00"}, "discount_amount"),  # and a percentage too
    ({"lines": [{**LINES[0], "quantity": "0"}]}, "lines"),
    ({"lines": [{**LINES[0], "unit_price": "1.001"}]}, "lines"),
    ({"total": "1.00"}, "total"),  # computed, never accepted
    ({"owner_id": "rep-2"}, "owner_id"),
])
def test_bad_input_is_a_422_naming_the_field(client, deal_of, headers, changes, field):
    deal = deal_of("rep-1")
    body = assert_error(client.post("/api/v1/orders", json=order_body(deal, **changes),
                                    headers=headers("rep-1", "sales_rep")), 422)
    assert field in body["errors"], body


def test_a_discount_larger_than_the_amount_is_refused(client, deal_of, headers):
    deal = deal_of("rep-1")
    lines = [{"sku": "A", "quantity": "1", "unit_price": "10.00", "discount_amount": "10.01"}]
    assert_error(client.post("/api/v1/orders", json=order_body(deal, lines=lines, discount_percent=None),
                             headers=headers("rep-1", "sales_rep")), 422, "discount_exceeds_amount")


def test_another_rep_neither_sees_nor_places_orders_of_a_customer_they_do_not_own(client, deal_of, headers,
                                                                               in_directory):
    deal = deal_of("rep-1")
    order = client.post("/api/v1/orders", json=order_body(deal), headers=headers("rep-1", "sales_rep")).json
    other = headers("rep-2", "sales_rep")
    assert_error(client.post("/api/v1/orders", json=order_body(deal), headers=other), 404)
    assert_error(client.get(f"/api/v1/orders/{order['id']}", headers=other), 404)
    assert client.get("/api/v1/orders", headers=other).json["items"] == []
    assert_error(client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "x"},
                             headers={**other, "If-Match": '"1"'}), 404)
    manager = headers("boss", "sales_manager")
    assert [o["id"] for o in client.get("/api/v1/orders", headers=manager).json["items"]] == [order["id"]]
    # A sales manager of another team is another team's: nothing of rep-1's.
    in_directory("boss-west", "west", roles=("sales_manager",))
    west = headers("boss-west", "sales_manager")
    assert client.get("/api/v1/orders", headers=west).json["items"] == []
    assert_error(client.get(f"/api/v1/orders/{order['id']}", headers=west), 404)
    # A service agent sees customers but works no deals.
    assert_error(client.post("/api/v1/orders", json=order_body(deal), headers=headers("agent", "service_agent")), 403)


def test_cancelling_an_order_once(client, deal_of, headers, published):
    deal = deal_of("rep-1")
    rep = headers("rep-1", "sales_rep")
    placed = client.post("/api/v1/orders", json=order_body(deal), headers=rep)
    order, etag = placed.json, placed.headers["ETag"]
    url = f"/api/v1/orders/{order['id']}/cancel"
    assert_error(client.post(url, json={"reason": "budget cut"}, headers=rep), 428, "precondition_required")
    assert_error(client.post(url, json={"reason": "budget cut"}, headers={**rep, "If-Match": '"7"'}), 412,
                 "version_mismatch")
    cancelled = client.post(url, json={"reason": "budget cut"}, headers={**rep, "If-Match": etag})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.headers["ETag"] != etag
    assert (cancelled.json["cancel_reason"], cancelled.json["cancelled_by"]) == ("budget cut", "rep-1")
    assert published()[-1]["name"] == "sales.order.cancelled.v1"
    assert_error(client.post(url, json={"reason": "again"}, headers={**rep, "If-Match": cancelled.headers["ETag"]}),
                 409, "order_cancelled")
