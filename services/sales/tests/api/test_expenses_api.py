"""Sales expenses through the API with two teams (a manager each, reps in each) and an admin."""
from __future__ import annotations

import pytest


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.json
    assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture(autouse=True)
def people(two_teams):
    """Every test here starts with the two teams in the directory."""
    return two_teams


def spend(client, who, amount="100.00", **fields):
    body = {"spent_on": "2026-11-20", "category": "travel", "amount": amount, "currency": "CNY", **fields}
    return client.post("/api/v1/expenses", json=body, headers=who)


def decide(client, expense, verb, who, version=None):
    return client.post(f"/api/v1/expenses/{expense['id']}/{verb}", json={"note": "ok"},
                       headers={**who, "If-Match": f'"{version or expense["version"]}"'})


def test_a_rep_records_an_expense_for_their_customer_and_it_is_published(client, people, published):
    e1 = people["rep-e1"]
    customer = client.post("/api/v1/customers", json={"name": "ACME"}, headers=e1).json
    deal = client.post(f"/api/v1/customers/{customer['id']}/opportunities",
                       json={"name": "ERP", "amount": "100.00", "currency": "CNY"}, headers=e1).json
    recorded = spend(client, e1, "1280.50", opportunity_id=deal["id"], note="Train to Suzhou")
    assert recorded.status_code == 201, recorded.json
    expense = recorded.json
    assert (expense["rep_id"], expense["status"], expense["amount"], expense["customer_id"]) == (
        "rep-e1", "submitted", "1280.50", customer["id"])
    [event] = [e for e in published() if e["name"] == "sales.expense.recorded.v1"]
    assert (event["payload"]["amount"], event["payload"]["customer_id"]) == ("1280.50", customer["id"])
    # Another rep may not spend on a customer they cannot see, nor mix a deal with another customer.
    assert_error(spend(client, people["rep-w1"], customer_id=customer["id"]), 404, "not_found")
    other = client.post("/api/v1/customers", json={"name": "Other"}, headers=e1).json
    assert_error(spend(client, e1, customer_id=other["id"], opportunity_id=deal["id"]), 422, "validation_failed")


@pytest.mark.parametrize("changes", [
    {"category": "yacht"}, {"amount": "0"}, {"amount": 12.5}, {"amount": "1.234"}, {"spent_on": "2999-01-01"},
    {"currency": "yuan"}, {"rep_id": "rep-e2"},
])
def test_invalid_expenses_are_refused_and_nothing_is_kept(client, people, changes):
    assert_error(spend(client, people["rep-e1"], **changes), 422, "validation_failed")
    assert client.get("/api/v1/expenses", headers=people["root"]).json["items"] == []


def test_only_a_manager_of_the_reps_team_or_an_admin_decides_and_only_once(client, people, published):
    expense = spend(client, people["rep-e1"]).json
    assert_error(decide(client, expense, "approve", people["boss-west"]), 404, "not_found")
    assert_error(decide(client, expense, "approve", people["rep-e1"]), 403, "role_not_allowed")
    assert_error(client.post(f"/api/v1/expenses/{expense['id']}/approve", json={}, headers=people["boss-east"]),
                 428, "precondition_required")
    approved = decide(client, expense, "approve", people["boss-east"])
    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["decided_by"], approved.headers["ETag"]) == (
        "approved", "boss-east", '"2"')
    assert_error(decide(client, expense, "reject", people["root"], version=1), 412, "version_mismatch")
    assert_error(decide(client, expense, "reject", people["root"], version=2), 409, "expense_already_decided")
    # A manager never decides their own expense; an admin does.
    own = spend(client, people["boss-east"]).json
    assert_error(decide(client, own, "approve", people["boss-east"]), 403, "own_expense")
    assert decide(client, own, "reject", people["root"]).json["status"] == "rejected"
    names = [e["name"] for e in published()]
    assert names.count("sales.expense.approved.v1") == 1 and names.count("sales.expense.rejected.v1") == 1


def test_expense_lists_are_scoped_filtered_and_totalled_in_sql(client, people):
    for who, amount in (("rep-e1", "100.10"), ("rep-e1", "0.20"), ("rep-e2", "50.00"), ("rep-w1", "7.00")):
        assert spend(client, people[who], amount).status_code == 201
    decide(client, spend(client, people["rep-e2"], "9.99").json, "approve", people["boss-east"])

    def listed(who, query=""):
        body = client.get(f"/api/v1/expenses{query}", headers=people[who]).json
        return sorted(e["amount"] for e in body["items"]), body["totals"]

    assert listed("rep-e1") == (["0.20", "100.10"], [
        {"status": "submitted", "currency": "CNY", "count": 2, "amount": "100.30"}])
    amounts, totals = listed("boss-east")
    assert amounts == ["0.20", "100.10", "50.00", "9.99"] and totals == [
        {"status": "approved", "currency": "CNY", "count": 1, "amount": "9.99"},
        {"status": "submitted", "currency": "CNY", "count": 3, "amount": "150.30"}]
    assert listed("boss-west")[0] == ["7.00"]
    assert len(listed("root")[0]) == 5
    assert listed("root", "?team_id=west")[0] == ["7.00"]
    assert listed("boss-east", "?status=approved&rep_id=rep-e2")[0] == ["9.99"]
    assert listed("boss-east", "?spent_from=2026-11-21")[0] == []
    assert client.get("/api/v1/expenses?colour=red", headers=people["root"]).status_code == 422
    assert "travel" in client.get("/api/v1/expenses/categories", headers=people["rep-e1"]).json["items"]
