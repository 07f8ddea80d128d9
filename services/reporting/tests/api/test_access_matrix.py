"""Who may call what, and what one user learns of another's reports and of another rep's figures, for every operation.

MATRIX gives every path and method of reporting's OpenAPI document the roles that may call it and what it touches:
OWNED operations name a user's saved report, board, schedule or report file in the path; LISTING ones answer with
many of them, or with figures (dashboards, previews); BODY ones name another's report in the request body; SHARED
ones describe the datasets. An operation the document has and MATRIX lacks fails the first test by name, so a new
endpoint cannot escape:

- every role outside an operation's roles gets 403 `role_not_allowed` in the shared error shape, every role inside
  it gets past that check, and nobody without a token gets past 401;
- rep A (team east) owns a deal of a secret customer, a private report over it, a board, a schedule that ran and
  left a file; rep B and the west team's manager read every OWNED path with A's ids (404: the preview, result,
  export and chart of A's report too), every LISTING path with scope=all and filtered by A's ids (none of A's
  names), and try every write (refused; A's answers as before);
- a report A shares with B answers B with B's figures only; fields nobody may set (owner) have no effect.
"""
from __future__ import annotations

import uuid

import pytest

from crm_shared.access_matrix import (
    BODY, LISTING, OWNED, ROLES, SHARED, AccessMatrix, Rule, in_error_shape, ok, versioned, volatile_fields, without,
)
from crm_shared.testing import contract_with
from reporting import report_store

EVERYONE = ROLES
OVERSEERS = ("admin", "sales_manager", "service_manager", "executive")

EAST, WEST = "e0000000-0000-4000-8000-00000000000e", "f0000000-0000-4000-8000-00000000000f"
REP_A, REP_B = "a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b"
MANAGER_B = "d0000000-0000-4000-8000-00000000000d"
DEALS_BY_CUSTOMER = {
    "dataset": "opportunities",
    "dimensions": [{"field": "name", "key": "deal"}, {"field": "owner.name", "key": "owner"}],
    "measures": [{"key": "amount", "aggregate": "sum", "field": "amount"}],
}


REPORT = {"name": "Probe", "definition": DEALS_BY_CUSTOMER, "layout": {}}
SCHEDULE = {"report_id": "{report_id}", "frequency": "weekly", "time_of_day": "08:30", "weekday": "monday",
            "formats": ["csv"], "recipient_user_ids": ["{viewer_id}"]}
DASHBOARD = {"scope": "all", "from": "2025-01-01", "to": "2027-12-31"}  # the longest period: 3 years
MATRIX = AccessMatrix({
    ("GET", "/api/v1/dashboards/channels"): Rule(OVERSEERS, LISTING),
    ("GET", "/api/v1/dashboards/acquisition"): Rule(EVERYONE, LISTING, query=DASHBOARD),
    ("GET", "/api/v1/dashboards/sales"): Rule(EVERYONE, LISTING, query=DASHBOARD),
    ("GET", "/api/v1/dashboards/service"): Rule(EVERYONE, LISTING, query=DASHBOARD),
    ("GET", "/api/v1/dashboards/pool"): Rule(EVERYONE, LISTING, query=DASHBOARD),
    ("GET", "/api/v1/dashboards/executive"): Rule(("admin", "sales_manager", "executive"), LISTING, query=DASHBOARD),
    ("GET", "/api/v1/datasets"): Rule(EVERYONE, SHARED),
    ("POST", "/api/v1/reports/preview"): Rule(EVERYONE, LISTING, {"definition": DEALS_BY_CUSTOMER}),
    ("GET", "/api/v1/reports"): Rule(EVERYONE, LISTING),
    ("POST", "/api/v1/reports"): Rule(EVERYONE, SHARED, REPORT),
    ("GET", "/api/v1/reports/{report_id}"): Rule(EVERYONE, OWNED),
    ("PUT", "/api/v1/reports/{report_id}"): Rule(EVERYONE, OWNED, REPORT),
    ("DELETE", "/api/v1/reports/{report_id}"): Rule(EVERYONE, OWNED),
    ("GET", "/api/v1/reports/{report_id}/result"): Rule(EVERYONE, OWNED),
    ("GET", "/api/v1/reports/{report_id}/export"): Rule(EVERYONE, OWNED, query={"format": "csv"}),
    ("GET", "/api/v1/reports/{report_id}/chart"): Rule(EVERYONE, OWNED, query={"format": "svg"}),
    ("GET", "/api/v1/boards"): Rule(EVERYONE, LISTING),
    ("POST", "/api/v1/boards"): Rule(EVERYONE, BODY, {"name": "Probe", "tiles": [{"report_id": "{report_id}"}]}),
    ("GET", "/api/v1/boards/{board_id}"): Rule(EVERYONE, OWNED),
    ("PUT", "/api/v1/boards/{board_id}"): Rule(EVERYONE, OWNED, {"name": "Probe"}),
    ("DELETE", "/api/v1/boards/{board_id}"): Rule(EVERYONE, OWNED),
    ("GET", "/api/v1/report-schedules"): Rule(EVERYONE, LISTING),
    ("POST", "/api/v1/report-schedules"): Rule(EVERYONE, BODY, SCHEDULE),
    ("GET", "/api/v1/report-schedules/{schedule_id}"): Rule(EVERYONE, OWNED),
    ("PUT", "/api/v1/report-schedules/{schedule_id}"): Rule(EVERYONE, OWNED, SCHEDULE),
    ("DELETE", "/api/v1/report-schedules/{schedule_id}"): Rule(EVERYONE, OWNED),
    ("POST", "/api/v1/report-schedules/{schedule_id}/run"): Rule(EVERYONE, OWNED),
    ("GET", "/api/v1/report-schedules/{schedule_id}/runs"): Rule(EVERYONE, OWNED),
    ("GET", "/api/v1/report-files"): Rule(EVERYONE, LISTING),
    ("GET", "/api/v1/report-files/{file_id}"): Rule(EVERYONE, OWNED),
}, filters={
    # Query values that narrow a list to A's things: each one is also tried on its own.
    "report_id": "{report_id}", "schedule_id": "{schedule_id}", "run_id": "{run_id}", "scope": "all", "owner": REP_A,
    "team": EAST,
})


# -- the matrix covers the document ---------------------------------------------------------------------------


def test_every_operation_of_the_openapi_document_has_an_access_rule(client):
    document = client.get("/openapi.json")
    assert document.status_code == 200
    assert MATRIX.uncovered(document.json) == [], "add each operation to MATRIX with its roles and kind"


def test_every_role_outside_an_operations_roles_is_refused_and_every_role_inside_passes(client, tokens):
    MATRIX.none_of(MATRIX.role_mismatches(client, tokens))


# -- rep A's reports ----------------------------------------------------------------------------------------------


def as_admin(client, url: str, headers: dict) -> dict:
    """`headers` with the current If-Match of what `url` writes, as an admin reads it."""
    return versioned(client, url, headers, client.application.config["access_matrix_admin"])


@pytest.fixture
def marker() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def people(client, tokens, deliver, marker) -> dict:
    known = {REP_A: (f"Ann {marker}", ["sales_rep"], [EAST]), REP_B: ("Bo", ["sales_rep"], [WEST]),
             MANAGER_B: ("Mei", ["sales_manager"], [WEST])}
    for user_id, (name, roles, teams) in known.items():
        deliver(contract_with(
            "gateway.user.changed.v1", user_id=user_id, username=user_id, display_name=name, roles=roles,
            team_ids=teams, teams=[{"id": t, "name": "East" if t == EAST else "West"} for t in teams], active=True))
    people = {user_id: tokens.headers(user_id, roles, user_id, teams) for user_id, (_, roles, teams) in known.items()}
    people["admin"] = tokens.headers("10000000-0000-4000-8000-000000000001", ["admin"], "admin")
    client.application.config["access_matrix_admin"] = people["admin"]
    return people


@pytest.fixture
def world(client, people, deliver, marker) -> dict:
    """A's ids by parameter name, and what no outsider may read: A's deal, customer, report and display name."""
    a = people[REP_A]
    for owner, name in ((REP_A, f"Secret deal {marker}"), (REP_B, "B's own deal")):
        customer_id = str(uuid.uuid4())
        deliver(contract_with("sales.customer.created.v1", customer_id=customer_id, owner_id=owner,
                              name=f"{name} customer"))
        deliver(contract_with("sales.opportunity.opened.v1", opportunity_id=str(uuid.uuid4()),
                              customer_id=customer_id, owner_id=owner, amount="4321.00", name=name,
                              stage="qualification"))
    report = ok(client.post("/api/v1/reports", headers=a, json={
        "name": f"Secret report {marker}", "definition": DEALS_BY_CUSTOMER, "layout": {}}), 201)
    board = ok(client.post("/api/v1/boards", headers=a, json={
        "name": f"Secret board {marker}", "tiles": [{"report_id": report["report_id"]}]}), 201)
    schedule = ok(client.post("/api/v1/report-schedules", headers=a, json={
        **SCHEDULE, "report_id": report["report_id"], "recipient_user_ids": [REP_A]}), 201)
    run = ok(client.post(f"/api/v1/report-schedules/{schedule['schedule_id']}/run", headers=a), 201)
    [file] = ok(client.get("/api/v1/report-files", query_string={"run_id": run["run_id"]}, headers=a))["items"]
    return {
        "ids": {"report_id": [report["report_id"]], "board_id": [board["board_id"]],
                "schedule_id": [schedule["schedule_id"]], "run_id": [run["run_id"]], "file_id": [file["file_id"]]},
        "secrets": {"report": report["report_id"], "board": board["board_id"], "schedule": schedule["schedule_id"],
                    "file": file["file_id"], "name": marker},
    }


# -- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", [REP_B, MANAGER_B])
def test_another_rep_and_another_teams_manager_read_nothing_of_reps_reports_or_figures(client, world, people,
                                                                                       outsider):
    MATRIX.none_of(MATRIX.reading_leaks(client, world["ids"], world["secrets"], outsider, people[outsider]),
                   "read", outsider)


@pytest.mark.parametrize("outsider", [REP_B, MANAGER_B])
def test_their_writes_on_reps_reports_are_refused_and_change_nothing(client, world, people, outsider):
    before = MATRIX.reads(client, world["ids"], people[REP_A])
    volatile = volatile_fields(before, MATRIX.reads(client, world["ids"], people[REP_A]))
    answered = MATRIX.writes_answered(client, world["ids"], outsider, people[outsider],
                                      lambda url, headers: as_admin(client, url, headers))
    MATRIX.none_of(answered, "write", outsider)
    assert without(MATRIX.reads(client, world["ids"], people[REP_A]), volatile) == without(before, volatile)


def test_a_report_shared_with_another_rep_answers_them_with_their_own_figures_only(client, world, people, marker):
    report_id = world["ids"]["report_id"][0]
    url = f"/api/v1/reports/{report_id}"
    ok(client.put(url, headers=as_admin(client, url, people[REP_A]), json={
        "name": "Deals", "definition": DEALS_BY_CUSTOMER, "layout": {}, "shared_user_ids": [REP_B]}))
    b = people[REP_B]
    result = ok(client.get(f"{url}/result", headers=b))
    assert result["scope"] == "own" and [row["deal"] for row in result["rows"]] == ["B's own deal"]
    for suffix, query in (("/export", {"format": "csv"}), ("/chart", {"format": "svg"}), ("/result", {"scope": "all"})):
        response = client.get(f"{url}{suffix}", query_string=query, headers=b)
        # A table report has no chart (400): either way, nothing of A's.
        assert response.status_code in (200, 400) and marker not in response.get_data(as_text=True), suffix
    # The same definition previewed, and the sales dashboard asked for "all": B's own figures still.
    previewed = ok(client.post("/api/v1/reports/preview", headers=b, json={"definition": DEALS_BY_CUSTOMER}))
    assert [row["deal"] for row in previewed["rows"]] == ["B's own deal"]
    dashboard = client.get("/api/v1/dashboards/sales", query_string=DASHBOARD, headers=b)
    assert dashboard.status_code == 200 and dashboard.get_json()["period"]["scope"] == "own"
    assert marker not in dashboard.get_data(as_text=True)


def test_the_owner_of_a_report_is_whoever_saves_it_whatever_the_body_says(client, world, people):
    b = people[REP_B]
    response = client.post("/api/v1/reports", headers=b, json={**REPORT, "owner_id": REP_A})
    if response.status_code == 201:
        assert response.get_json()["owner_id"] == REP_B
    else:
        assert response.status_code in (400, 422) and in_error_shape(response), response.get_json()
    mine = ok(client.post("/api/v1/reports", headers=b, json=REPORT), 201)
    url = f"/api/v1/reports/{mine['report_id']}"
    response = client.put(url, headers=as_admin(client, url, b), json={**REPORT, "owner_id": REP_A})
    assert response.status_code in (200, 400, 422), response.get_json()
    assert ok(client.get(url, headers=b))["owner_id"] == REP_B
    assert client.get(url, headers=people[REP_A]).status_code == 404


def test_the_walk_names_the_leaking_paths_once_anyone_may_read_any_report(client, world, people, monkeypatch):
    """The positive control: with the sharing check granting everything, the walk reports A's report."""
    monkeypatch.setattr(report_store, "may_read", lambda row, identity: True)
    leaks = MATRIX.reading_leaks(client, world["ids"], world["secrets"], REP_B, people[REP_B])
    report_id = world["ids"]["report_id"][0]
    assert f"GET /api/v1/reports/{report_id} answered 200" in leaks
    assert f"GET /api/v1/reports/{report_id}/result answered 200" in leaks
