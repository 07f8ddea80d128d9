"""Two clients changing one contract or invoice from the same version at once, on real PostgreSQL: one wins, the
other gets 412 and nothing of theirs is kept."""
from __future__ import annotations

import io

import pytest

from crm_shared.testing import each_at_once

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

ROUNDS = 3
PDF = b"%PDF-1.7\n" + b"x" * 2000
COMPANY = {"title_type": "company", "title": "ACME Trading Ltd", "tax_id": "91310000MA1FL0XX1", "tax_rate": "13"}


@pytest.fixture(autouse=True)
def one_team(in_directory):
    in_directory("rep-1", "east")
    in_directory("rep-2", "east")
    in_directory("boss", "east", roles=("sales_manager",))


def etag_of(client, path: str, headers: dict) -> str:
    read = client.get(path, headers=headers)
    assert read.status_code == 200, read.json
    return read.headers["ETag"]


@pytest.fixture
def draft_contract(client, convert, headers):
    """A draft contract of rep-1's customer, which rep-2 may edit too."""
    rep = headers("rep-1", "sales_rep")

    def make() -> dict:
        lead_id = convert(owner_id="rep-1").payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        customer_url = f"/api/v1/customers/{customer['id']}"
        client.put(f"{customer_url}/team-members/rep-2", json={"access": "edit"},
                   headers={**rep, "If-Match": etag_of(client, customer_url, rep)})
        [deal] = client.get(f"{customer_url}/opportunities", headers=rep).json["items"]
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
        order = client.post("/api/v1/orders", headers=rep, json={
            "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "50000.00"}]}).json
        contract = client.post("/api/v1/contracts", headers=rep, json={
            "order_id": order["id"], "title": "ERP licence 2027", "start_date": "2027-01-01",
            "end_date": "2027-12-31"})
        assert contract.status_code == 201, contract.json
        return contract.json

    return make


@pytest.fixture
def approved_invoice(client, draft_contract, headers):
    """An approved invoice request of 10,000.00 on a signed contract."""
    rep, manager = headers("rep-1", "sales_rep"), headers("boss", "sales_manager")

    def decide(request_id: str) -> None:
        url = f"/api/v1/approvals/{request_id}"
        answer = client.post(f"{url}/approve", json={}, headers={**manager, "If-Match": etag_of(client, url, manager)})
        assert answer.status_code == 200, answer.json

    def make() -> dict:
        contract = draft_contract()
        url = f"/api/v1/contracts/{contract['id']}"
        decide(client.post(f"{url}/submit", headers={**rep, "If-Match": etag_of(client, url, rep)}
                           ).json["approval_request_id"])
        signed = client.post(f"{url}/sign", content_type="multipart/form-data",
                             headers={**rep, "If-Match": etag_of(client, url, rep)},
                             data={"signed_on": "2026-12-15", "signatories": ["Ms Li"],
                                   "file": (io.BytesIO(PDF), "signed.pdf", "application/pdf")})
        assert signed.status_code == 200, signed.json
        invoice = client.post("/api/v1/invoices", headers=rep, json={**COMPANY, "contract_id": contract["id"],
                                                                     "amount": "10000.00"}).json
        decide(invoice["approval_request_id"])
        return invoice

    return make


def test_two_clients_editing_one_draft_contract_at_once_never_overwrite_each_other(app, client, draft_contract,
                                                                                   headers):
    owner, colleague = headers("rep-1", "sales_rep"), headers("rep-2", "sales_rep")
    for round_ in range(ROUNDS):
        url = f"/api/v1/contracts/{draft_contract()['id']}"
        etag = etag_of(client, url, owner)
        answers = each_at_once(app, {
            "rep-1": ("PATCH", url, {"title": f"one-{round_}"}, {**owner, "If-Match": etag}),
            "rep-2": ("PATCH", url, {"title": f"two-{round_}"}, {**colleague, "If-Match": etag}),
        })
        assert sorted(status for status, _ in answers.values()) == [200, 412], answers
        assert next(body for status, body in answers.values() if status == 412)["code"] == "version_mismatch"
        winner = next(key for key, (status, _) in answers.items() if status == 200)
        after = client.get(url, headers=owner)
        assert after.json["title"] == ("one" if winner == "rep-1" else "two") + f"-{round_}"
        assert int(after.headers["ETag"].strip('"')) == int(etag.strip('"')) + 1


def test_two_clients_issuing_one_invoice_at_once_give_it_one_number_and_free_the_other(app, client, approved_invoice,
                                                                                      headers):
    owner, colleague = headers("rep-1", "sales_rep"), headers("rep-2", "sales_rep")
    for round_ in range(ROUNDS):
        url = f"/api/v1/invoices/{approved_invoice()['id']}"
        etag = etag_of(client, url, owner)
        numbers = {"rep-1": f"N-{round_}-1", "rep-2": f"N-{round_}-2"}
        answers = each_at_once(app, {
            who: ("POST", f"{url}/issue", {"invoice_number": numbers[who], "issued_on": "2026-12-21"},
                  {**person, "If-Match": etag})
            for who, person in (("rep-1", owner), ("rep-2", colleague))
        })
        assert sorted(status for status, _ in answers.values()) == [200, 412], answers
        winner = next(key for key, (status, _) in answers.items() if status == 200)
        loser = "rep-2" if winner == "rep-1" else "rep-1"
        issued = client.get(url, headers=owner).json
        assert (issued["status"], issued["invoice_number"]) == ("issued", numbers[winner])
        # The loser's number was never used: another invoice takes it.
        other = approved_invoice()
        other_url = f"/api/v1/invoices/{other['id']}"
        reused = client.post(f"{other_url}/issue", json={"invoice_number": numbers[loser], "issued_on": "2026-12-21"},
                             headers={**owner, "If-Match": etag_of(client, other_url, owner)})
        assert reused.status_code == 200, reused.json
