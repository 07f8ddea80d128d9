"""Partial refunds that amend a contract, re-planning the unpaid part, the contract's figures and its history,
through the Flask test client."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

PDF = b"%PDF-1.7\n" + b"x" * 2000
TERMS = {"title": "MES rollout 2027", "start_date": "2027-01-01", "end_date": "2027-12-31"}
THREE = [
    {"number": 1, "amount": "33333.33", "planned_date": "2027-01-31", "method": "bank_transfer",
     "remind_days_before": 3},
    {"number": 2, "amount": "33333.33", "planned_date": "2027-04-30", "method": "bank_transfer",
     "remind_days_before": 10},
    {"number": 3, "amount": "33333.34", "planned_date": "2027-07-31", "method": "bank_transfer"},
]
COMPANY = {"title_type": "company", "title": "ACME Trading Ltd", "tax_id": "91310000MA1FL0XX1", "tax_rate": "13"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.json
    assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture(autouse=True)
def one_team(in_directory):
    in_directory("rep-1", "east")
    in_directory("boss", "east", roles=("sales_manager",))


@pytest.fixture
def people(headers):
    return {"rep": headers("rep-1", "sales_rep"), "other_rep": headers("rep-2", "sales_rep"),
            "manager": headers("boss", "sales_manager"), "admin": headers("root", "admin")}


def fresh(client, path: str, headers: dict) -> dict:
    read = client.get(path, headers=headers)
    assert read.status_code == 200, read.json
    return {**headers, "If-Match": read.headers["ETag"]}


def approve(client, request_id, headers):
    url = f"/api/v1/approvals/{request_id}"
    response = client.post(f"{url}/approve", json={}, headers=fresh(client, url, headers))
    assert response.status_code == 200, response.json


@pytest.fixture
def planned(client, convert, people):
    """A signed contract of rep-1's customer for 100,000.00 with three installments."""

    def make() -> tuple[dict, list[dict]]:
        rep = people["rep"]
        lead_id = convert(owner_id="rep-1").payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
        order = client.post("/api/v1/orders", headers=rep, json={
            "opportunity_id": deal["id"], "lines": [{"sku": "MES", "quantity": "1", "unit_price": "100000.00"}]}).json
        contract = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS}, headers=rep).json
        url = f"/api/v1/contracts/{contract['id']}"
        submitted = client.post(f"{url}/submit", headers=fresh(client, url, rep)).json
        approve(client, submitted["approval_request_id"], people["manager"])
        # From 100,000.00 an admin approves too.
        approve(client, submitted["approval_request_id"], people["admin"])
        signed = client.post(f"{url}/sign", content_type="multipart/form-data", headers=fresh(client, url, rep),
                             data={"signed_on": "2026-12-15", "signatories": ["Ms Li"],
                                   "file": (io.BytesIO(PDF), "signed.pdf", "application/pdf")})
        assert signed.status_code == 200, signed.json
        created = client.post("/api/v1/payment-plans", json={"contract_id": contract["id"], "installments": THREE},
                              headers=rep)
        assert created.status_code == 201, created.json
        return signed.json, created.json["installments"]

    return make


def pay(client, contract_id, amount, headers):
    response = client.post("/api/v1/payments", headers=headers, json={
        "contract_id": contract_id, "amount": amount, "received_on": "2026-12-20", "method": "bank_transfer"})
    assert response.status_code == 201, response.json
    return response.json


def live_installments(client, contract_id, headers) -> list[dict]:
    items = client.get(f"/api/v1/installments?contract_id={contract_id}", headers=headers).json["items"]
    return [i for i in items if i["status"] != "void"]


def test_a_partial_refund_amends_the_contract_keeps_it_in_force_and_links_every_change(client, planned, people,
                                                                                       published):
    contract, _ = planned()
    rep = people["rep"]
    pay(client, contract["id"], "40000.00", rep)
    invoice = client.post("/api/v1/invoices", headers=rep, json={**COMPANY, "contract_id": contract["id"],
                                                                 "amount": "40000.00"}).json
    approve(client, invoice["approval_request_id"], people["manager"])
    invoice_url = f"/api/v1/invoices/{invoice['id']}"
    client.post(f"{invoice_url}/issue", json={"invoice_number": "AM-1", "issued_on": "2026-12-21"},
                headers=fresh(client, invoice_url, rep))
    # Reduced to 30,000.00 with 40,000.00 received: at least 10,000.00 must go back.
    body = {"contract_id": contract["id"], "amount": "9999.99", "amended_amount": "30000.00",
            "reason": "Second site dropped", "refunded_on": "2026-12-30"}
    assert_error(client.post("/api/v1/refunds", json=body, headers=rep), 409, "refund_leaves_overpayment")
    assert_error(client.post("/api/v1/refunds", json={**body, "amended_amount": "100000.00"}, headers=rep), 409,
                 "amendment_not_a_reduction")
    refund = client.post("/api/v1/refunds", json={**body, "amount": "10000.00"}, headers=rep)
    assert refund.status_code == 201, refund.json
    refund = refund.json
    approve(client, refund["approval_request_id"], people["manager"])

    done = client.get(f"/api/v1/refunds/{refund['id']}", headers=rep).json
    read = client.get(f"/api/v1/contracts/{contract['id']}", headers=rep).json
    assert (read["status"], read["amount"]) == ("signed", "30000.00")
    assert read["figures"] == {"amount": "30000.00", "currency": "CNY", "received": "40000.00", "refunded": "10000.00",
                               "paid": "30000.00", "invoiced": "40000.00", "outstanding": "0.00", "net": "30000.00"}
    assert client.get(f"/api/v1/orders/{contract['order_id']}", headers=rep).json["status"] != "cancelled"
    live = live_installments(client, contract["id"], rep)
    assert sum(Decimal(i["planned_amount"]) for i in live) == Decimal("30000.00")
    assert sum(Decimal(i["paid_amount"]) for i in live) == Decimal("30000.00")
    [amendment] = client.get(f"/api/v1/contracts/{contract['id']}/amendments", headers=rep).json["items"]
    assert (amendment["amount_before"], amendment["amount_after"], amendment["refund_id"]) == (
        "100000.00", "30000.00", refund["id"])
    assert (done["amendment_id"], done["amended_amount"]) == (amendment["id"], "30000.00")
    assert done["invoices_to_reverse"] == [invoice["id"]]
    payments = client.get(f"/api/v1/payments?contract_id={contract['id']}", headers=rep).json["items"]
    [negative] = [p for p in payments if p["refund_id"] == refund["id"]]
    assert (negative["id"], negative["amount"]) == (done["payment_id"], "-10000.00")

    history = client.get(f"/api/v1/contracts/{contract['id']}/history", headers=rep).json["items"]
    names = [h["event_name"] for h in history]
    for name in ("sales.contract.submitted.v1", "sales.contract.approved.v1", "sales.contract.signed.v1",
                 "sales.payment_plan.created.v1", "sales.payment.received.v1", "sales.invoice.issued.v1",
                 "sales.refund.requested.v1", "sales.contract.amended.v1", "sales.refund.completed.v1"):
        assert name in names, name
    [amended] = [h for h in history if h["event_name"] == "sales.contract.amended.v1"]
    assert (amended["caused_by_kind"], amended["caused_by_id"], amended["actor_id"]) == ("refund", refund["id"], "boss")
    [completed] = [h for h in history if h["event_name"] == "sales.refund.completed.v1"]
    assert (completed["record_kind"], completed["record_id"]) == ("refund", refund["id"])
    assert completed["details"]["payment_id"] == negative["id"]
    assert completed["details"]["amendment_id"] == amendment["id"]
    assert "sales.contract.amended.v1" in [e["name"] for e in published()]
    # The customer's timeline tells the same history: the amendment, by whom and to what amount.
    timeline = client.get(f"/api/v1/customers/{read['customer_id']}/timeline", headers=rep).json["items"]
    [on_timeline] = [e for e in timeline if e["kind"] == "contract_amended"]
    assert (on_timeline["record_id"], on_timeline["actor_id"], on_timeline["amount"], on_timeline["detail"],
            on_timeline["at"]) == (contract["id"], "boss", "30000.00", "Second site dropped", amended["occurred_at"])
    assert client.get(f"/api/v1/contracts/{contract['id']}/history", headers=people["other_rep"]).status_code == 404


def test_a_full_refund_voids_and_the_figures_show_what_was_kept(client, planned, people):
    contract, _ = planned()
    pay(client, contract["id"], "40000.00", people["rep"])
    refund = client.post("/api/v1/refunds", headers=people["rep"], json={
        "contract_id": contract["id"], "amount": "25000.00", "reason": "cancelled", "refunded_on": "2026-12-30"}).json
    approve(client, refund["approval_request_id"], people["manager"])
    figures = client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json["figures"]
    assert figures == {"amount": "100000.00", "currency": "CNY", "received": "40000.00", "refunded": "25000.00",
                       "paid": "15000.00", "invoiced": "0.00", "outstanding": "0.00", "net": "15000.00"}
    history = client.get(f"/api/v1/contracts/{contract['id']}/history", headers=people["rep"]).json["items"]
    [voided] = [h for h in history if h["event_name"] == "sales.contract.voided.v1"]
    assert (voided["caused_by_kind"], voided["caused_by_id"]) == ("refund", refund["id"])


def test_revising_the_plan_needs_the_version_read_and_keeps_the_sum(client, planned, people, published):
    contract, installments = planned()
    rep = people["rep"]
    pay(client, contract["id"], "40000.00", rep)
    url = f"/api/v1/payment-plans/{contract['id']}"
    rest = [{"number": 4, "amount": "30000.00", "planned_date": "2027-05-31", "method": "bank_transfer",
             "remind_days_before": 5},
            {"number": 5, "amount": "30000.00", "planned_date": "2027-08-31", "method": "cheque"}]
    assert_error(client.put(url, json={"installments": rest}, headers=rep), 428, "precondition_required")
    stale = fresh(client, url, rep)
    pay(client, contract["id"], "0.01", rep)
    assert_error(client.put(url, json={"installments": rest}, headers=stale), 412, "version_mismatch")
    short = [rest[0], {**rest[1], "amount": "29999.98"}]
    assert_error(client.put(url, json={"installments": short}, headers=fresh(client, url, rep)), 422,
                 "installments_must_equal_contract")
    rest[1]["amount"] = "29999.99"
    revised = client.put(url, json={"installments": rest}, headers=fresh(client, url, rep))
    assert revised.status_code == 200, revised.json
    live = live_installments(client, contract["id"], rep)
    assert [(i["number"], i["planned_amount"], i["paid_amount"], i["status"]) for i in live] == [
        (1, "33333.33", "33333.33", "paid"), (2, "6666.68", "6666.68", "paid"),
        (4, "30000.00", "0.00", "pending"), (5, "29999.99", "0.00", "pending")]
    assert sum(Decimal(i["planned_amount"]) for i in live) == Decimal("100000.00")
    assert [i["remind_days_before"] for i in live if i["number"] in (4, 5)] == [5, 0]
    [event] = [e for e in published() if e["name"] == "sales.payment_plan.revised.v1"]
    assert event["payload"]["closed_installment_ids"] == [installments[1]["id"]]
    assert event["payload"]["voided_installment_ids"] == [installments[2]["id"]]


def test_no_plan_revision_while_a_refund_waits(client, planned, people):
    contract, _ = planned()
    rep = people["rep"]
    pay(client, contract["id"], "1000.00", rep)
    refund = client.post("/api/v1/refunds", headers=rep, json={
        "contract_id": contract["id"], "amount": "1000.00", "amended_amount": "50000.00", "reason": "smaller scope",
        "refunded_on": "2026-12-30"})
    assert refund.status_code == 201, refund.json
    url = f"/api/v1/payment-plans/{contract['id']}"
    rest = [{"number": 4, "amount": "99000.00", "planned_date": "2027-05-31", "method": "bank_transfer"}]
    assert_error(client.put(url, json={"installments": rest}, headers=fresh(client, url, rep)), 409, "refund_pending")
    assert len(live_installments(client, contract["id"], rep)) == 3
