"""Payment plans, payments and invoices through the Flask test client: the money rules, approvals, the job."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from sales.payment_service import run_installment_job

PDF = b"%PDF-1.7\n" + b"x" * 2000
TERMS = {"title": "ERP licence 2027", "start_date": "2027-01-01", "end_date": "2027-12-31"}
TWO_INSTALLMENTS = [
    {"number": 1, "amount": "20000.00", "planned_date": "2027-01-31", "method": "bank_transfer",
     "remind_days_before": 5},
    {"number": 2, "amount": "30000.00", "planned_date": "2027-06-30", "method": "bank_transfer"},
]
COMPANY = {"title_type": "company", "title": "ACME Trading Ltd", "tax_id": "91310000MA1FL0XX1", "bank": "ICBC",
           "bank_account": "6222000000000001", "address": "1 Bund Road, Shanghai", "tax_rate": "13"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
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


def decide(client, request_id, decision, headers, body=None):
    return client.post(f"/api/v1/approvals/{request_id}/{decision}", json=body or {},
                       headers=fresh(client, f"/api/v1/approvals/{request_id}", headers))


@pytest.fixture
def signed_contract(client, convert, people):
    """A contract of rep-1's customer for 50,000.00, approved by the manager and signed."""

    def make(price: str = "50000.00") -> dict:
        rep = people["rep"]
        lead_id = convert(owner_id="rep-1").payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
        order = client.post("/api/v1/orders", headers=rep, json={
            "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": price}]}).json
        contract = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS}, headers=rep).json
        url = f"/api/v1/contracts/{contract['id']}"
        submitted = client.post(f"{url}/submit", headers=fresh(client, url, rep)).json
        assert decide(client, submitted["approval_request_id"], "approve", people["manager"]).status_code == 200
        signed_copy = (io.BytesIO(PDF), "signed.pdf", "application/pdf")
        signed = client.post(f"{url}/sign", content_type="multipart/form-data", headers=fresh(client, url, rep),
                             data={"signed_on": "2026-12-15", "signatories": ["Ms Li"], "file": signed_copy})
        assert signed.status_code == 200 and signed.json["status"] == "signed", signed.json
        return signed.json

    return make


@pytest.fixture
def planned(client, signed_contract, people):
    def make() -> tuple[dict, list[dict]]:
        contract = signed_contract()
        created = client.post("/api/v1/payment-plans", json={"contract_id": contract["id"],
                                                             "installments": TWO_INSTALLMENTS}, headers=people["rep"])
        assert created.status_code == 201, created.json
        return contract, created.json["installments"]

    return make


def pay(client, contract_id, amount, headers, **extra):
    return client.post("/api/v1/payments", headers=headers, json={
        "contract_id": contract_id, "amount": amount, "received_on": "2026-12-20", "method": "bank_transfer", **extra})


def installments_of(client, contract_id, headers) -> list[tuple[str, str, str]]:
    items = client.get(f"/api/v1/installments?contract_id={contract_id}", headers=headers).json["items"]
    return [(i["status"], i["paid_amount"], i["due"]) for i in items]


# -- payment plans -----------------------------------------------------------------------------------------


def test_a_plan_adding_up_to_the_contract_is_made_and_published(client, planned, people, published):
    contract, installments = planned()
    assert [(i["number"], i["planned_amount"], i["status"]) for i in installments] == [
        (1, "20000.00", "pending"), (2, "30000.00", "pending")]
    [event] = [e for e in published() if e["name"] == "sales.payment_plan.created.v1"]
    assert event["payload"]["contract_id"] == contract["id"] and len(event["payload"]["installments"]) == 2


def test_a_plan_not_adding_up_to_the_contract_is_refused_naming_the_rule(client, signed_contract, people):
    contract = signed_contract()
    short = [TWO_INSTALLMENTS[0], {**TWO_INSTALLMENTS[1], "amount": "29999.99"}]
    body = {"contract_id": contract["id"], "installments": short}
    error = assert_error(client.post("/api/v1/payment-plans", json=body, headers=people["rep"]), 422,
                         "installments_must_equal_contract")
    assert "49999.99" in error["message"] and "50000.00" in error["message"]
    assert client.get(f"/api/v1/installments?contract_id={contract['id']}", headers=people["rep"]).json["items"] == []


def test_a_second_plan_and_a_stranger_are_refused(client, planned, people):
    contract, _ = planned()
    body = {"contract_id": contract["id"], "installments": TWO_INSTALLMENTS}
    assert_error(client.post("/api/v1/payment-plans", json=body, headers=people["rep"]), 409, "payment_plan_exists")
    assert_error(client.post("/api/v1/payment-plans", json=body, headers=people["other_rep"]), 404, "not_found")
    assert client.get(f"/api/v1/installments?contract_id={contract['id']}", headers=people["other_rep"]).json == {
        "items": []}


# -- payments --------------------------------------------------------------------------------------------


def test_payments_are_matched_oldest_first_partial_payments_included(client, planned, people, published):
    contract, installments = planned()
    first = pay(client, contract["id"], "25000.00", people["rep"])
    assert first.status_code == 201, first.json
    assert first.json["status"] == "received"
    assert [(a["number"], a["amount"]) for a in first.json["allocations"]] == [(1, "20000.00"), (2, "5000.00")]
    assert installments_of(client, contract["id"], people["rep"]) == [
        ("paid", "20000.00", "0.00"), ("partially_paid", "5000.00", "25000.00")]
    [event] = [e for e in published() if e["name"] == "sales.payment.received.v1"]
    assert event["payload"]["amount"] == "25000.00" and event["payload"]["installments"][1]["amount"] == "5000.00"


def test_a_payment_beyond_what_is_due_is_refused_and_changes_nothing(client, planned, people, published):
    contract, _ = planned()
    assert pay(client, contract["id"], "40000.00", people["rep"]).status_code == 201
    before = len(published())
    error = assert_error(pay(client, contract["id"], "10000.01", people["rep"]), 409, "payment_exceeds_due")
    assert "10000.00" in error["message"]
    assert installments_of(client, contract["id"], people["rep"]) == [
        ("paid", "20000.00", "0.00"), ("partially_paid", "20000.00", "10000.00")]
    assert len(published()) == before
    assert len(client.get(f"/api/v1/payments?contract_id={contract['id']}", headers=people["rep"]).json["items"]) == 1
    assert pay(client, contract["id"], "10000.00", people["rep"]).json["status"] == "received"


def test_an_explicit_allocation_pays_the_installment_named(client, planned, people):
    contract, installments = planned()
    second = installments[1]["id"]
    paid = pay(client, contract["id"], "1000.00", people["rep"], allocations=[{"installment_id": second,
                                                                                "amount": "1000.00"}])
    assert paid.status_code == 201, paid.json
    assert installments_of(client, contract["id"], people["rep"]) == [
        ("pending", "0.00", "20000.00"), ("partially_paid", "1000.00", "29000.00")]
    assert_error(pay(client, contract["id"], "20000.01", people["rep"],
                     allocations=[{"installment_id": installments[0]["id"], "amount": "20000.01"}]),
                 409, "allocation_exceeds_installment_due")


def test_no_payment_without_a_plan(client, signed_contract, people):
    contract = signed_contract()
    assert_error(pay(client, contract["id"], "1.00", people["rep"]), 409, "no_payment_plan")


def test_with_a_payment_flow_a_payment_waits_and_counts_once_approved(client, planned, people, published):
    flow = client.put("/api/v1/approvals/flows/payment", headers=people["admin"],
                      json={"steps": [{"role": "sales_manager", "min_amount": "0.00"}]})
    assert flow.status_code == 200, flow.json
    contract, _ = planned()
    waiting = pay(client, contract["id"], "45000.00", people["rep"]).json
    assert waiting["status"] == "pending_approval"
    assert installments_of(client, contract["id"], people["rep"]) == [
        ("pending", "0.00", "0.00"), ("pending", "0.00", "5000.00")]
    # What waits is held: a second payment cannot take it too.
    assert_error(pay(client, contract["id"], "5000.01", people["rep"]), 409, "payment_exceeds_due")
    assert not [e for e in published() if e["name"] == "sales.payment.received.v1"]
    todo = client.get("/api/v1/approvals/todo", headers=people["manager"]).json["items"]
    assert waiting["approval_request_id"] in [r["id"] for r in todo]
    assert decide(client, waiting["approval_request_id"], "approve", people["manager"]).status_code == 200
    assert client.get(f"/api/v1/payments/{waiting['id']}", headers=people["rep"]).json["status"] == "received"
    assert installments_of(client, contract["id"], people["rep"]) == [
        ("paid", "20000.00", "0.00"), ("partially_paid", "25000.00", "5000.00")]
    assert len([e for e in published() if e["name"] == "sales.payment.received.v1"]) == 1


def test_a_rejected_payment_releases_what_it_held(client, planned, people):
    client.put("/api/v1/approvals/flows/payment", headers=people["admin"],
               json={"steps": [{"role": "sales_manager", "min_amount": "0.00"}]})
    contract, _ = planned()
    waiting = pay(client, contract["id"], "50000.00", people["rep"]).json
    assert decide(client, waiting["approval_request_id"], "reject", people["manager"],
                  {"comment": "not on the statement"}).status_code == 200
    assert client.get(f"/api/v1/payments/{waiting['id']}", headers=people["rep"]).json["status"] == "rejected"
    assert installments_of(client, contract["id"], people["rep"]) == [
        ("pending", "0.00", "20000.00"), ("pending", "0.00", "30000.00")]


def test_voiding_a_contract_voids_its_installments_but_not_once_money_was_taken(client, planned, people):
    contract, _ = planned()
    url = f"/api/v1/contracts/{contract['id']}"
    voided = client.post(f"{url}/void", json={"reason": "customer withdrew"}, headers=fresh(client, url, people["rep"]))
    assert voided.status_code == 200 and voided.json["status"] == "voided", voided.json
    assert [status for status, _, _ in installments_of(client, contract["id"], people["rep"])] == ["void", "void"]

    paid_contract, _ = planned()
    assert pay(client, paid_contract["id"], "100.00", people["rep"]).status_code == 201
    url = f"/api/v1/contracts/{paid_contract['id']}"
    refused = client.post(f"{url}/void", json={"reason": "x"}, headers=fresh(client, url, people["rep"]))
    assert_error(refused, 409, "contract_has_payments")
    assert client.get(url, headers=people["rep"]).json["status"] == "signed"
    assert [status for status, _, _ in installments_of(client, paid_contract["id"], people["rep"])] == [
        "partially_paid", "pending"]


def test_the_job_reminds_then_marks_overdue_once_each(client, planned, people, published, uow_factory):
    contract, _ = planned()
    pay(client, contract["id"], "5000.00", people["rep"])
    assert run_installment_job(uow_factory, date(2027, 1, 25)) == {"reminded": 0, "overdue": 0}
    assert run_installment_job(uow_factory, date(2027, 1, 26)) == {"reminded": 1, "overdue": 0}
    assert run_installment_job(uow_factory, date(2027, 1, 31)) == {"reminded": 0, "overdue": 0}
    assert run_installment_job(uow_factory, date(2027, 2, 1)) == {"reminded": 0, "overdue": 1}
    assert run_installment_job(uow_factory, date(2027, 2, 2)) == {"reminded": 0, "overdue": 0}
    names = [e["name"] for e in published()]
    assert names.count("sales.installment.due_soon.v1") == 1 and names.count("sales.installment.overdue.v1") == 1
    overdue = client.get("/api/v1/installments?status=overdue", headers=people["rep"]).json["items"]
    assert [(i["number"], i["paid_amount"]) for i in overdue] == [(1, "5000.00")]
    # Still payable, and paid in full it is paid.
    assert pay(client, contract["id"], "15000.00", people["rep"]).status_code == 201
    assert installments_of(client, contract["id"], people["rep"])[0] == ("paid", "20000.00", "0.00")


# -- invoices --------------------------------------------------------------------------------------------


def request_invoice(client, contract_id, amount, headers, **changes):
    return client.post("/api/v1/invoices", headers=headers, json={**COMPANY, "contract_id": contract_id,
                                                                  "amount": amount, **changes})


def test_an_invoice_is_requested_approved_issued_and_reversed(client, signed_contract, people, published):
    contract = signed_contract()
    requested = request_invoice(client, contract["id"], "30000.00", people["rep"])
    assert requested.status_code == 201, requested.json
    invoice = requested.json
    assert (invoice["status"], invoice["tax_amount"]) == ("pending_approval", "3451.33")
    url = f"/api/v1/invoices/{invoice['id']}"
    issue = {"invoice_number": "31000264", "issued_on": "2026-12-21"}
    assert_error(client.post(f"{url}/issue", json=issue, headers=fresh(client, url, people["rep"])),
                 409, "invoice_not_approved")
    assert decide(client, invoice["approval_request_id"], "approve", people["manager"]).status_code == 200
    assert_error(client.post(f"{url}/issue", json=issue, headers=people["rep"]), 428, "precondition_required")
    issued = client.post(f"{url}/issue", json=issue, headers=fresh(client, url, people["rep"]))
    assert issued.status_code == 200, issued.json
    assert (issued.json["status"], issued.json["invoice_number"]) == ("issued", "31000264")
    # The number is used once, by any invoice.
    other = request_invoice(client, contract["id"], "100.00", people["rep"]).json
    decide(client, other["approval_request_id"], "approve", people["manager"])
    other_url = f"/api/v1/invoices/{other['id']}"
    assert_error(client.post(f"{other_url}/issue", json=issue, headers=fresh(client, other_url, people["rep"])),
                 409, "invoice_number_taken")
    reversed_ = client.post(f"{url}/reverse", json={"invoice_number": "31000265", "issued_on": "2026-12-22",
                                                   "reason": "refund"}, headers=fresh(client, url, people["rep"]))
    assert reversed_.status_code == 200, reversed_.json
    original, red = reversed_.json["original"], reversed_.json["red_letter"]
    assert (original["status"], original["reversed_by_invoice_id"]) == ("reversed", red["id"])
    assert (red["kind"], red["amount"], red["reverses_invoice_id"]) == ("red_letter", "-30000.00", original["id"])
    names = [e["name"] for e in published()]
    for verb in ("requested", "approved", "issued", "reversed"):
        assert f"sales.invoice.{verb}.v1" in names


def test_never_more_invoiced_than_the_contract_and_a_reversal_frees_the_amount(client, signed_contract, people):
    contract = signed_contract()
    first = request_invoice(client, contract["id"], "40000.00", people["rep"]).json
    error = assert_error(request_invoice(client, contract["id"], "10000.01", people["rep"]), 409,
                         "invoice_exceeds_contract")
    assert "10000.00" in error["message"]
    assert request_invoice(client, contract["id"], "10000.00", people["rep"]).status_code == 201
    assert_error(request_invoice(client, contract["id"], "0.01", people["rep"]), 409, "invoice_exceeds_contract")
    # Issued then reversed: that amount may be invoiced again.
    decide(client, first["approval_request_id"], "approve", people["manager"])
    url = f"/api/v1/invoices/{first['id']}"
    client.post(f"{url}/issue", json={"invoice_number": "A-1", "issued_on": "2026-12-21"},
                headers=fresh(client, url, people["rep"]))
    reversed_ = client.post(f"{url}/reverse", json={"invoice_number": "A-1R", "issued_on": "2026-12-22",
                                                   "reason": "wrong title"}, headers=fresh(client, url, people["rep"]))
    assert reversed_.status_code == 200, reversed_.json
    assert request_invoice(client, contract["id"], "40000.00", people["rep"]).status_code == 201


def test_a_rejected_invoice_request_frees_the_amount(client, signed_contract, people):
    contract = signed_contract()
    first = request_invoice(client, contract["id"], "50000.00", people["rep"]).json
    decide(client, first["approval_request_id"], "reject", people["manager"], {"comment": "wrong bank"})
    assert client.get(f"/api/v1/invoices/{first['id']}", headers=people["rep"]).json["status"] == "rejected"
    assert request_invoice(client, contract["id"], "50000.00", people["rep"]).status_code == 201


def test_a_company_invoice_needs_a_tax_id_and_a_stranger_sees_nothing(client, signed_contract, people):
    contract = signed_contract()
    assert_error(request_invoice(client, contract["id"], "1.00", people["rep"], tax_id=None), 422, "tax_id_required")
    assert request_invoice(client, contract["id"], "1.00", people["rep"], title_type="individual", tax_id=None,
                           title="Li Lei").status_code == 201
    assert_error(request_invoice(client, contract["id"], "1.00", people["other_rep"]), 404, "not_found")
    assert client.get(f"/api/v1/invoices?contract_id={contract['id']}", headers=people["other_rep"]).json == {
        "items": []}
    seen_by_manager = client.get(f"/api/v1/invoices?contract_id={contract['id']}", headers=people["manager"])
    assert len(seen_by_manager.json["items"]) == 1


def test_unknown_fields_and_floats_are_refused(client, signed_contract, people):
    contract = signed_contract()
    assert_error(request_invoice(client, contract["id"], "1.00", people["rep"], status="issued"), 422,
                 "validation_failed")
    assert_error(pay(client, contract["id"], 1.5, people["rep"]), 422, "validation_failed")


# -- refunds and cancellation (退单) -------------------------------------------------------------------------


def test_a_refund_after_partial_payment_and_invoicing_cancels_the_deal_to_the_cent(client, planned, people,
                                                                                    published):
    contract, installments = planned()
    assert pay(client, contract["id"], "25000.00", people["rep"]).status_code == 201
    invoice = request_invoice(client, contract["id"], "20000.00", people["rep"]).json
    decide(client, invoice["approval_request_id"], "approve", people["manager"])
    url = f"/api/v1/invoices/{invoice['id']}"
    client.post(f"{url}/issue", json={"invoice_number": "R-1", "issued_on": "2026-12-21"},
                headers=fresh(client, url, people["rep"]))
    waiting_invoice = request_invoice(client, contract["id"], "1000.00", people["rep"]).json
    error = assert_error(client.post("/api/v1/refunds", headers=people["rep"], json={
        "contract_id": contract["id"], "amount": "25000.01", "reason": "cancelled", "refunded_on": "2026-12-30"}),
        409, "refund_exceeds_received")
    assert "25000.00" in error["message"]
    requested = client.post("/api/v1/refunds", headers=people["rep"], json={
        "contract_id": contract["id"], "amount": "15000.00", "reason": "The customer cancelled the project.",
        "refunded_on": "2026-12-30"})
    assert requested.status_code == 201, requested.json
    refund = requested.json
    assert refund["status"] == "pending_approval"
    # While it waits, no payment is taken and no second refund asked.
    assert_error(pay(client, contract["id"], "1.00", people["rep"]), 409, "refund_pending")
    assert_error(client.post("/api/v1/refunds", headers=people["rep"], json={
        "contract_id": contract["id"], "amount": "1.00", "reason": "again", "refunded_on": "2026-12-30"}),
        409, "refund_pending")
    assert client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json["status"] == "signed"
    assert decide(client, refund["approval_request_id"], "approve", people["manager"]).status_code == 200
    done = client.get(f"/api/v1/refunds/{refund['id']}", headers=people["rep"]).json
    assert done["status"] == "completed"
    assert client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json["status"] == "voided"
    assert client.get(f"/api/v1/orders/{contract['order_id']}", headers=people["rep"]).json["status"] == "cancelled"
    assert installments_of(client, contract["id"], people["rep"]) == [
        ("paid", "20000.00", "0.00"), ("void", "5000.00", "0.00")]
    money = client.get(f"/api/v1/payments?contract_id={contract['id']}", headers=people["rep"]).json["items"]
    assert sorted(p["amount"] for p in money) == ["-15000.00", "25000.00"]
    [negative] = [p for p in money if p["amount"].startswith("-")]
    assert (negative["refund_id"], negative["id"]) == (refund["id"], done["payment_id"])
    issued = client.get(url, headers=people["rep"]).json
    assert (issued["reversal_due"], issued["refund_id"]) == (True, refund["id"])
    assert done["invoices_to_reverse"] == [invoice["id"]]
    assert client.get(f"/api/v1/invoices/{waiting_invoice['id']}", headers=people["rep"]).json["status"] == "withdrawn"
    assert client.get(f"/api/v1/approvals/{waiting_invoice['approval_request_id']}",
                      headers=people["rep"]).json["status"] == "withdrawn"
    # The figures, to the cent: contract 50,000.00; received 25,000.00; refunded 15,000.00; net 10,000.00;
    # invoiced 20,000.00, flagged for reversal.
    assert sum(Decimal(p["amount"]) for p in money) == Decimal("10000.00")
    names = [e["name"] for e in published()]
    for name in ("sales.refund.requested.v1", "sales.refund.approved.v1", "sales.refund.completed.v1",
                 "sales.contract.voided.v1", "sales.order.cancelled.v1"):
        assert name in names, name
    # Reversing the flagged invoice clears the flag.
    reversed_ = client.post(f"{url}/reverse", json={"invoice_number": "R-1R", "issued_on": "2027-01-05",
                                                   "reason": "refund"}, headers=fresh(client, url, people["rep"]))
    assert reversed_.json["original"]["reversal_due"] is False


def test_a_rejected_refund_changes_nothing_but_its_status(client, planned, people):
    contract, _ = planned()
    pay(client, contract["id"], "1000.00", people["rep"])
    refund = client.post("/api/v1/refunds", headers=people["rep"], json={
        "contract_id": contract["id"], "amount": "1000.00", "reason": "cancelled", "refunded_on": "2026-12-30"}).json
    rejected = decide(client, refund["approval_request_id"], "reject", people["manager"], {"comment": "no"})
    assert rejected.status_code == 200
    assert client.get(f"/api/v1/refunds/{refund['id']}", headers=people["rep"]).json["status"] == "rejected"
    assert client.get(f"/api/v1/contracts/{contract['id']}", headers=people["rep"]).json["status"] == "signed"
    assert installments_of(client, contract["id"], people["rep"])[0] == ("partially_paid", "1000.00", "19000.00")
    assert_error(client.get(f"/api/v1/refunds/{refund['id']}", headers=people["other_rep"]), 404, "not_found")
