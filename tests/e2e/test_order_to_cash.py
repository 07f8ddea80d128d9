"""Order to cash through the gateway: a lead becomes a won deal, an order with discount and tax, an approved and
signed contract, a plan of three installments, a partial payment and an invoice; then a refund. Every figure is
checked to the cent."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import requests

from crm_shared.testing import poll

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PDF = b"%PDF-1.7\n" + b"signed copy " * 200
# 3 x 12,345.67 less 5% and 2.5 x 999.99, less 100.01, plus 13% tax: every rounding shows in the total.
LINES = [
    {"sku": "MES-LIC", "description": "MES licence", "quantity": "3", "unit_price": "12345.67",
     "discount_percent": "5"},
    {"sku": "MES-SVC", "description": "Commissioning days", "quantity": "2.5", "unit_price": "999.99"},
]
# 42,471.20 is no multiple of three cents: the last installment takes the odd cent off.
INSTALLMENTS = [
    {"number": 1, "amount": "14157.07", "planned_date": "2027-01-31", "method": "bank_transfer",
     "remind_days_before": 5},
    {"number": 2, "amount": "14157.07", "planned_date": "2027-04-30", "method": "bank_transfer",
     "remind_days_before": 10},
    {"number": 3, "amount": "14157.06", "planned_date": "2027-07-31", "method": "bank_transfer"},
]


class Gateway:
    """The gateway's API as one user: JSON in, JSON out, If-Match read just before each versioned write."""

    def __init__(self, api: str, headers: dict):
        self.api, self.headers = api, headers

    def get(self, path: str, **params) -> dict:
        response = requests.get(f"{self.api}{path}", params=params, headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict | None = None, expect: int = 201, **extra) -> dict:
        response = requests.post(f"{self.api}{path}", json=body, headers={**self.headers, **extra}, timeout=10)
        assert response.status_code == expect, response.text
        return response.json()

    def if_match(self, path: str) -> dict:
        response = requests.get(f"{self.api}{path}", headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return {"If-Match": response.headers["ETag"]}

    def versioned(self, path: str, action: str, body: dict | None = None) -> dict:
        return self.post(f"{path}/{action}", body or {}, expect=200, **self.if_match(path))

    def approve(self, request_id: str) -> dict:
        return self.versioned(f"/approvals/{request_id}", "approve")


def won_order(running_system, tag: str) -> tuple[Gateway, Gateway, dict]:
    """rep1's won deal of a fresh customer, ordered: returns (rep1, manager, the order)."""
    api = running_system.gateway_url + "/api/v1"
    rep = Gateway(api, running_system.login("rep1"))
    manager = Gateway(api, running_system.login("manager"))
    lead = manager.post("/leads", {"company": f"宁波示例机械 {tag}", "contact_name": "Chen Jie",
                                   "channel": f"e2e-{tag}", "region": "华东", "allow_duplicate": True})
    rep.post(f"/leads/{lead['id']}/claim", expect=200)
    rep.post(f"/leads/{lead['id']}/convert", {"opportunity": {
        "name": "MES rollout", "amount": "42000.00", "currency": "CNY", "expected_close_date": "2027-03-31"}},
        expect=200)
    customer = poll(lambda: rep.get("/customers", lead_id=lead["id"]), lambda body: body.get("total") == 1,
                    what="the customer made of the converted lead")["items"][0]
    [deal] = rep.get(f"/customers/{customer['id']}/opportunities")["items"]
    assert rep.post(f"/opportunities/{deal['id']}/close", {"outcome": "won"}, expect=200)["status"] == "won"
    order = rep.post("/orders", {"opportunity_id": deal["id"], "lines": LINES, "discount_amount": "100.01",
                                 "tax_rate": "13"})
    return rep, manager, order


def signed_and_planned(running_system, rep: Gateway, manager: Gateway, order: dict) -> tuple[dict, list[dict]]:
    contract = rep.post("/contracts", {"order_id": order["id"], "title": "MES rollout 2027",
                                       "start_date": "2027-01-01", "end_date": "2027-12-31"})
    url = f"/contracts/{contract['id']}"
    submitted = rep.versioned(url, "submit")
    assert submitted["status"] == "pending_approval"
    assert manager.approve(submitted["approval_request_id"])["status"] == "approved"
    assert rep.get(url)["status"] == "approved"
    signed = requests.post(f"{rep.api}{url}/sign", headers={**rep.headers, **rep.if_match(url)}, timeout=10,
                           data={"signed_on": "2026-12-15", "signatories": ["Ms Chen", "Mr Wu"]},
                           files={"file": ("signed.pdf", PDF, "application/pdf")})
    assert signed.status_code == 200 and signed.json()["status"] == "signed", signed.text
    download = requests.get(f"{rep.api}{url}/file", headers=rep.headers, timeout=10)
    assert download.status_code == 200 and download.content == PDF
    plan = rep.post("/payment-plans", {"contract_id": contract["id"], "installments": INSTALLMENTS})
    return signed.json(), plan["installments"]


def figures(rep: Gateway, contract_id: str) -> dict:
    figures = rep.get(f"/contracts/{contract_id}")["figures"]
    return {key: value for key, value in figures.items() if key != "currency"}


def installments(rep: Gateway, contract_id: str) -> list[tuple[int, str, str, str]]:
    return [(i["number"], i["status"], i["planned_amount"], i["paid_amount"])
            for i in rep.get("/installments", contract_id=contract_id)["items"]]


def invoiced_and_paid(rep: Gateway, manager: Gateway, contract: dict, tag: str) -> dict:
    """20,000.00 received (installment 1 in full, 5,842.93 of 2) and 15,000.00 invoiced and issued."""
    payment = rep.post("/payments", {"contract_id": contract["id"], "amount": "20000.00",
                                     "received_on": "2026-12-20", "method": "bank_transfer", "reference": tag})
    assert [(a["number"], a["amount"]) for a in payment["allocations"]] == [(1, "14157.07"), (2, "5842.93")]
    invoice = rep.post("/invoices", {"contract_id": contract["id"], "title_type": "company",
                                     "title": "宁波示例机械有限公司", "tax_id": "91330200MA2XXXX01", "amount": "15000.00",
                                     "tax_rate": "13"})
    assert (invoice["status"], invoice["tax_amount"]) == ("pending_approval", "1725.66")
    manager.approve(invoice["approval_request_id"])
    issued = rep.versioned(f"/invoices/{invoice['id']}", "issue",
                           {"invoice_number": f"E2E-{tag}", "issued_on": "2026-12-21"})
    assert issued["status"] == "issued"
    return issued


def test_order_to_cash_with_a_refund_after_partial_payment_and_invoicing_adds_up_to_the_cent(running_system):
    tag = uuid.uuid4().hex[:8]
    rep, manager, order = won_order(running_system, tag)
    assert [(line["line_discount"], line["line_total"]) for line in order["lines"]] == [
        ("1851.85", "35185.16"), ("0.00", "2499.98")]
    assert (order["subtotal"], order["discount"], order["tax"], order["total"]) == (
        "39536.99", "1951.86", "4886.07", "42471.20")
    contract, _ = signed_and_planned(running_system, rep, manager, order)
    assert contract["amount"] == "42471.20"
    assert figures(rep, contract["id"]) == {"amount": "42471.20", "received": "0.00", "refunded": "0.00",
                                            "paid": "0.00", "invoiced": "0.00", "outstanding": "42471.20",
                                            "net": "42471.20"}
    invoice = invoiced_and_paid(rep, manager, contract, tag)
    assert figures(rep, contract["id"]) == {"amount": "42471.20", "received": "20000.00", "refunded": "0.00",
                                            "paid": "20000.00", "invoiced": "15000.00", "outstanding": "22471.20",
                                            "net": "42471.20"}

    refund = rep.post("/refunds", {"contract_id": contract["id"], "amount": "12345.67",
                                   "reason": "The customer cancelled the rollout.", "refunded_on": "2026-12-30"})
    assert refund["status"] == "pending_approval"
    manager.approve(refund["approval_request_id"])
    refund = rep.get(f"/refunds/{refund['id']}")
    assert refund["status"] == "completed"

    assert rep.get(f"/contracts/{contract['id']}")["status"] == "voided"
    assert rep.get(f"/orders/{order['id']}")["status"] == "cancelled"
    assert installments(rep, contract["id"]) == [
        (1, "paid", "14157.07", "14157.07"), (2, "void", "14157.07", "5842.93"), (3, "void", "14157.06", "0.00")]
    payments = rep.get("/payments", contract_id=contract["id"])["items"]
    assert sorted(p["amount"] for p in payments) == ["-12345.67", "20000.00"]
    [negative] = [p for p in payments if p["refund_id"] == refund["id"]]
    assert negative["id"] == refund["payment_id"]
    assert refund["invoices_to_reverse"] == [invoice["id"]]
    assert rep.get(f"/invoices/{invoice['id']}")["reversal_due"] is True
    assert figures(rep, contract["id"]) == {"amount": "42471.20", "received": "20000.00", "refunded": "12345.67",
                                            "paid": "7654.33", "invoiced": "15000.00", "outstanding": "0.00",
                                            "net": "7654.33"}
    assert sum(Decimal(p["amount"]) for p in payments) == Decimal("7654.33")

    # The flagged invoice is reversed by a red-letter one: nothing stays invoiced.
    reversal = rep.post(f"/invoices/{invoice['id']}/reverse", {
        "invoice_number": f"E2E-{tag}-R", "issued_on": "2027-01-05", "reason": "Refund"}, expect=200,
        **rep.if_match(f"/invoices/{invoice['id']}"))
    assert (reversal["red_letter"]["amount"], reversal["original"]["reversal_due"]) == ("-15000.00", False)
    assert figures(rep, contract["id"])["invoiced"] == "0.00"

    history = rep.get(f"/contracts/{contract['id']}/history")["items"]
    names = [entry["event_name"] for entry in history]
    for name in ("sales.contract.drafted.v1", "sales.contract.submitted.v1", "sales.contract.approved.v1",
                 "sales.contract.signed.v1", "sales.payment_plan.created.v1", "sales.payment.received.v1",
                 "sales.invoice.issued.v1", "sales.refund.requested.v1", "sales.refund.approved.v1",
                 "sales.contract.voided.v1", "sales.refund.completed.v1", "sales.invoice.reversed.v1"):
        assert name in names, name
    [voided] = [entry for entry in history if entry["event_name"] == "sales.contract.voided.v1"]
    assert (voided["caused_by_kind"], voided["caused_by_id"]) == ("refund", refund["id"])


def test_a_partial_refund_amends_the_contract_which_stays_in_force_to_the_cent(running_system):
    tag = uuid.uuid4().hex[:8]
    rep, manager, order = won_order(running_system, tag)
    contract, _ = signed_and_planned(running_system, rep, manager, order)
    invoice = invoiced_and_paid(rep, manager, contract, tag)
    # One line of 12,000.00 is dropped: the contract becomes 30,471.20; nothing was overpaid, nothing goes back.
    refund = rep.post("/refunds", {"contract_id": contract["id"], "amount": "0.00", "amended_amount": "30471.20",
                                   "reason": "Commissioning dropped.", "refunded_on": "2026-12-30"})
    manager.approve(refund["approval_request_id"])
    refund = rep.get(f"/refunds/{refund['id']}")
    read = rep.get(f"/contracts/{contract['id']}")
    assert (read["status"], read["amount"]) == ("signed", "30471.20")
    assert installments(rep, contract["id"]) == [
        (1, "paid", "14157.07", "14157.07"), (2, "partially_paid", "14157.07", "5842.93"),
        (3, "pending", "2157.06", "0.00")]
    [amendment] = rep.get(f"/contracts/{contract['id']}/amendments")["items"]
    assert (amendment["amount_before"], amendment["amount_after"], amendment["refund_id"]) == (
        "42471.20", "30471.20", refund["id"])
    assert (refund["amendment_id"], refund["payment_id"], refund["invoices_to_reverse"]) == (amendment["id"], None, [])
    assert rep.get(f"/invoices/{invoice['id']}")["reversal_due"] is False
    assert figures(rep, contract["id"]) == {"amount": "30471.20", "received": "20000.00", "refunded": "0.00",
                                            "paid": "20000.00", "invoiced": "15000.00", "outstanding": "10471.20",
                                            "net": "30471.20"}
    # The rest is paid in full: nothing more is due.
    rep.post("/payments", {"contract_id": contract["id"], "amount": "10471.20", "received_on": "2027-01-10",
                           "method": "bank_transfer"})
    assert figures(rep, contract["id"])["outstanding"] == "0.00"
    [amended] = [e for e in rep.get(f"/contracts/{contract['id']}/history")["items"]
                 if e["event_name"] == "sales.contract.amended.v1"]
    assert (amended["caused_by_kind"], amended["caused_by_id"]) == ("refund", refund["id"])
