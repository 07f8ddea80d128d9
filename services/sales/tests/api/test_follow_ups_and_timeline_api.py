"""Follow-ups on customers and their deals, and the customer's timeline, through the Flask test client."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest

from crm_shared.testing import contract
from sales.contract_service import run_lifecycle

TERMS = {"title": "ERP licence 2027", "start_date": "2027-01-01", "end_date": "2027-12-31"}
PDF = b"%PDF-1.7\n" + b"x" * 2000
COMPANY = {"title_type": "company", "title": "ACME Trading Ltd", "tax_id": "91310000MA1FL0XX1", "bank": "ICBC",
           "bank_account": "6222000000000001", "address": "1 Bund Road, Shanghai", "tax_rate": "13"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


def fresh(client, path: str, headers: dict) -> dict:
    """The headers with the resource's current ETag as If-Match, as a client that just read it sends them."""
    return {**headers, "If-Match": client.get(path, headers=headers).headers["ETag"]}


def in_a_day() -> str:
    return (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()


@pytest.fixture
def rep(headers):
    return headers("rep-1", "sales_rep")


@pytest.fixture
def customer(client, rep) -> dict:
    created = client.post("/api/v1/customers", json={"name": "Acme", "channel": "direct"}, headers=rep)
    assert created.status_code == 201, created.json
    return created.json


@pytest.fixture
def deal_of(client, rep):
    def opened(customer: dict, name: str = "ERP rollout", headers: dict | None = None) -> dict:
        response = client.post(f"/api/v1/customers/{customer['id']}/opportunities", headers=headers or rep,
                               json={"name": name, "amount": "120000.00", "currency": "CNY"})
        assert response.status_code == 201, response.json
        return response.json

    return opened


def follow_up(client, customer: dict, headers: dict, **fields):
    return client.post(f"/api/v1/customers/{customer['id']}/follow-ups", headers=headers,
                       json={"kind": "call", "content": "Talked about the rollout", **fields})


def test_a_rep_records_a_follow_up_on_their_customer_and_one_event_is_published(client, rep, customer, deal_of,
                                                                                 published):
    deal = deal_of(customer)
    next_contact = in_a_day()
    response = follow_up(client, customer, rep, kind="visit", content="Visited the plant", outcome="Keen",
                         next_step="Send the quote", next_contact_at=next_contact, opportunity_id=deal["id"])
    assert response.status_code == 201, response.json
    recorded = response.json
    assert (recorded["author_id"], recorded["kind"], recorded["content"], recorded["outcome"], recorded["next_step"],
            recorded["opportunity_id"], recorded["customer_id"]) == (
        "rep-1", "visit", "Visited the plant", "Keen", "Send the quote", deal["id"], customer["id"])
    event = published()[-1]
    assert event["name"] == "sales.follow_up.recorded.v1"
    assert set(event["payload"]) == set(contract("sales.follow_up.recorded.v1").payload)
    assert (event["actor"], event["payload"]["follow_up_id"], event["payload"]["author_id"], event["payload"]["kind"],
            event["payload"]["customer_owner_id"], event["payload"]["opportunity_id"]) == (
        "rep-1", recorded["id"], "rep-1", "visit", "rep-1", deal["id"])


def test_follow_ups_are_listed_per_customer_and_per_deal_newest_first_and_paged(client, rep, customer, deal_of):
    deal = deal_of(customer)
    first = follow_up(client, customer, rep, content="First call").json
    second = follow_up(client, customer, rep, kind="email", content="Sent the brochure", opportunity_id=deal["id"]).json
    third = follow_up(client, customer, rep, kind="note", content="Budget in Q1").json
    listed = client.get(f"/api/v1/customers/{customer['id']}/follow-ups", headers=rep).json
    assert (listed["total"], [f["id"] for f in listed["items"]]) == (3, [third["id"], second["id"], first["id"]])
    page = client.get(f"/api/v1/customers/{customer['id']}/follow-ups?limit=1&offset=1", headers=rep).json
    assert (page["total"], [f["id"] for f in page["items"]]) == (3, [second["id"]])
    of_deal = client.get(f"/api/v1/opportunities/{deal['id']}/follow-ups", headers=rep).json
    assert (of_deal["total"], [f["id"] for f in of_deal["items"]]) == (1, [second["id"]])


def test_a_rep_who_cannot_see_the_customer_gets_404_from_follow_ups_and_the_timeline(client, headers, customer,
                                                                                      deal_of, published):
    deal = deal_of(customer)
    before = len(published())
    other = headers("rep-2", "sales_rep")
    assert_error(follow_up(client, customer, other), 404)
    assert_error(client.get(f"/api/v1/customers/{customer['id']}/follow-ups", headers=other), 404)
    assert_error(client.get(f"/api/v1/opportunities/{deal['id']}/follow-ups", headers=other), 404)
    assert_error(client.get(f"/api/v1/customers/{customer['id']}/timeline", headers=other), 404)
    assert_error(client.get("/api/v1/customers/no-such-customer/timeline", headers=other), 404)
    assert len(published()) == before


def test_who_may_edit_the_customer_may_add_a_follow_up_a_reader_may_only_read(client, rep, headers, customer):
    path = f"/api/v1/customers/{customer['id']}"
    for user, access in (("rep-2", "read"), ("rep-3", "edit")):
        granted = client.put(f"{path}/team-members/{user}", json={"access": access}, headers=fresh(client, path, rep))
        assert granted.status_code == 200, granted.json
    reader, editor = headers("rep-2", "sales_rep"), headers("rep-3", "sales_rep")
    assert_error(follow_up(client, customer, reader), 403, "no_edit_access")
    assert follow_up(client, customer, editor).status_code == 201
    listed = client.get(f"{path}/follow-ups", headers=reader).json
    assert (listed["total"], listed["items"][0]["author_id"]) == (1, "rep-3")
    # Service agents see every customer but sell to none: they read the story, they do not write it.
    agent = headers("agent-1", "service_agent")
    assert client.get(f"{path}/follow-ups", headers=agent).status_code == 200
    assert_error(follow_up(client, customer, agent), 403)


def test_a_follow_up_names_only_a_deal_of_its_own_customer(client, rep, customer, deal_of):
    other_customer = client.post("/api/v1/customers", json={"name": "Other", "channel": "direct"}, headers=rep).json
    elsewhere = deal_of(other_customer)
    for opportunity_id in (elsewhere["id"], "no-such-deal"):
        body = assert_error(follow_up(client, customer, rep, opportunity_id=opportunity_id), 422)
        assert "opportunity_id" in body["errors"]
    assert client.get(f"/api/v1/customers/{customer['id']}/follow-ups", headers=rep).json["total"] == 0


@pytest.mark.parametrize("fields, field", [
    ({"kind": "fax"}, "kind"),
    ({"content": ""}, "content"),
    ({"next_contact_at": "2020-01-01T00:00:00+00:00"}, "next_contact_at"),
    ({"next_contact_at": "2030-01-01T00:00:00"}, "next_contact_at"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_follow_ups_are_refused_and_nothing_is_recorded(client, rep, customer, published, fields, field):
    before = len(published())
    body = assert_error(follow_up(client, customer, rep, **fields), 422)
    assert field in str(body["errors"])
    assert len(published()) == before
    assert client.get(f"/api/v1/customers/{customer['id']}/follow-ups", headers=rep).json["total"] == 0


def test_the_timeline_tells_the_customers_story_newest_first_from_every_record(client, rep, headers, customer,
                                                                              deal_of, in_directory):
    in_directory("rep-1", "east")
    path = f"/api/v1/customers/{customer['id']}"
    granted = client.put(f"{path}/team-members/rep-2", json={"access": "read"}, headers=fresh(client, path, rep))
    assert granted.status_code == 200
    lost = deal_of(customer, "Small add-on")
    deal = deal_of(customer)
    deal_path = f"/api/v1/opportunities/{deal['id']}"
    moved = client.post(f"{deal_path}/stage", json={"stage": "proposal"}, headers=fresh(client, deal_path, rep))
    assert moved.status_code == 200, moved.json
    follow_up(client, customer, rep, kind="meeting", content="Agreed the terms", opportunity_id=deal["id"])
    assert client.post(f"{deal_path}/close", json={"outcome": "won"}, headers=rep).status_code == 200
    assert client.post(f"/api/v1/opportunities/{lost['id']}/close", json={"outcome": "lost", "reason": "No budget"},
                       headers=rep).status_code == 200
    order = client.post("/api/v1/orders", headers=rep, json={
        "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "150000.00"}]}).json
    drafted = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS}, headers=rep).json
    contract_path = f"/api/v1/contracts/{drafted['id']}"
    submitted = client.post(f"{contract_path}/submit", headers=fresh(client, contract_path, rep))
    assert submitted.status_code == 200, submitted.json

    timeline = client.get(f"{path}/timeline", headers=rep).json
    kinds = [(e["kind"], e["record_type"], e["record_id"], e["actor_id"]) for e in timeline["items"]]
    assert kinds == [
        ("contract_submitted", "contract", drafted["id"], "rep-1"),
        ("contract_drafted", "contract", drafted["id"], "rep-1"),
        ("order_placed", "order", order["id"], "rep-1"),
        ("opportunity_lost", "opportunity", lost["id"], "rep-1"),
        ("opportunity_won", "opportunity", deal["id"], "rep-1"),
        ("follow_up", "follow_up", kinds[5][2], "rep-1"),
        ("opportunity_stage_changed", "opportunity", deal["id"], "rep-1"),
        ("opportunity_opened", "opportunity", deal["id"], "rep-1"),
        ("opportunity_opened", "opportunity", lost["id"], "rep-1"),
        ("team_member_added", "team_member", "rep-2", "rep-1"),
        ("customer_created", "customer", customer["id"], "rep-1"),
    ]
    assert timeline["total"] == len(kinds)
    entries = {(e["kind"], e["record_id"]): e for e in timeline["items"]}
    stage = entries[("opportunity_stage_changed", deal["id"])]
    assert (stage["title"], stage["from_value"], stage["to_value"]) == ("ERP rollout", "qualification", "proposal")
    assert entries[("opportunity_lost", lost["id"])]["detail"] == "No budget"
    assert (entries[("order_placed", order["id"])]["amount"], entries[("order_placed", order["id"])]["currency"]) == (
        "150000.00", "CNY")
    assert entries[("contract_submitted", drafted["id"])]["from_value"] == "draft"
    created = entries[("customer_created", customer["id"])]
    assert (created["from_value"], created["to_value"], created["detail"]) == (None, "rep-1", "created")
    assert timeline["items"] == sorted(timeline["items"], key=lambda e: e["at"], reverse=True)
    # Pages are slices of the same order, with the same total.
    page = client.get(f"{path}/timeline?limit=3&offset=3", headers=rep).json
    assert (page["total"], page["items"]) == (len(kinds), timeline["items"][3:6])
    # A read-only team member sees the same story.
    assert client.get(f"{path}/timeline", headers=headers("rep-2", "sales_rep")).json == timeline


def test_a_return_to_the_pool_is_an_ownership_change_on_the_timeline(client, rep, headers, customer):
    path = f"/api/v1/customers/{customer['id']}"
    returned = client.post(f"{path}/return-to-pool", json={"reason": "Not a fit"}, headers=rep)
    assert returned.status_code == 200, returned.json
    # The former owner no longer sees the customer; a manager does (customers in the pool are theirs to hand out).
    assert_error(client.get(f"{path}/timeline", headers=rep), 404)
    timeline = client.get(f"{path}/timeline", headers=headers("boss", "sales_manager")).json
    latest = timeline["items"][0]
    assert (latest["kind"], latest["actor_id"], latest["from_value"], latest["to_value"], latest["detail"]) == (
        "owner_changed", "rep-1", "rep-1", None, "returned")
    assert [e["kind"] for e in timeline["items"]] == ["owner_changed", "customer_created"]


def test_the_timeline_refuses_unknown_parameters_and_oversized_pages(client, rep, customer):
    path = f"/api/v1/customers/{customer['id']}/timeline"
    assert_error(client.get(f"{path}?colour=red", headers=rep), 422)
    assert_error(client.get(f"{path}?limit=0", headers=rep), 422)
    assert_error(client.get(f"{path}?limit=201", headers=rep), 422)


def test_the_timeline_has_the_contracts_every_state_and_the_money(client, rep, headers, convert, in_directory):
    in_directory("rep-1", "east")
    in_directory("boss", "east", roles=("sales_manager",))
    manager = headers("boss", "sales_manager")
    customer = client.get(f"/api/v1/customers?lead_id={convert(owner_id='rep-1').payload['lead_id']}",
                          headers=rep).json["items"][0]
    [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
    client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
    order = client.post("/api/v1/orders", headers=rep, json={
        "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "50000.00"}]}).json
    contract_id = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS}, headers=rep).json["id"]
    url = f"/api/v1/contracts/{contract_id}"
    submitted = client.post(f"{url}/submit", headers=fresh(client, url, rep)).json
    approval = f"/api/v1/approvals/{submitted['approval_request_id']}"
    assert client.post(f"{approval}/approve", json={}, headers=fresh(client, approval, manager)).status_code == 200
    signed = client.post(f"{url}/sign", content_type="multipart/form-data", headers=fresh(client, url, rep),
                         data={"signed_on": "2026-12-15", "signatories": ["Ms Li"],
                               "file": (io.BytesIO(PDF), "signed.pdf", "application/pdf")})
    assert signed.status_code == 200, signed.json
    plan = client.post("/api/v1/payment-plans", headers=rep, json={"contract_id": contract_id, "installments": [
        {"number": 1, "amount": "50000.00", "planned_date": "2027-01-31", "method": "bank_transfer"}]})
    assert plan.status_code == 201, plan.json
    payment = client.post("/api/v1/payments", headers=rep, json={
        "contract_id": contract_id, "amount": "20000.00", "received_on": "2026-12-20", "method": "bank_transfer"})
    assert payment.status_code == 201, payment.json
    invoice = client.post("/api/v1/invoices", headers=rep, json={**COMPANY, "contract_id": contract_id,
                                                                 "amount": "20000.00"})
    assert invoice.status_code == 201, invoice.json

    items = client.get(f"/api/v1/customers/{customer['id']}/timeline", headers=rep).json["items"]
    story = [(e["kind"], e["record_id"], e["actor_id"]) for e in items]
    assert story[:6] == [
        ("invoice_requested", invoice.json["id"], "rep-1"),
        ("payment_recorded", payment.json["id"], "rep-1"),
        ("contract_signed", contract_id, "rep-1"),
        # The contract's journal knows who decided the approval that approved it.
        ("contract_approved", contract_id, "boss"),
        ("contract_submitted", contract_id, "rep-1"),
        ("contract_drafted", contract_id, "rep-1"),
    ]
    first = items[1]
    assert (first["amount"], first["currency"], first["title"]) == ("20000.00", "CNY", "bank_transfer")
    assert items[3]["from_value"] == "pending_approval"


def test_the_timeline_reads_each_contract_and_money_decision_from_the_contract_s_journal(client, rep, headers, convert,
                                                                                         in_directory, uow_factory):
    in_directory("rep-1", "east")
    in_directory("boss", "east", roles=("sales_manager",))
    manager = headers("boss", "sales_manager")
    customer = client.get(f"/api/v1/customers?lead_id={convert(owner_id='rep-1').payload['lead_id']}",
                          headers=rep).json["items"][0]
    [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
    client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
    order = client.post("/api/v1/orders", headers=rep, json={
        "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "50000.00"}]}).json
    contract_id = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS}, headers=rep).json["id"]
    url = f"/api/v1/contracts/{contract_id}"

    def decide(request_id: str) -> None:
        approval = f"/api/v1/approvals/{request_id}"
        decided = client.post(f"{approval}/approve", json={}, headers=fresh(client, approval, manager))
        assert decided.status_code == 200, decided.json

    decide(client.post(f"{url}/submit", headers=fresh(client, url, rep)).json["approval_request_id"])
    signed = client.post(f"{url}/sign", content_type="multipart/form-data", headers=fresh(client, url, rep),
                         data={"signed_on": "2026-12-15", "signatories": ["Ms Li"],
                               "file": (io.BytesIO(PDF), "signed.pdf", "application/pdf")})
    assert signed.status_code == 200, signed.json
    client.post("/api/v1/payment-plans", headers=rep, json={"contract_id": contract_id, "installments": [
        {"number": 1, "amount": "50000.00", "planned_date": "2027-01-31", "method": "bank_transfer"}]})
    client.post("/api/v1/payments", headers=rep, json={
        "contract_id": contract_id, "amount": "20000.00", "received_on": "2026-12-20", "method": "bank_transfer"})
    invoice = client.post("/api/v1/invoices", headers=rep, json={**COMPANY, "contract_id": contract_id,
                                                                 "amount": "20000.00"}).json
    decide(invoice["approval_request_id"])
    invoice_url = f"/api/v1/invoices/{invoice['id']}"
    issued = client.post(f"{invoice_url}/issue", json={"invoice_number": "TL-1", "issued_on": "2026-12-21"},
                         headers=fresh(client, invoice_url, rep))
    assert issued.status_code == 200, issued.json
    # The start date came: the lifecycle job (no one) puts the contract in force.
    assert run_lifecycle(uow_factory, date(2027, 1, 1), 30)["activated"] == 1
    refund = client.post("/api/v1/refunds", headers=rep, json={
        "contract_id": contract_id, "amount": "5000.00", "reason": "Project cancelled", "refunded_on": "2027-01-05"})
    assert refund.status_code == 201, refund.json
    decide(refund.json["approval_request_id"])

    items = client.get(f"/api/v1/customers/{customer['id']}/timeline", headers=rep).json["items"]
    entries = {(e["kind"], e["record_id"]): e for e in items}
    who = {key: entry["actor_id"] for key, entry in entries.items()}
    assert (who[("invoice_approved", invoice["id"])], who[("invoice_issued", invoice["id"])]) == ("boss", "rep-1")
    assert who[("contract_activated", contract_id)] is None
    decided = entries[("refund_decided", refund.json["id"])]
    assert (decided["actor_id"], decided["to_value"], decided["amount"]) == ("boss", "completed", "5000.00")
    # The refund voided the contract: the approver did it, from the state the contract was in.
    voided = entries[("contract_voided", contract_id)]
    assert (voided["actor_id"], voided["from_value"], voided["to_value"]) == ("boss", "active", "voided")
    assert "Project cancelled" in voided["detail"]
    # One history: each entry the journal gives is a line of the contract's history, at its time, by its actor.
    history = client.get(f"{url}/history", headers=rep).json["items"]
    journal = {(h["event_name"].split(".")[1], h["record_id"], datetime.fromisoformat(h["occurred_at"]),
                h["actor_id"] if h["actor_id"] != "system" else None) for h in history}
    from_journal = [e for e in items if e["kind"] not in (
        "contract_drafted", "invoice_requested", "refund_requested", "payment_recorded", "order_placed",
        "order_cancelled") and e["record_type"] in ("contract", "invoice", "refund")]
    assert sorted(e["kind"] for e in from_journal) == [
        "contract_activated", "contract_approved", "contract_signed", "contract_submitted", "contract_voided",
        "invoice_approved", "invoice_issued", "refund_decided"]
    for entry in from_journal:
        assert (entry["record_type"], entry["record_id"], datetime.fromisoformat(entry["at"]),
                entry["actor_id"]) in journal, entry
