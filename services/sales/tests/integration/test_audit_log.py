"""The sales audit log on a real database: rows with each change and its actor, read per record."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sales.db import audit_log

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

TERMS = {"title": "ERP licence 2027", "start_date": "2027-01-01", "end_date": "2027-12-31"}


def audit_rows(uow_factory, record_type, record_id):
    a = audit_log
    with uow_factory() as uow:
        return uow.session.execute(select(a.c.action, a.c.actor).where(
            a.c.record_type == record_type, a.c.record_id == record_id).order_by(a.c.id)).all()


def fresh(client, path: str, headers: dict) -> dict:
    read = client.get(path, headers=headers)
    assert read.status_code == 200, read.json
    return {**headers, "If-Match": read.headers["ETag"]}


@pytest.fixture(autouse=True)
def one_team(in_directory):
    in_directory("rep-1", "east")
    in_directory("boss", "east", roles=("sales_manager",))


@pytest.fixture
def rep(headers):
    return headers("rep-1", "sales_rep")


@pytest.fixture
def customer(client, rep):
    response = client.post("/api/v1/customers", json={"name": "Acme", "channel": "direct"}, headers=rep)
    assert response.status_code == 201, response.json
    return response.json


def test_creating_and_sharing_a_customer_leaves_rows_naming_the_rep_and_the_trail_pages_newest_first(
        client, rep, customer, uow_factory):
    path = f"/api/v1/customers/{customer['id']}"
    shared = client.put(f"{path}/team-members/rep-2", json={"access": "read"}, headers=fresh(client, path, rep))
    assert shared.status_code == 200, shared.json
    assert audit_rows(uow_factory, "customer", customer["id"]) == [
        ("sales.customer.created.v1", "rep-1"), ("team_member_granted", "rep-1")]
    page = client.get(f"{path}/audit", headers=rep).json
    assert [i["action"] for i in page["items"]] == ["team_member_granted", "sales.customer.created.v1"]
    assert (page["total"], page["items"][0]["actor_name"], page["items"][0]["details"]["user_id"]) == (
        2, "rep-1", "rep-2")
    second = client.get(f"{path}/audit?limit=1&offset=1", headers=rep).json
    assert [i["action"] for i in second["items"]] == ["sales.customer.created.v1"]


def test_another_rep_is_refused_the_trail_as_the_customer_until_given_access(client, rep, headers, customer):
    other = headers("rep-2", "sales_rep")
    path = f"/api/v1/customers/{customer['id']}"
    record, trail = client.get(path, headers=other), client.get(f"{path}/audit", headers=other)
    assert (trail.status_code, trail.json["code"]) == (record.status_code, record.json["code"]) == (404, "not_found")
    assert client.put(f"{path}/team-members/rep-2", json={"access": "read"},
                      headers=fresh(client, path, rep)).status_code == 200
    assert client.get(f"{path}/audit", headers=other).status_code == 200
    assert client.get("/api/v1/contracts/no-such/audit", headers=rep).status_code == 404


def test_a_contract_s_trail_has_each_approval_step_with_its_approver(client, convert, rep, headers, uow_factory):
    lead_id = convert(owner_id="rep-1").payload["lead_id"]
    customer = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=rep).json["items"][0]
    [deal] = client.get(f"/api/v1/customers/{customer['id']}/opportunities", headers=rep).json["items"]
    assert client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep).status_code == 200
    order = client.post("/api/v1/orders", headers=rep, json={
        "opportunity_id": deal["id"], "lines": [{"sku": "ERP", "quantity": "1", "unit_price": "150000.00"}]}).json
    contract = client.post("/api/v1/contracts", json={"order_id": order["id"], **TERMS}, headers=rep).json
    path = f"/api/v1/contracts/{contract['id']}"
    edited = client.patch(path, json={"title": "ERP licence 2027-28"}, headers=fresh(client, path, rep))
    assert edited.status_code == 200, edited.json
    request_id = client.post(f"{path}/submit", headers=fresh(client, path, rep)).json["approval_request_id"]
    for approver in (headers("boss", "sales_manager"), headers("root", "admin")):
        url = f"/api/v1/approvals/{request_id}"
        assert client.post(f"{url}/approve", json={}, headers=fresh(client, url, approver)).status_code == 200
    assert audit_rows(uow_factory, "contract", contract["id"]) == [
        ("sales.contract.drafted.v1", "rep-1"), ("edited", "rep-1"), ("sales.contract.submitted.v1", "rep-1"),
        ("approval_approved", "boss"), ("approval_approved", "root"), ("sales.contract.approved.v1", "root")]
    assert [action for action, _ in audit_rows(uow_factory, "order", order["id"])] == ["sales.order.placed.v1"]
    items = client.get(f"{path}/audit", headers=rep).json["items"]
    assert [i["action"] for i in items][:2] == ["sales.contract.approved.v1", "approval_approved"]
    # A deal opened from the conversion is the system's doing (it handled the lead's event), not a person's.
    assert audit_rows(uow_factory, "opportunity", deal["id"])[0] == ("sales.opportunity.opened.v1", "system")
