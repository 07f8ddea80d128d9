"""The pipeline through the API: stage moves and their history, lines from the catalogue, kanban and forecast."""
from __future__ import annotations

from decimal import Decimal

import pytest


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


def if_match(headers: dict, resource: dict) -> dict:
    return {**headers, "If-Match": f'"{resource["version"]}"'}


@pytest.fixture
def deal(client, headers):
    """Open a deal for a new customer of `owner`."""

    def opened(owner: str = "rep-1", amount: str = "1000.00", currency: str = "CNY", close: str | None = "2027-01-15",
               **fields) -> dict:
        rep = headers(owner, "sales_rep")
        customer = client.post("/api/v1/customers", json={"name": f"{owner}'s customer"}, headers=rep).json
        response = client.post(f"/api/v1/customers/{customer['id']}/opportunities",
                               json={"name": "Deal", "amount": amount, "currency": currency,
                                     "expected_close_date": close, **fields}, headers=rep)
        assert response.status_code == 201, response.json
        return response.json

    return opened


@pytest.fixture
def product(client, headers):
    def added(sku: str, price: str, currency: str = "CNY") -> dict:
        response = client.post("/api/v1/products", json={"sku": sku, "name": f"Product {sku}", "unit_price": price,
                                                         "currency": currency}, headers=headers("boss", "sales_manager"))
        assert response.status_code == 201, response.json
        return response.json

    return added


def move(client, headers, opportunity: dict, stage: str, **body):
    return client.post(f"/api/v1/opportunities/{opportunity['id']}/stage", json={"stage": stage, **body},
                       headers=if_match(headers, opportunity))


def test_the_default_pipeline_has_weighted_stages_and_two_ends(client, headers):
    stages = client.get("/api/v1/pipeline/stages", headers=headers("rep-1", "sales_rep")).json["items"]
    assert [(s["key"], s["win_probability"]) for s in stages] == [
        ("qualification", 10), ("needs_analysis", 25), ("proposal", 50), ("negotiation", 75), ("won", 100), ("lost", 0)]
    assert [s["key"] for s in stages if s["is_won"] or s["is_lost"]] == ["won", "lost"]


def test_stage_moves_are_versioned_kept_in_history_and_published(client, headers, deal, published):
    rep = headers("rep-1", "sales_rep")
    opportunity = deal()
    assert_error(client.post(f"/api/v1/opportunities/{opportunity['id']}/stage", json={"stage": "proposal"},
                             headers=rep), 428, "precondition_required")
    assert_error(move(client, rep, opportunity, "signed"), 422, "validation_failed")
    moved = move(client, rep, opportunity, "proposal")
    assert moved.status_code == 200, moved.json
    assert moved.json["stage"] == "proposal" and moved.headers["ETag"] == f'"{opportunity["version"] + 1}"'
    assert_error(move(client, rep, opportunity, "negotiation"), 412, "version_mismatch")
    event = published()[-1]
    assert event["name"] == "sales.opportunity.stage_changed.v1"
    assert (event["payload"]["from_stage"], event["payload"]["stage"], event["payload"]["win_probability"],
            event["payload"]["changed_by"]) == ("qualification", "proposal", 50, "rep-1")
    # Lost needs a reason; with one, the deal is closed in the lost stage.
    before = len(published())
    body = assert_error(move(client, rep, moved.json, "lost"), 422, "loss_reason_required")
    assert "reason" in body["errors"] and len(published()) == before
    lost = move(client, rep, moved.json, "lost", reason="Chose a competitor")
    assert (lost.json["status"], lost.json["stage"], lost.json["close_reason"]) == ("lost", "lost", "Chose a competitor")
    assert published()[-1]["name"] == "sales.opportunity.closed.v1"
    assert_error(move(client, rep, lost.json, "proposal"), 409, "opportunity_closed")
    history = client.get(f"/api/v1/opportunities/{opportunity['id']}/stage-history", headers=rep).json["items"]
    assert [(h["from_stage"], h["to_stage"], h["actor_id"]) for h in history] == [
        (None, "qualification", "rep-1"), ("qualification", "proposal", "rep-1"), ("proposal", "lost", "rep-1")]


def test_closing_as_lost_needs_a_reason_and_winning_lands_in_the_won_stage(client, headers, deal):
    rep = headers("rep-1", "sales_rep")
    opportunity = deal()
    path = f"/api/v1/opportunities/{opportunity['id']}/close"
    assert_error(client.post(path, json={"outcome": "lost"}, headers=rep), 422, "loss_reason_required")
    assert_error(client.post(path, json={"outcome": "lost", "reason": "  "}, headers=rep), 422, "loss_reason_required")
    assert_error(client.post(path, json={"outcome": "won"}, headers={**rep, "If-Match": '"99"'}), 412, "version_mismatch")
    won = client.post(path, json={"outcome": "won"}, headers=rep).json
    assert (won["status"], won["stage"]) == ("won", "won")


def test_a_patch_edits_an_open_deal_and_refuses_what_it_may_not_set(client, headers, deal):
    rep = headers("rep-1", "sales_rep")
    opportunity = deal(competitor="Globex")
    path = f"/api/v1/opportunities/{opportunity['id']}"
    assert opportunity["competitor"] == "Globex" and opportunity["source"] == "direct"
    assert_error(client.patch(path, json={"amount": "5.00"}, headers=rep), 428)
    for field, value in (("stage", "won"), ("status", "won"), ("owner_id", "rep-2"), ("customer_id", "x")):
        body = assert_error(client.patch(path, json={field: value}, headers=if_match(rep, opportunity)), 422)
        assert field in body["errors"]
    assert_error(client.patch(path, json={"amount": 12.5}, headers=if_match(rep, opportunity)), 422)
    edited = client.patch(path, json={"amount": "2500.50", "competitor": "Initech", "expected_close_date": "2027-03-01"},
                          headers=if_match(rep, opportunity))
    assert edited.status_code == 200, edited.json
    assert (edited.json["amount"], edited.json["competitor"], edited.json["version"]) == (
        "2500.50", "Initech", opportunity["version"] + 1)
    assert client.get(path, headers=rep).headers["ETag"] == f'"{opportunity["version"] + 1}"'


def test_product_lines_price_the_deal_in_decimal(client, headers, deal, product):
    rep = headers("rep-1", "sales_rep")
    licence, service = product("LIC-1", "1999.99"), product("SVC-1", "333.33")
    opportunity = deal()
    path = f"/api/v1/opportunities/{opportunity['id']}"
    lines = [{"product_id": licence["id"], "quantity": "3", "discount": "0.01"},
             {"product_id": service["id"], "quantity": "2.5", "unit_price": "300.00"}]
    priced = client.put(f"{path}/lines", json={"lines": lines}, headers=if_match(rep, opportunity))
    assert priced.status_code == 200, priced.json
    # 3 × 1999.99 − 0.01 + 2.5 × 300.00 = 5999.96 + 750.00
    assert priced.json["amount"] == "6749.96" and priced.json["currency"] == "CNY"
    assert [(line["sku"], line["total"]) for line in priced.json["lines"]] == [("LIC-1", "5999.96"), ("SVC-1", "750.00")]
    assert client.get(path, headers=rep).json["lines"] == priced.json["lines"]
    # With lines, the amount is theirs.
    assert_error(client.patch(path, json={"amount": "1.00"}, headers=if_match(rep, priced.json)), 409, "amount_from_lines")
    usd = product("LIC-USD", "10.00", "USD")
    refusals = [
        [{"product_id": licence["id"], "quantity": "1"}, {"product_id": usd["id"], "quantity": "1"}],
        [{"product_id": licence["id"], "quantity": "0"}],
        [{"product_id": licence["id"], "quantity": "1", "discount": "2000.00"}],
        [{"product_id": opportunity["id"], "quantity": "1"}],
    ]
    for bad in refusals:
        assert_error(client.put(f"{path}/lines", json={"lines": bad}, headers=if_match(rep, priced.json)), 422)
    withdrawn = client.patch(f"/api/v1/products/{licence['id']}", json={"active": False},
                             headers=if_match(headers("boss", "sales_manager"), licence))
    assert withdrawn.status_code == 200 and withdrawn.json["active"] is False
    assert_error(client.put(f"{path}/lines", json={"lines": lines}, headers=if_match(rep, priced.json)), 422)
    assert client.get(path, headers=rep).json["amount"] == "6749.96"


def test_the_catalogue_is_kept_by_managers_with_unique_skus_and_versioned_edits(client, headers, product):
    manager, rep = headers("boss", "sales_manager"), headers("rep-1", "sales_rep")
    item = product("LIC-1", "100.00")
    assert_error(client.post("/api/v1/products", json={"sku": "LIC-2", "name": "x", "unit_price": "1.00",
                                                       "currency": "CNY"}, headers=rep), 403)
    assert_error(client.post("/api/v1/products", json={"sku": "LIC-1", "name": "x", "unit_price": "1.00",
                                                       "currency": "CNY"}, headers=manager), 409, "sku_taken")
    assert_error(client.patch(f"/api/v1/products/{item['id']}", json={"sku": "NEW"}, headers=if_match(manager, item)), 422)
    repriced = client.patch(f"/api/v1/products/{item['id']}", json={"unit_price": "120.00"}, headers=if_match(manager, item))
    assert repriced.json["unit_price"] == "120.00"
    assert_error(client.patch(f"/api/v1/products/{item['id']}", json={"unit_price": "130.00"},
                              headers=if_match(manager, item)), 412, "version_mismatch")
    assert [p["sku"] for p in client.get("/api/v1/products", headers=rep).json["items"]] == ["LIC-1"]


def test_the_kanban_groups_visible_open_deals_by_stage_with_counts_and_sums(client, headers, deal):
    rep1, rep2 = headers("rep-1", "sales_rep"), headers("rep-2", "sales_rep")
    a, b = deal(amount="100.10"), deal(amount="200.20")
    deal(amount="50.00", currency="USD")
    deal("rep-2", amount="999.00")
    move(client, rep1, b, "proposal")
    lost = deal(amount="7.00")
    move(client, rep1, lost, "lost", reason="No budget")
    board = client.get("/api/v1/pipeline/kanban", headers=rep1).json["columns"]
    by_stage = {c["stage"]["key"]: c for c in board}
    assert list(by_stage) == ["qualification", "needs_analysis", "proposal", "negotiation"]
    assert by_stage["qualification"]["count"] == 2
    assert by_stage["qualification"]["totals"] == [{"currency": "CNY", "amount": "100.10"}, {"currency": "USD", "amount": "50.00"}]
    assert [i["id"] for i in by_stage["proposal"]["items"]] == [b["id"]]
    assert by_stage["needs_analysis"] == {**by_stage["needs_analysis"], "count": 0, "totals": [], "items": []}
    assert a["id"] in [i["id"] for i in by_stage["qualification"]["items"]]
    closed = {c["stage"]["key"]: c for c in client.get("/api/v1/pipeline/kanban?include_closed=true", headers=rep1).json["columns"]}
    assert closed["lost"]["count"] == 1 and closed["won"]["count"] == 0
    # rep-2 sees only their own deal; an admin sees all four open ones.
    assert sum(c["count"] for c in client.get("/api/v1/pipeline/kanban", headers=rep2).json["columns"]) == 1
    admin = headers("root", "admin")
    assert sum(c["count"] for c in client.get("/api/v1/pipeline/kanban", headers=admin).json["columns"]) == 4
    assert sum(c["count"] for c in client.get("/api/v1/pipeline/kanban?owner=rep-2", headers=admin).json["columns"]) == 1
    assert_error(client.get("/api/v1/pipeline/kanban?colour=red", headers=rep1), 422)


def test_the_forecast_weights_open_deals_by_stage_probability_per_close_month(client, headers, deal, in_directory):
    rep1 = headers("rep-1", "sales_rep")
    jan = deal(amount="1000.00", close="2027-01-15")           # qualification: 10 %
    feb = deal(amount="333.33", close="2027-02-28")           # proposal: 50 % -> 166.665 -> 166.67
    move(client, rep1, feb, "proposal")
    deal(amount="400.00", close="2027-02-01")                 # qualification: 40.00
    deal(amount="9999.00", close="2027-07-01")                # outside the window
    deal(amount="5.00", close=None)                           # no close date: not forecast
    deal("rep-2", amount="2000.00", close="2027-01-10")       # another rep's
    won = deal(amount="800.00", close="2027-01-20")
    client.post(f"/api/v1/opportunities/{won['id']}/close", json={"outcome": "won"}, headers=rep1)
    rows = client.get("/api/v1/pipeline/forecast?from=2027-01&to=2027-03", headers=rep1).json["items"]
    assert [(r["month"], r["currency"], r["count"], r["amount"], r["weighted_amount"]) for r in rows] == [
        ("2027-01", "CNY", 1, "1000.00", "100.00"), ("2027-02", "CNY", 2, "733.33", "206.67")]
    assert Decimal(rows[0]["weighted_amount"]) == Decimal(jan["amount"]) / 10
    # A manager of both reps' team sees both, per rep if asked.
    in_directory("rep-1", "east")
    in_directory("rep-2", "east")
    in_directory("boss", "east", roles=("sales_manager",))
    boss = headers("boss", "sales_manager")
    per_rep = client.get("/api/v1/pipeline/forecast?from=2027-01&to=2027-01&per_owner=true&team=east", headers=boss).json["items"]
    assert [(r["owner_id"], r["amount"], r["weighted_amount"]) for r in per_rep] == [
        ("rep-1", "1000.00", "100.00"), ("rep-2", "2000.00", "200.00")]
    assert_error(client.get("/api/v1/pipeline/forecast?from=2027-03&to=2027-01", headers=rep1), 422)
    assert_error(client.get("/api/v1/pipeline/forecast?from=2027-13&to=2027-01", headers=rep1), 422)


def test_an_agent_opens_a_deal_from_a_ticket_for_the_customers_owner(client, headers, deal, published):
    owner_deal = deal()
    agent = headers("agent-1", "service_agent")
    ticket = "8c1f0000-0000-4000-8000-000000000001"
    made = client.post(f"/api/v1/customers/{owner_deal['customer_id']}/opportunities",
                       json={"name": "Upgrade", "amount": "10.00", "currency": "CNY", "source_ticket_id": ticket},
                       headers=agent)
    assert made.status_code == 201, made.json
    assert (made.json["owner_id"], made.json["created_by"], made.json["source"], made.json["source_ticket_id"]) == (
        "rep-1", "agent-1", "ticket", ticket)
    opened = published()[-1]
    assert opened["name"] == "sales.opportunity.opened.v1" and opened["payload"]["source_ticket_id"] == ticket
    # An agent reads but does not work the deal.
    assert_error(move(client, agent, made.json, "proposal"), 403)


def test_an_admin_reconfigures_the_stages_but_not_away_from_open_deals(client, headers, deal):
    admin, rep = headers("root", "admin"), headers("rep-1", "sales_rep")
    opportunity = deal()
    move(client, rep, opportunity, "proposal")
    stages = [{"key": "discovery", "name": "Discovery", "win_probability": 20},
              {"key": "won", "name": "Won", "win_probability": 100, "is_won": True},
              {"key": "lost", "name": "Lost", "win_probability": 0, "is_lost": True}]
    body = assert_error(client.put("/api/v1/pipeline/stages", json={"stages": stages}, headers=admin), 409, "stage_in_use")
    assert body["errors"] == {"stages": ["proposal"]}
    assert_error(client.put("/api/v1/pipeline/stages", json={"stages": stages}, headers=rep), 403)
    no_won = [s for s in stages if s["key"] != "won"] + [{"key": "proposal", "name": "P", "win_probability": 50}]
    assert_error(client.put("/api/v1/pipeline/stages", json={"stages": no_won}, headers=admin), 422)
    assert_error(client.put("/api/v1/pipeline/stages", json={"stages": stages + [stages[0]]}, headers=admin), 422)
    kept = [{"key": "proposal", "name": "Offer", "win_probability": 60}, *stages]
    configured = client.put("/api/v1/pipeline/stages", json={"stages": kept}, headers=admin)
    assert configured.status_code == 200, configured.json
    assert [(s["key"], s["position"]) for s in configured.json["items"]] == [
        ("proposal", 1), ("discovery", 2), ("won", 3), ("lost", 4)]
    # New deals start in the first open stage; the forecast uses the new weight.
    assert deal()["stage"] == "proposal"
    rows = client.get("/api/v1/pipeline/forecast?from=2027-01&to=2027-01", headers=rep).json["items"]
    assert (rows[0]["amount"], rows[0]["weighted_amount"]) == ("2000.00", "1200.00")


def test_the_deal_list_pages_what_the_viewer_may_see_by_status_and_stage(client, headers, deal):
    rep = headers("rep-1", "sales_rep")
    made = [deal(close=f"2027-01-{day:02d}") for day in (20, 10, 15)]
    deal("rep-2")
    move(client, rep, made[0], "proposal")
    client.post(f"/api/v1/opportunities/{made[1]['id']}/close", json={"outcome": "lost", "reason": "price"}, headers=rep)
    first = client.get("/api/v1/opportunities?limit=2", headers=rep).json
    rest = client.get("/api/v1/opportunities?limit=2&offset=2", headers=rep).json
    assert (first["total"], len(first["items"]), len(rest["items"])) == (3, 2, 1)
    assert [o["id"] for o in first["items"] + rest["items"]] == [made[1]["id"], made[2]["id"], made[0]["id"]]
    assert [o["id"] for o in client.get("/api/v1/opportunities?status=open", headers=rep).json["items"]] == [
        made[2]["id"], made[0]["id"]]
    assert client.get("/api/v1/opportunities?stage=proposal", headers=rep).json["total"] == 1
    assert client.get("/api/v1/opportunities?owner=rep-2", headers=rep).json == {"items": [], "total": 0}
    assert client.get("/api/v1/opportunities", headers=headers("root", "admin")).json["total"] == 4
    assert_error(client.get("/api/v1/opportunities?status=maybe", headers=rep), 422)
