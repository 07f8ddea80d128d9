"""The managers' views through the API with two teams (a manager each, reps in each) and an admin."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from sales.db import customers, opportunities
from sales.db_customers_pipeline import opportunity_stage_changes

PDF = b"%PDF-1.7\n" + b"x" * 2000
TODAY = datetime.now(timezone.utc).date()
THIS_MONTH = TODAY.strftime("%Y-%m")
COMPANY = {"title_type": "company", "title": "ACME Trading Ltd", "tax_id": "91310000MA1FL0XX1", "bank": "ICBC",
           "bank_account": "6222000000000001", "address": "1 Bund Road, Shanghai", "tax_rate": "13"}


@pytest.fixture(autouse=True)
def people(two_teams):
    """Every test here starts with the two teams in the directory."""
    return two_teams


def view(client, who, query=""):
    response = client.get(f"/api/v1/team-views/reps{query}", headers=who)
    assert response.status_code == 200, response.json
    return {rep["rep_id"]: rep for rep in response.json["reps"]}


def deal(client, who, amount, customer=None, currency="CNY"):
    if customer is None:
        customer = client.post("/api/v1/customers", json={"name": "Customer"}, headers=who).json
    opened = client.post(f"/api/v1/customers/{customer['id']}/opportunities",
                         json={"name": "Deal", "amount": amount, "currency": currency}, headers=who)
    assert opened.status_code == 201, opened.json
    return customer, opened.json


def move(client, who, opportunity, stage):
    moved = client.post(f"/api/v1/opportunities/{opportunity['id']}/stage", json={"stage": stage},
                        headers={**who, "If-Match": f'"{opportunity["version"]}"'})
    assert moved.status_code == 200, moved.json
    return moved.json


def fresh(client, path, who):
    return {**who, "If-Match": client.get(path, headers=who).headers["ETag"]}


def approve(client, request_id, who):
    path = f"/api/v1/approvals/{request_id}"
    decided = client.post(f"{path}/approve", json={}, headers=fresh(client, path, who))
    assert decided.status_code == 200, decided.json


def contract_of(client, people, rep, price, sign=True):
    """A won deal of `rep`'s new customer, its order and contract: submitted, or approved by the manager and signed."""
    who = people[rep]
    _, opportunity = deal(client, who, price)
    client.post(f"/api/v1/opportunities/{opportunity['id']}/close", json={"outcome": "won"}, headers=who)
    order = client.post("/api/v1/orders", headers=who, json={
        "opportunity_id": opportunity["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": price}]}).json
    contract = client.post("/api/v1/contracts", headers=who, json={
        "order_id": order["id"], "title": "ERP", "start_date": "2027-01-01", "end_date": "2027-12-31"}).json
    url = f"/api/v1/contracts/{contract['id']}"
    submitted = client.post(f"{url}/submit", headers=fresh(client, url, who)).json
    if not sign:
        return submitted
    approve(client, submitted["approval_request_id"], people["boss-east"])
    signed = client.post(f"{url}/sign", content_type="multipart/form-data", headers=fresh(client, url, who),
                         data={"signed_on": TODAY.isoformat(), "signatories": ["Ms Li"],
                               "file": (io.BytesIO(PDF), "signed.pdf", "application/pdf")})
    assert signed.status_code == 200, signed.json
    return signed.json


def test_each_viewer_sees_the_reps_of_their_scope(client, people):
    assert sorted(view(client, people["boss-east"])) == ["boss-east", "rep-e1", "rep-e2"]
    assert sorted(view(client, people["boss-west"])) == ["boss-west", "rep-w1"]
    assert sorted(view(client, people["rep-e1"])) == ["rep-e1"]
    assert sorted(view(client, people["root"])) == ["boss-east", "boss-west", "rep-e1", "rep-e2", "rep-w1"]
    assert sorted(view(client, people["root"], "?team=west")) == ["boss-west", "rep-w1"]
    assert view(client, people["boss-east"], "?team=west") == {}
    assert client.get("/api/v1/team-views/reps?period=2026-14", headers=people["root"]).status_code == 422
    assert client.get("/api/v1/team-views/reps?stale_days=0", headers=people["root"]).status_code == 422


def test_open_pipeline_by_stage_weighted_and_won_this_period_per_rep(client, people):
    e1, e2, w1 = people["rep-e1"], people["rep-e2"], people["rep-w1"]
    customer, first = deal(client, e1, "1999.99")
    deal(client, e1, "0.01", customer)
    _, proposal = deal(client, e1, "333.33", customer)
    move(client, e1, proposal, "proposal")
    _, won = deal(client, e2, "1000.00")
    client.post(f"/api/v1/opportunities/{won['id']}/close", json={"outcome": "won"}, headers=e2)
    deal(client, w1, "5.00")
    rows = view(client, people["boss-east"], f"?period={THIS_MONTH}")
    assert rows["rep-e1"]["open_pipeline"] == [
        {"stage": "qualification", "currency": "CNY", "count": 2, "amount": "2000.00", "weighted": "200.00"},
        {"stage": "proposal", "currency": "CNY", "count": 1, "amount": "333.33", "weighted": "166.67"},
    ]
    assert rows["rep-e1"]["open_totals"] == [
        {"currency": "CNY", "count": 3, "amount": "2333.33", "weighted": "366.67"}]
    assert rows["rep-e1"]["won"] == [] and rows["rep-e2"]["open_pipeline"] == []
    assert rows["rep-e2"]["won"] == [{"currency": "CNY", "count": 1, "amount": "1000.00"}]
    assert view(client, people["boss-east"], "?period=2020")["rep-e2"]["won"] == []
    assert "rep-w1" not in rows


def test_stale_deals_and_idle_customers_follow_the_days_asked(client, uow_factory, people):
    e1 = people["rep-e1"]
    old_customer, old_deal = deal(client, e1, "700.00")
    deal(client, e1, "50.00")
    long_ago = datetime.now(timezone.utc) - timedelta(days=40)
    with uow_factory() as uow:
        uow.session.execute(update(customers).where(customers.c.id == old_customer["id"]).values(created_at=long_ago))
        uow.session.execute(update(opportunities).where(opportunities.c.id == old_deal["id"])
                            .values(created_at=long_ago))
        uow.session.execute(update(opportunity_stage_changes)
                            .where(opportunity_stage_changes.c.opportunity_id == old_deal["id"]).values(at=long_ago))
        uow.session.commit()
    row = view(client, people["boss-east"], "?stale_days=30&idle_days=30")["rep-e1"]
    assert row["stale"] == [{"currency": "CNY", "count": 1, "amount": "700.00"}] and row["idle_customers"] == 1
    row = view(client, people["boss-east"], "?stale_days=41&idle_days=41")["rep-e1"]
    assert row["stale"] == [] and row["idle_customers"] == 0
    stale = client.get("/api/v1/team-views/stale-opportunities?stale_days=30", headers=people["boss-east"]).json
    assert [s["id"] for s in stale["items"]] == [old_deal["id"]]
    assert client.get("/api/v1/team-views/stale-opportunities?stale_days=30",
                      headers=people["boss-west"]).json["items"] == []
    # A stage move is activity: the deal is no longer stale, nor its customer idle.
    move(client, e1, client.get(f"/api/v1/opportunities/{old_deal['id']}", headers=e1).json, "proposal")
    row = view(client, people["boss-east"], "?stale_days=30&idle_days=30")["rep-e1"]
    assert row["stale"] == [] and row["idle_customers"] == 0


def test_money_in_progress_the_ledger_and_payments_collected_per_rep(client, people):
    e1, boss = people["rep-e1"], people["boss-east"]
    contract_of(client, people, "rep-e1", "8000.00", sign=False)
    signed = contract_of(client, people, "rep-e1", "50000.00")
    plan = client.post("/api/v1/payment-plans", headers=e1, json={"contract_id": signed["id"], "installments": [
        {"number": 1, "amount": "20000.00", "planned_date": (TODAY - timedelta(days=3)).isoformat(),
         "method": "bank_transfer"},
        {"number": 2, "amount": "30000.00", "planned_date": "2027-06-30", "method": "bank_transfer"}]})
    assert plan.status_code == 201, plan.json
    paid = client.post("/api/v1/payments", headers=e1, json={"contract_id": signed["id"], "amount": "5000.00",
                                                             "received_on": TODAY.isoformat(), "method": "bank"})
    assert paid.status_code == 201, paid.json
    invoice = client.post("/api/v1/invoices", headers=e1, json={**COMPANY, "contract_id": signed["id"],
                                                                "amount": "3000.00"}).json
    approve(client, invoice["approval_request_id"], boss)
    url = f"/api/v1/invoices/{invoice['id']}"
    issued = client.post(f"{url}/issue", json={"invoice_number": f"TV-{invoice['id'][:8]}",
                                               "issued_on": TODAY.isoformat()}, headers=fresh(client, url, e1))
    assert issued.status_code == 200, issued.json
    # A second contract, paid in full and then refunded: cancelled, its money counted back out.
    cancelled = contract_of(client, people, "rep-e1", "1000.00")
    client.post("/api/v1/payment-plans", headers=e1, json={"contract_id": cancelled["id"], "installments": [
        {"number": 1, "amount": "1000.00", "planned_date": "2027-01-31", "method": "bank_transfer"}]})
    client.post("/api/v1/payments", headers=e1, json={"contract_id": cancelled["id"], "amount": "1000.00",
                                                      "received_on": TODAY.isoformat(), "method": "bank"})
    refund = client.post("/api/v1/refunds", headers=e1, json={"contract_id": cancelled["id"], "amount": "1000.00",
                                                              "reason": "Cancelled", "refunded_on": TODAY.isoformat()})
    assert refund.status_code == 201, refund.json
    approve(client, refund.json["approval_request_id"], boss)
    client.post("/api/v1/targets", headers=boss, json={"subject_kind": "rep", "subject_id": "rep-e1",
                                                       "period": THIS_MONTH, "metric": "payments_collected",
                                                       "value": "10000.00", "currency": "CNY"})

    row = view(client, boss, f"?period={THIS_MONTH}")["rep-e1"]
    assert row["awaiting_approval"] == [{"currency": "CNY", "count": 1, "amount": "8000.00"}]
    assert row["overdue_installments"] == [{"currency": "CNY", "count": 1, "due": "15000.00"}]
    assert row["ledger"] == [{"currency": "CNY", "contracts": 1, "contract_amount": "50000.00", "paid": "6000.00",
                              "invoiced": "3000.00", "refunded": "1000.00", "outstanding": "45000.00"}]
    [achieved] = row["achievement"]
    assert (achieved["target"]["metric"], achieved["actual"], achieved["percent"]) == (
        "payments_collected", "5000.00", "50.0")
    assert view(client, people["root"])["rep-e2"]["ledger"] == []
    assert "rep-e1" not in view(client, people["boss-west"])
