"""Approvers and reps acting at the same moment, on real PostgreSQL: one decision per step, one transition wins."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_shared.testing import all_at_once
from sales.db_orders_contracts import approval_trail

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

ROUNDS = 4
TERMS = {"title": "ERP licence 2027", "start_date": "2027-01-01", "end_date": "2027-12-31"}


@pytest.fixture(autouse=True)
def one_team(in_directory):
    """rep-1 and the sales managers are one team, so the managers oversee rep-1's deals (rep-2 is in none)."""
    in_directory("rep-1", "east")
    for manager in ("boss", "boss-1", "boss-2"):
        in_directory(manager, "east", roles=("sales_manager",))


def read_version(client, path: str, headers: dict) -> dict:
    """`headers` with If-Match naming the version of the resource at `path` as it is now."""
    return {**headers, "If-Match": client.get(path, headers=headers).headers["ETag"]}


@pytest.fixture
def drafted(client, convert, headers):
    """A draft contract of a won deal of rep-1's customer, for 150,000 (manager, then admin)."""

    def draft() -> dict:
        rep = headers("rep-1", "sales_rep")
        lead_id = convert(owner_id="rep-1").payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
        order = client.post("/api/v1/orders", headers=rep, json={
            "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "150000.00"}]}).json
        contract = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS}, headers=rep)
        assert contract.status_code == 201, contract.json
        return contract.json

    return draft


def test_two_managers_deciding_the_same_step_at_once_make_exactly_one_decision(
        app, client, drafted, headers, uow_factory, published):
    rep = headers("rep-1", "sales_rep")
    rejected = 0
    for round_number in range(ROUNDS):
        contract = drafted()
        request_id = client.post(f"/api/v1/contracts/{contract['id']}/submit",
                                 headers=read_version(client, f"/api/v1/contracts/{contract['id']}", rep)
                                 ).json["approval_request_id"]
        # Both read the request, then decide at once.
        url = f"/api/v1/approvals/{request_id}"
        first_manager = read_version(client, url, headers("boss-1", "sales_manager"))
        second_manager = read_version(client, url, headers("boss-2", "sales_manager"))
        # One approves, the other rejects (or both approve): whichever comes first decides step 1. Each names
        # the step they looked at, as the to-do list shows it.
        second = ("reject", {"comment": "no", "step": 1}) if round_number % 2 else ("approve", {"step": 1})
        answers = all_at_once(app, [
            (f"{url}/approve", {"step": 1}, first_manager),
            (f"{url}/{second[0]}", second[1], second_manager),
        ])
        statuses = sorted(status for status, _ in answers)
        # Lost the race inside the database, or came in after the winner committed: either way a 412.
        assert statuses == [200, 412], answers
        with uow_factory() as uow:
            decisions = uow.session.execute(
                select(func.count()).select_from(approval_trail)
                .where(approval_trail.c.request_id == request_id, approval_trail.c.step_position == 1)).scalar_one()
        assert decisions == 1
        request = client.get(f"/api/v1/approvals/{request_id}", headers=headers("boss-1", "sales_manager")).json
        after = client.get(f"/api/v1/contracts/{contract['id']}", headers=rep).json
        if request["status"] == "pending":
            assert (request["current_position"], after["status"]) == (2, "pending_approval")
        else:
            assert (request["status"], after["status"]) == ("rejected", "draft")
            rejected += 1
    assert [e["name"] for e in published()].count("sales.contract.rejected.v1") == rejected


def test_submitting_and_voiding_a_draft_at_once_one_wins_and_nothing_is_half_done(
        app, client, drafted, headers, published):
    rep = headers("rep-1", "sales_rep")
    manager = headers("boss", "sales_manager")
    for _ in range(ROUNDS):
        contract = drafted()
        url = f"/api/v1/contracts/{contract['id']}"
        answers = all_at_once(app, [
            (f"{url}/submit", None, read_version(client, url, rep)),
            (f"{url}/void", {"reason": "withdrawn"}, read_version(client, url, manager)),
        ])
        statuses = sorted(status for status, _ in answers)
        after = client.get(f"/api/v1/contracts/{contract['id']}", headers=rep).json
        todo = [r["subject_id"] for r in client.get("/api/v1/approvals/todo", headers=manager).json["items"]]
        # Both read the draft: whoever commits second was acting on a version that is gone.
        assert statuses == [200, 412], answers
        assert after["status"] in ("pending_approval", "voided")
        assert (contract["id"] in todo) == (after["status"] == "pending_approval")
        # What was published is what was answered 200, and what is stored.
        submitted = any(status == 200 and body["status"] == "pending_approval" for status, body in answers)
        voided = any(status == 200 and body["status"] == "voided" for status, body in answers)
        events = [e["name"] for e in published() if e["payload"].get("contract_id") == contract["id"]]
        assert events.count("sales.contract.submitted.v1") == int(submitted)
        assert events.count("sales.contract.voided.v1") == int(voided) == int(after["status"] == "voided")


def test_cancelling_the_order_while_a_contract_is_drafted_from_it_never_leaves_a_contract_of_a_cancelled_order(
        app, client, convert, headers):
    rep = headers("rep-1", "sales_rep")
    for _ in range(ROUNDS):
        lead_id = convert(owner_id="rep-1").payload["lead_id"]
        customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
        [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
        order = client.post("/api/v1/orders", headers=rep, json={
            "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "10.00"}]}).json
        answers = all_at_once(app, [
            ("/api/v1/contracts", {"order_id": order["id"], **TERMS}, rep),
            (f"/api/v1/orders/{order['id']}/cancel", {"reason": "changed mind"},
             read_version(client, f"/api/v1/orders/{order['id']}", rep)),
        ])
        # The draft loses with 409 (`order_cancelled`, or `order_changed` inside the race); the cancel with 412.
        assert sorted(status for status, _ in answers) in ([201, 412], [200, 409]), answers
        after = client.get(f"/api/v1/orders/{order['id']}", headers=rep).json
        contracts = client.get(f"/api/v1/contracts?order_id={order['id']}", headers=rep).json["items"]
        assert (after["status"], len(contracts)) in (("placed", 1), ("cancelled", 0))
