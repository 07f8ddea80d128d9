"""Targets and expenses written at once by two people, on real PostgreSQL: one write wins, nothing is doubled."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crm_shared.testing import each_at_once

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only", "two_teams")]

THIS_MONTH = datetime.now(timezone.utc).strftime("%Y-%m")


def test_the_same_target_set_twice_at_once_is_kept_once(app, client, headers, published):
    body = {"subject_kind": "rep", "subject_id": "rep-e1", "period": THIS_MONTH, "metric": "won_amount",
            "value": "1000.00", "currency": "CNY"}
    answers = each_at_once(app, {
        "manager": ("POST", "/api/v1/targets", {**body, "value": "1000.00"}, headers("boss-east", "sales_manager")),
        "admin": ("POST", "/api/v1/targets", {**body, "value": "2000.00"}, headers("root", "admin")),
    })
    assert sorted(status for status, _ in answers.values()) == [201, 409], answers
    assert next(b for s, b in answers.values() if s == 409)["code"] == "target_exists"
    assert len(client.get("/api/v1/targets", headers=headers("root", "admin")).json["items"]) == 1
    assert [e["name"] for e in published()].count("sales.target.set.v1") == 1


def test_two_managers_deciding_one_expense_at_once_decide_it_once(app, client, headers, in_directory, published):
    in_directory("boss-east-2", "east", roles=("sales_manager",))
    expense = client.post("/api/v1/expenses", headers=headers("rep-e1", "sales_rep"), json={
        "spent_on": "2026-11-20", "category": "meals", "amount": "88.00", "currency": "CNY"}).json
    answers = each_at_once(app, {
        "approve": ("POST", f"/api/v1/expenses/{expense['id']}/approve", {},
                    {**headers("boss-east", "sales_manager"), "If-Match": '"1"'}),
        "reject": ("POST", f"/api/v1/expenses/{expense['id']}/reject", {},
                   {**headers("boss-east-2", "sales_manager"), "If-Match": '"1"'}),
    })
    # The loser read the expense before (412) or after (409 `expense_already_decided`) the winner committed.
    statuses = sorted(status for status, _ in answers.values())
    assert statuses in ([200, 409], [200, 412]), answers
    decisions = ("sales.expense.approved.v1", "sales.expense.rejected.v1")
    decided = [e["name"] for e in published() if e["name"] in decisions]
    assert len(decided) == 1


def test_achievement_and_team_views_sum_exactly_on_postgresql(client, headers):
    rep = headers("rep-e1", "sales_rep")
    customer = client.post("/api/v1/customers", json={"name": "Exact"}, headers=rep).json
    for amount in ("0.10", "0.20", "1999.99"):
        deal = client.post(f"/api/v1/customers/{customer['id']}/opportunities",
                           json={"name": "Deal", "amount": amount, "currency": "CNY"}, headers=rep).json
        client.post(f"/api/v1/opportunities/{deal['id']}/close", json={"outcome": "won"}, headers=rep)
    boss = headers("boss-east", "sales_manager")
    client.post("/api/v1/targets", headers=boss, json={"subject_kind": "team", "subject_id": "east",
                                                       "period": THIS_MONTH, "metric": "won_amount",
                                                       "value": "3000.00", "currency": "CNY"})
    [row] = client.get(f"/api/v1/targets/achievement?period={THIS_MONTH}", headers=boss).json["items"]
    assert (row["actual"], row["percent"]) == ("2000.29", "66.7")
    reps = client.get(f"/api/v1/team-views/reps?period={THIS_MONTH}", headers=boss).json["reps"]
    assert {r["rep_id"]: r["won"] for r in reps}["rep-e1"] == [{"currency": "CNY", "count": 3, "amount": "2000.29"}]
    assert "rep-w1" not in {r["rep_id"] for r in reps}
