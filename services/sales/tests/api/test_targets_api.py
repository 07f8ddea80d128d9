"""Targets through the API with two teams (a manager each, reps in each) and an admin: who sets and sees what,
versioned edits, events, and achievement summed from won deals and new customers."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    assert response.json["code"] == code, response.json
    return response.json


THIS_MONTH = datetime.now(timezone.utc).strftime("%Y-%m")


@pytest.fixture(autouse=True)
def people(two_teams):
    """Every test here starts with the two teams in the directory."""
    return two_teams


def set_target(client, who, subject_kind, subject_id, metric="won_amount", value="100000.00", currency="CNY",
               period=THIS_MONTH):
    body = {"subject_kind": subject_kind, "subject_id": subject_id, "period": period, "metric": metric,
            "value": value}
    if currency:
        body["currency"] = currency
    return client.post("/api/v1/targets", json=body, headers=who)


def test_a_manager_sets_targets_of_their_team_and_its_reps_only(client, people):
    east = people["boss-east"]
    assert set_target(client, east, "rep", "rep-e1").status_code == 201
    assert set_target(client, east, "team", "east").status_code == 201
    assert_error(set_target(client, east, "rep", "rep-w1"), 403, "not_your_subject")
    assert_error(set_target(client, east, "team", "west"), 403, "not_your_subject")
    assert_error(set_target(client, east, "rep", "boss-east"), 403, "not_your_subject")
    assert_error(set_target(client, people["rep-e1"], "rep", "rep-e1"), 403, "role_not_allowed")
    department = client.post("/api/v1/departments", json={"name": "North", "team_ids": ["east", "west"]},
                             headers=people["root"]).json
    assert_error(set_target(client, east, "department", department["id"]), 403, "not_your_subject")
    assert set_target(client, people["root"], "department", department["id"]).status_code == 201
    assert_error(set_target(client, people["root"], "department", "nowhere"), 422, "unknown_department")


def test_one_target_per_subject_period_and_metric(client, people):
    east = people["boss-east"]
    first = set_target(client, east, "rep", "rep-e1")
    assert first.status_code == 201 and first.headers["ETag"] == '"1"'
    assert_error(set_target(client, east, "rep", "rep-e1", value="5.00"), 409, "target_exists")
    assert set_target(client, east, "rep", "rep-e1", metric="payments_collected").status_code == 201
    assert set_target(client, east, "rep", "rep-e1", period="2026-Q4").status_code == 201


def test_target_edits_are_versioned_and_every_change_is_published(client, people, published):
    east = people["boss-east"]
    target = set_target(client, east, "rep", "rep-e2", metric="new_customers", value="10", currency=None).json
    assert (target["value"], target["currency"]) == ("10", None)
    path = f"/api/v1/targets/{target['id']}"
    assert_error(client.patch(path, json={"value": "12"}, headers=east), 428, "precondition_required")
    changed = client.patch(path, json={"value": "12"}, headers={**east, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.json
    assert (changed.json["value"], changed.headers["ETag"]) == ("12", '"2"')
    assert_error(client.patch(path, json={"value": "15"}, headers={**east, "If-Match": '"1"'}), 412,
                 "version_mismatch")
    assert_error(client.patch(path, json={"value": "15"}, headers={**people["boss-west"], "If-Match": '"2"'}), 404,
                 "not_found")
    events = [e["payload"] for e in published() if e["name"] == "sales.target.set.v1"]
    assert [(e["value"], e["previous_value"], e["set_by"]) for e in events] == [("10", None, "boss-east"),
                                                                              ("12", "10", "boss-east")]
    assert events[0]["period_start"] == f"{THIS_MONTH}-01" and events[0]["metric"] == "new_customers"


@pytest.mark.parametrize("changes", [
    {"period": "2026-13"}, {"period": "2026-Q5"}, {"metric": "calls"}, {"value": "12.345"}, {"value": 12},
    {"currency": "cny"}, {"currency": None}, {"metric": "new_customers", "value": "2.5", "currency": None},
    {"metric": "new_customers", "value": "2"}, {"subject_kind": "company"}, {"note": "unknown fields are refused"},
])
def test_invalid_targets_are_refused_and_nothing_is_kept(client, people, changes):
    body = {"subject_kind": "rep", "subject_id": "rep-e1", "period": THIS_MONTH, "metric": "won_amount",
            "value": "100.00", "currency": "CNY", **changes}
    assert_error(client.post("/api/v1/targets", json=body, headers=people["boss-east"]), 422, "validation_failed")
    assert client.get("/api/v1/targets", headers=people["root"]).json == {"items": []}


def test_each_viewer_sees_the_targets_of_their_scope(client, people):
    east, west, root = people["boss-east"], people["boss-west"], people["root"]
    e1 = set_target(client, east, "rep", "rep-e1").json
    set_target(client, east, "rep", "rep-e2")
    set_target(client, east, "team", "east")
    w1 = set_target(client, west, "rep", "rep-w1").json
    department = client.post("/api/v1/departments", json={"name": "South", "team_ids": ["west"]}, headers=root).json
    set_target(client, root, "department", department["id"])

    def seen(who):
        return sorted((t["subject_kind"], t["subject_id"]) for t in
                      client.get("/api/v1/targets", headers=people[who]).json["items"])

    assert seen("rep-e1") == [("rep", "rep-e1"), ("team", "east")]
    assert seen("boss-east") == [("rep", "rep-e1"), ("rep", "rep-e2"), ("team", "east")]
    assert seen("rep-w1") == [("department", department["id"]), ("rep", "rep-w1")]
    assert seen("boss-west") == [("department", department["id"]), ("rep", "rep-w1")]
    assert len(seen("root")) == 5
    assert client.get(f"/api/v1/targets/{e1['id']}", headers=people["rep-e1"]).status_code == 200
    assert_error(client.get(f"/api/v1/targets/{e1['id']}", headers=people["rep-e2"]), 404, "not_found")
    assert_error(client.get(f"/api/v1/targets/{w1['id']}", headers=east), 404, "not_found")


def open_deal(client, who, amount, currency="CNY", customer=None):
    if customer is None:
        customer = client.post("/api/v1/customers", json={"name": f"Customer of {amount}"}, headers=who).json
    deal = client.post(f"/api/v1/customers/{customer['id']}/opportunities",
                       json={"name": "Deal", "amount": amount, "currency": currency}, headers=who)
    assert deal.status_code == 201, deal.json
    return customer, deal.json


def close(client, who, deal, outcome="won"):
    body = {"outcome": outcome} if outcome == "won" else {"outcome": outcome, "reason": "Too expensive"}
    closed = client.post(f"/api/v1/opportunities/{deal['id']}/close", json=body, headers=who)
    assert closed.status_code == 200, closed.json


def test_achievement_sums_won_deals_and_new_customers_per_rep_team_and_department(client, people):
    e1, e2, w1, root = people["rep-e1"], people["rep-e2"], people["rep-w1"], people["root"]
    customer, deal = open_deal(client, e1, "1999.99")
    close(client, e1, deal)
    _, second = open_deal(client, e1, "0.02", customer=customer)
    close(client, e1, second)
    _, dollars = open_deal(client, e1, "500.00", currency="USD", customer=customer)
    close(client, e1, dollars)
    _, lost = open_deal(client, e1, "7000.00", customer=customer)
    close(client, e1, lost, "lost")
    open_deal(client, e1, "8000.00", customer=customer)  # still open: not won
    _, other = open_deal(client, e2, "1000.00")
    close(client, e2, other)
    _, western = open_deal(client, w1, "300.00")
    close(client, w1, western)
    department = client.post("/api/v1/departments", json={"name": "All", "team_ids": ["east", "west"]},
                             headers=root).json
    for kind, subject in (("rep", "rep-e1"), ("team", "east"), ("department", department["id"])):
        set_target(client, root, kind, subject, value="4000.00")
        set_target(client, root, kind, subject, metric="new_customers", value="4", currency=None)
    set_target(client, root, "rep", "rep-e2", value="0.00")

    figures = client.get(f"/api/v1/targets/achievement?period={THIS_MONTH}", headers=root).json
    got = {(r["target"]["subject_kind"], r["target"]["metric"]): (r["actual"], r["percent"])
           for r in figures["items"] if r["target"]["subject_id"] != "rep-e2"}
    assert got == {
        ("rep", "won_amount"): ("2000.01", "50.0"), ("rep", "new_customers"): ("1", "25.0"),
        ("team", "won_amount"): ("3000.01", "75.0"), ("team", "new_customers"): ("2", "50.0"),
        ("department", "won_amount"): ("3300.01", "82.5"), ("department", "new_customers"): ("3", "75.0"),
    }
    [zero] = [r for r in figures["items"] if r["target"]["subject_id"] == "rep-e2"]
    assert (zero["actual"], zero["percent"]) == ("1000.00", None)
    # The rep sees their own and their team's achievement, not the department's other team or a colleague's.
    mine = client.get(f"/api/v1/targets/achievement?period={THIS_MONTH}", headers=e1).json["items"]
    assert sorted({(r["target"]["subject_kind"], r["target"]["subject_id"]) for r in mine}) == [
        ("department", department["id"]), ("rep", "rep-e1"), ("team", "east")]
    # A period with nothing won yet.
    assert client.get("/api/v1/targets/achievement?period=2020", headers=root).json["items"] == []
    assert_error(client.get("/api/v1/targets/achievement?period=2026-Q9", headers=root), 422, "validation_failed")


def test_departments_are_admins_named_sets_of_teams_each_team_in_one(client, people):
    root = people["root"]
    north = client.post("/api/v1/departments", json={"name": "North", "team_ids": ["east"]}, headers=root)
    assert north.status_code == 201 and north.headers["ETag"] == '"1"'
    assert_error(client.post("/api/v1/departments", json={"name": "north", "team_ids": []}, headers=root), 409,
                 "department_name_taken")
    assert_error(client.post("/api/v1/departments", json={"name": "Other", "team_ids": ["east"]}, headers=root),
                 409, "team_in_other_department")
    assert_error(client.post("/api/v1/departments", json={"name": "Mine", "team_ids": []},
                             headers=people["boss-east"]), 403, "role_not_allowed")
    path = f"/api/v1/departments/{north.json['id']}"
    body = {"name": "North and West", "team_ids": ["east", "west"]}
    assert_error(client.put(path, json=body, headers=root), 428, "precondition_required")
    renamed = client.put(path, json=body, headers={**root, "If-Match": '"1"'})
    assert renamed.status_code == 200, renamed.json
    assert (renamed.json["team_ids"], renamed.headers["ETag"]) == (["east", "west"], '"2"')
    assert_error(client.put(path, json=body, headers={**root, "If-Match": '"1"'}), 412, "version_mismatch")
