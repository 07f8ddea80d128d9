"""Money rules through the Flask test client that no other test pinned down: each fails without its rule."""
from __future__ import annotations

import io

import pytest

PDF = b"%PDF-1.7\n" + b"x" * 2000
COMPANY = {"title_type": "company", "title": "ACME Trading Ltd", "tax_id": "91310000MA1FL0XX1", "tax_rate": "13"}


@pytest.fixture(autouse=True)
def one_team(in_directory):
    in_directory("rep-1", "east")
    in_directory("boss", "east", roles=("sales_manager",))


@pytest.fixture
def rep(headers) -> dict:
    return headers("rep-1", "sales_rep")


@pytest.fixture
def manager(headers) -> dict:
    return headers("boss", "sales_manager")


def fresh(client, path: str, headers: dict) -> dict:
    read = client.get(path, headers=headers)
    assert read.status_code == 200, read.json
    return {**headers, "If-Match": read.headers["ETag"]}


def approve(client, request_id: str, manager: dict) -> None:
    url = f"/api/v1/approvals/{request_id}"
    answer = client.post(f"{url}/approve", json={}, headers=fresh(client, url, manager))
    assert answer.status_code == 200, answer.json


@pytest.fixture
def signed_contract(client, convert, rep, manager):
    """A signed contract of rep-1's customer for 50,000.00."""

    def make() -> dict:
        lead_id = convert(owner_id="rep-1").payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
        order = client.post("/api/v1/orders", headers=rep, json={
            "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "50000.00"}]}).json
        contract = client.post("/api/v1/contracts", headers=rep, json={
            "order_id": order["id"], "title": "ERP licence 2027", "start_date": "2027-01-01",
            "end_date": "2027-12-31"}).json
        url = f"/api/v1/contracts/{contract['id']}"
        approve(client, client.post(f"{url}/submit", headers=fresh(client, url, rep)).json["approval_request_id"],
                manager)
        signed = client.post(f"{url}/sign", content_type="multipart/form-data", headers=fresh(client, url, rep),
                             data={"signed_on": "2026-12-15", "signatories": ["Ms Li"],
                                   "file": (io.BytesIO(PDF), "signed.pdf", "application/pdf")})
        assert signed.status_code == 200, signed.json
        return signed.json

    return make


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.json
    assert response.json["code"] == code, response.json


def test_an_invoice_is_issued_and_reversed_only_from_the_version_read(client, signed_contract, rep, manager, published):
    contract = signed_contract()
    invoice = client.post("/api/v1/invoices", headers=rep, json={**COMPANY, "contract_id": contract["id"],
                                                                 "amount": "10000.00"}).json
    url = f"/api/v1/invoices/{invoice['id']}"
    read_while_pending = fresh(client, url, rep)
    approve(client, invoice["approval_request_id"], manager)
    issue = {"invoice_number": "S-1", "issued_on": "2026-12-21"}
    assert_refused(client.post(f"{url}/issue", json=issue, headers=read_while_pending), 412, "version_mismatch")
    after = client.get(url, headers=rep).json
    assert (after["status"], after["invoice_number"]) == ("approved", None)
    assert "sales.invoice.issued.v1" not in [e["name"] for e in published()]

    read_before_issue = fresh(client, url, rep)
    assert client.post(f"{url}/issue", json=issue, headers=read_before_issue).status_code == 200
    reversal = {"invoice_number": "S-1R", "issued_on": "2026-12-22", "reason": "wrong title"}
    assert_refused(client.post(f"{url}/reverse", json=reversal, headers=read_before_issue), 412, "version_mismatch")
    assert client.get(url, headers=rep).json["status"] == "issued"
    assert client.post(f"{url}/reverse", json=reversal, headers=fresh(client, url, rep)).status_code == 200


def test_no_invoice_is_requested_on_a_voided_contract_for_that_reason(client, signed_contract, rep):
    contract = signed_contract()
    url = f"/api/v1/contracts/{contract['id']}"
    voided = client.post(f"{url}/void", json={"reason": "customer withdrew"}, headers=fresh(client, url, rep))
    assert voided.status_code == 200, voided.json
    invoice = {**COMPANY, "contract_id": contract["id"], "amount": "1.00"}
    assert_refused(client.post("/api/v1/invoices", headers=rep, json=invoice), 409, "contract_not_in_force")
    assert client.get(f"/api/v1/invoices?contract_id={contract['id']}", headers=rep).json["items"] == []
