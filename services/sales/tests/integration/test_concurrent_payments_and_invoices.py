"""Payments and invoices at the same moment, on real PostgreSQL: never more than is due, invoiceable, or one number."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from crm_shared.testing import all_at_once, each_at_once

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

ROUNDS = 3
PDF = b"%PDF-1.7\n" + b"x" * 2000
TERMS = {"title": "ERP licence 2027", "start_date": "2027-01-01", "end_date": "2027-12-31"}
COMPANY = {"title_type": "company", "title": "ACME Trading Ltd", "tax_id": "91310000MA1FL0XX1", "tax_rate": "13"}


@pytest.fixture(autouse=True)
def one_team(in_directory):
    in_directory("rep-1", "east")
    in_directory("boss", "east", roles=("sales_manager",))


def fresh(client, path: str, headers: dict) -> dict:
    return {**headers, "If-Match": client.get(path, headers=headers).headers["ETag"]}


@pytest.fixture
def planned(client, convert, headers):
    """A signed contract of rep-1's customer for 50,000.00 with two installments (20,000 and 30,000)."""
    rep, manager = headers("rep-1", "sales_rep"), headers("boss", "sales_manager")

    def make() -> dict:
        lead_id = convert(owner_id="rep-1").payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
        order = client.post("/api/v1/orders", headers=rep, json={
            "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "50000.00"}]}).json
        contract = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS}, headers=rep).json
        url = f"/api/v1/contracts/{contract['id']}"
        request_id = client.post(f"{url}/submit", headers=fresh(client, url, rep)).json["approval_request_id"]
        approval = f"/api/v1/approvals/{request_id}"
        client.post(f"{approval}/approve", json={}, headers=fresh(client, approval, manager))
        signed_copy = (io.BytesIO(PDF), "signed.pdf", "application/pdf")
        signed = client.post(f"{url}/sign", content_type="multipart/form-data", headers=fresh(client, url, rep),
                             data={"signed_on": "2026-12-15", "signatories": ["Ms Li"], "file": signed_copy})
        assert signed.json["status"] == "signed", signed.json
        plan = client.post("/api/v1/payment-plans", headers=rep, json={"contract_id": contract["id"], "installments": [
            {"number": 1, "amount": "20000.00", "planned_date": "2027-01-31", "method": "bank_transfer"},
            {"number": 2, "amount": "30000.00", "planned_date": "2027-06-30", "method": "bank_transfer"}]})
        assert plan.status_code == 201, plan.json
        return contract

    return make


def payment(contract_id: str, amount: str) -> dict:
    return {"contract_id": contract_id, "amount": amount, "received_on": "2026-12-20", "method": "bank_transfer"}


def paid_so_far(client, contract_id: str, rep: dict) -> Decimal:
    items = client.get(f"/api/v1/installments?contract_id={contract_id}", headers=rep).json["items"]
    return sum((Decimal(i["paid_amount"]) for i in items), Decimal("0"))


def test_two_payments_at_once_that_together_exceed_what_is_due_exactly_one_succeeds(app, client, planned, headers,
                                                                                   published):
    rep = headers("rep-1", "sales_rep")
    for _ in range(ROUNDS):
        contract = planned()
        answers = all_at_once(app, [("/api/v1/payments", payment(contract["id"], "30000.00"), rep),
                                    ("/api/v1/payments", payment(contract["id"], "30000.00"), rep)])
        assert sorted(status for status, _ in answers) == [201, 409], answers
        [refusal] = [body for status, body in answers if status == 409]
        assert refusal["code"] == "payment_exceeds_due"
        assert paid_so_far(client, contract["id"], rep) == Decimal("30000.00")
        received = [e for e in published() if e["name"] == "sales.payment.received.v1"
                    and e["payload"]["contract_id"] == contract["id"]]
        assert len(received) == 1


def test_two_payments_at_once_that_fit_both_succeed_and_add_up(app, client, planned, headers):
    rep = headers("rep-1", "sales_rep")
    contract = planned()
    answers = all_at_once(app, [("/api/v1/payments", payment(contract["id"], "25000.00"), rep),
                                ("/api/v1/payments", payment(contract["id"], "25000.00"), rep)])
    assert [status for status, _ in answers] == [201, 201], answers
    assert paid_so_far(client, contract["id"], rep) == Decimal("50000.00")
    statuses = [i["status"] for i in client.get(f"/api/v1/installments?contract_id={contract['id']}",
                                                headers=rep).json["items"]]
    assert statuses == ["paid", "paid"]


def test_two_invoice_requests_at_once_beyond_the_contract_exactly_one_succeeds(app, client, planned, headers):
    rep = headers("rep-1", "sales_rep")
    for _ in range(ROUNDS):
        contract = planned()
        body = {**COMPANY, "contract_id": contract["id"], "amount": "30000.00"}
        answers = all_at_once(app, [("/api/v1/invoices", body, rep), ("/api/v1/invoices", body, rep)])
        assert sorted(status for status, _ in answers) == [201, 409], answers
        assert [body["code"] for status, body in answers if status == 409] == ["invoice_exceeds_contract"]
        items = client.get(f"/api/v1/invoices?contract_id={contract['id']}", headers=rep).json["items"]
        assert [i["amount"] for i in items] == ["30000.00"]


def test_two_invoices_issued_at_once_with_one_number_exactly_one_gets_it(app, client, planned, headers):
    rep, manager = headers("rep-1", "sales_rep"), headers("boss", "sales_manager")
    contract = planned()
    urls = []
    for _ in range(2):
        invoice = client.post("/api/v1/invoices", headers=rep,
                              json={**COMPANY, "contract_id": contract["id"], "amount": "100.00"}).json
        approval = f"/api/v1/approvals/{invoice['approval_request_id']}"
        client.post(f"{approval}/approve", json={}, headers=fresh(client, approval, manager))
        urls.append(f"/api/v1/invoices/{invoice['id']}")
    issue = {"invoice_number": "SAME-1", "issued_on": "2026-12-21"}
    answers = all_at_once(app, [(f"{url}/issue", issue, fresh(client, url, rep)) for url in urls])
    assert sorted(status for status, _ in answers) == [200, 409], answers
    assert [body["code"] for status, body in answers if status == 409] == ["invoice_number_taken"]


REST = [{"number": 3, "amount": "25000.00", "planned_date": "2027-03-31", "method": "bank_transfer"},
        {"number": 4, "amount": "25000.00", "planned_date": "2027-09-30", "method": "bank_transfer"}]


def live_installments(client, contract_id: str, rep: dict) -> list[dict]:
    items = client.get(f"/api/v1/installments?contract_id={contract_id}", headers=rep).json["items"]
    return [i for i in items if i["status"] != "void"]


def test_two_plan_revisions_at_once_from_the_same_version_exactly_one_is_kept(app, client, planned, headers):
    rep = headers("rep-1", "sales_rep")
    for _ in range(ROUNDS):
        contract = planned()
        url = f"/api/v1/payment-plans/{contract['id']}"
        read = fresh(client, url, rep)
        answers = each_at_once(app, {"a": ("PUT", url, {"installments": REST}, read),
                                     "b": ("PUT", url, {"installments": REST[:1] + [{**REST[1], "number": 5}]}, read)})
        assert sorted(status for status, _ in answers.values()) == [200, 412], answers
        live = live_installments(client, contract["id"], rep)
        assert len(live) == 2 and sum(Decimal(i["planned_amount"]) for i in live) == Decimal("50000.00")


def test_a_plan_revision_and_a_payment_at_once_keep_the_sum_and_what_was_paid(app, client, planned, headers):
    rep = headers("rep-1", "sales_rep")
    for _ in range(ROUNDS):
        contract = planned()
        url = f"/api/v1/payment-plans/{contract['id']}"
        answers = each_at_once(app, {
            "revise": ("PUT", url, {"installments": REST}, fresh(client, url, rep)),
            "pay": ("POST", "/api/v1/payments", payment(contract["id"], "1000.00"), rep)})
        assert answers["pay"][0] == 201, answers
        # Either the payment came first and the revision read a stale plan, or it was paid on the revised plan.
        assert answers["revise"][0] in (200, 412), answers
        live = live_installments(client, contract["id"], rep)
        assert sum(Decimal(i["planned_amount"]) for i in live) == Decimal("50000.00")
        assert sum(Decimal(i["paid_amount"]) for i in live) == Decimal("1000.00")
