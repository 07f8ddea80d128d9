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

import json
import re
import uuid
from dataclasses import dataclass, field

import pytest

from crm_shared.testing import contract_with
from reporting import report_store

API = "/api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
ROLES = ("admin", "sales_manager", "sales_rep", "service_agent", "service_manager", "executive")
EVERYONE = ROLES
OVERSEERS = ("admin", "sales_manager", "service_manager", "executive")

OWNED, LISTING, BODY, SHARED, PUBLIC = "owned", "listing", "body", "shared", "public"

EAST, WEST = "e0000000-0000-4000-8000-00000000000e", "f0000000-0000-4000-8000-00000000000f"
REP_A, REP_B = "a0000000-0000-4000-8000-00000000000a", "b0000000-0000-4000-8000-00000000000b"
MANAGER_B = "d0000000-0000-4000-8000-00000000000d"
DEALS_BY_CUSTOMER = {
    "dataset": "opportunities",
    "dimensions": [{"field": "name", "key": "deal"}, {"field": "owner.name", "key": "owner"}],
    "measures": [{"key": "amount", "aggregate": "sum", "field": "amount"}],
}


@dataclass(frozen=True)
class Rule:
    """Who may call an operation and what it touches."""

    roles: tuple[str, ...] | None
    kind: str
    body: dict | None = None  # a valid request; "{name}" is filled like a path parameter
    multipart: bool = False
    query: dict = field(default_factory=dict)


REPORT = {"name": "Probe", "definition": DEALS_BY_CUSTOMER, "layout": {}}
SCHEDULE = {"report_id": "{report_id}", "frequency": "weekly", "time_of_day": "08:30", "weekday": "monday",
            "formats": ["csv"], "recipient_user_ids": ["{viewer_id}"]}
DASHBOARD = {"scope": "all", "from": "2025-01-01", "to": "2027-12-31"}  # the longest period: 3 years
MATRIX = {
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
}

# Query values that narrow a list to A's things: each one is also tried on its own.
FILTERS = {"report_id": "{report_id}", "schedule_id": "{schedule_id}", "run_id": "{run_id}", "scope": "all",
           "owner": REP_A, "team": EAST}
# What the walks find today and the product accepts, or leaves open as a known issue: (walk, outsider, pattern, why).
KNOWN: list[tuple[str, str, str, str]] = []


# -- the OpenAPI document and requests -----------------------------------------------------------------------


def operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items() if path.startswith(API)
            for method in ops if method in METHODS}


def filled(template, ids: dict[str, list[str]]) -> list:
    """`template` (a path, a query or a body) with every "{name}" replaced by each of ids[name], every combination."""
    text = json.dumps(template) if not isinstance(template, str) else template
    results = [text]
    for name in dict.fromkeys(re.findall(r"{(\w+)}", text)):
        assert name in ids, f"{template}: no value for {{{name}}}; add it to the world (or the probe ids)"
        results = [r.replace("{" + name + "}", value) for r in results for value in ids[name]]
    return results if isinstance(template, str) else [json.loads(r) for r in results]


def placeholders(rule: Rule, path: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", path + json.dumps(rule.body) + json.dumps(rule.query)))


def send(client, method: str, url: str, headers: dict, rule: Rule, body, ids=None):
    query = filled(rule.query, ids)[0] if ids is not None else rule.query
    kwargs = {"json": body} if body is not None else {}
    return getattr(client, method.lower())(url, headers=headers, query_string=query, **kwargs)


def none_of(found: list[str], walk: str | None = None, outsider: str | None = None) -> None:
    """`found` is empty but for KNOWN findings of the walk for `outsider`, and each of those is still found."""
    known = [(pattern, why) for kind, who, pattern, why in KNOWN if (kind, who) == (walk, outsider)]
    unexplained = [item for item in found if not any(re.match(pattern, item) for pattern, _ in known)]
    assert unexplained == [], "\n" + "\n".join(unexplained)
    gone = [why for pattern, why in known if not any(re.match(pattern, item) for item in found)]
    assert gone == [], f"no longer found, remove from KNOWN: {gone}"


def code_of(response) -> str | None:
    return response.json.get("code") if response.is_json and isinstance(response.json, dict) else None


def in_error_shape(response) -> bool:
    return response.is_json and set(response.json) == {"code", "status", "message", "errors"} and (
        response.json["status"] == response.status_code)


@pytest.fixture
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json


# -- the matrix covers the document ---------------------------------------------------------------------------


def test_every_operation_of_the_openapi_document_has_an_access_rule(document):
    missing = sorted(f"{method} {path}" for method, path in operations(document) - set(MATRIX))
    assert missing == [], f"no access rule for {missing}: add each to MATRIX with its roles and kind"
    assert sorted(f"{m} {p}" for m, p in set(MATRIX) - operations(document)) == []


def role_mismatches(client, tokens) -> list[str]:
    """Every (operation, role) whose answer disagrees with MATRIX about the role check, by name."""
    wrong = []
    for (method, path), rule in sorted(MATRIX.items()):
        probe_ids = {name: [str(uuid.uuid4())] for name in placeholders(rule, path)}
        [url] = filled(path, probe_ids)
        body = filled(rule.body, probe_ids)[0] if rule.body is not None else None
        anonymous = send(client, method, url, {}, rule, body, probe_ids)
        if rule.roles is None:
            if anonymous.status_code in (401, 403):
                wrong.append(f"{method} {path} refuses a caller without a token")
            continue
        if anonymous.status_code != 401 or not in_error_shape(anonymous):
            wrong.append(f"{method} {path} without a token answered {anonymous.status_code}")
        for role in ROLES:
            headers = tokens.headers(f"probe-{role}", [role], f"probe.{role}")
            response = send(client, method, url, headers, rule, body, probe_ids)
            refused = response.status_code == 403 and code_of(response) == "role_not_allowed"
            if response.status_code == 422 and code_of(response) == "validation_failed":
                wrong.append(f"{method} {path}: the probe body is not valid ({response.json}); fix MATRIX's body")
            elif refused and not in_error_shape(response):
                wrong.append(f"{method} {path} refused {role} outside the shared error shape")
            elif refused == (role in rule.roles):
                wrong.append(f"{method} {path} as {role}: {response.status_code} {code_of(response)}")
    return wrong


def test_every_role_outside_an_operations_roles_is_refused_and_every_role_inside_passes(client, tokens):
    none_of(role_mismatches(client, tokens))


# -- rep A's reports ----------------------------------------------------------------------------------------------


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json() if response.is_json else response.data[:300]
    return response.get_json()


def versioned(client, url: str, headers: dict) -> dict:
    """`headers` with the If-Match of the nearest resource at or above `url` an admin reads (for versioned writes)."""
    admin = client.application.config["access_matrix_admin"]
    parts = url.split("/")
    while len(parts) > 3:
        response = client.get("/".join(parts), headers=admin)
        if response.status_code == 200 and response.headers.get("ETag"):
            return {**headers, "If-Match": response.headers["ETag"]}
        parts = parts[:-1]
    return headers


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


# -- the walks ---------------------------------------------------------------------------------------------------


def secrets_in(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def reading_leaks(client, world: dict, viewer_id: str, viewer: dict) -> list[str]:
    """What `viewer` learns of A's things: OWNED paths that answer, lists, dashboards and previews that show them."""
    leaks = []
    ids = {**world["ids"], "viewer_id": [viewer_id]}
    for (method, path), rule in sorted(MATRIX.items()):
        if rule.kind == OWNED and method == "GET":
            for url in filled(path, ids):
                response = send(client, method, url, viewer, rule, None, ids)
                if response.status_code != 404 and code_of(response) != "role_not_allowed":
                    leaks.append(f"GET {url} answered {response.status_code}")
        elif rule.kind == LISTING:
            body = filled(rule.body, ids)[0] if rule.body is not None else None
            base = filled(rule.query, ids)[0]
            for query in [base] + [{**base, **filled({k: v}, ids)[0]} for k, v in FILTERS.items()]:
                response = getattr(client, method.lower())(path, headers=viewer, query_string=query,
                                                           **({"json": body} if body is not None else {}))
                assert response.status_code < 500, (method, path, query, response.data[:300])
                answered = response.status_code == 200 or code_of(response) == "role_not_allowed"
                assert query is not base or answered, (
                    f"{method} {path}: MATRIX's query or body gets {response.status_code}, so it proves nothing")
                found = secrets_in(response.get_data(as_text=True), world["secrets"])
                if found:
                    leaks.append(f"{method} {path}?{query} shows A's {', '.join(found)}")
    return leaks


def as_seen_by(client, world: dict, viewer: dict) -> dict:
    """Every OWNED read of A's things as `viewer` sees it: what a refused write must leave as it was."""
    seen = {}
    for (method, path), rule in sorted(MATRIX.items()):
        if method == "GET" and rule.kind == OWNED:
            for url in filled(path, world["ids"]):
                response = send(client, method, url, viewer, rule, None, world["ids"])
                seen[url] = (response.status_code, response.get_json() if response.is_json else response.get_data())
    return seen


def without(value, volatile: set[str]):
    """`value` without the fields named in `volatile`, at any depth."""
    if isinstance(value, dict):
        return {k: without(v, volatile) for k, v in value.items() if k not in volatile}
    if isinstance(value, (list, tuple)):
        return [without(v, volatile) for v in value]
    return value


def volatile_fields(first, second) -> set[str]:
    """The fields whose values change by themselves between two reads (a computed-at time)."""
    if isinstance(first, dict) and isinstance(second, dict):
        shared = [k for k in first if k in second]
        return {k for k in shared if first[k] != second[k] and not isinstance(first[k], (dict, list))} | {
            name for k in shared for name in volatile_fields(first[k], second[k])}
    if isinstance(first, (list, tuple)) and isinstance(second, (list, tuple)):
        return {name for a, b in zip(first, second) for name in volatile_fields(a, b)}
    return set()


def writes_answered(client, world: dict, viewer_id: str, viewer: dict) -> list[str]:
    """Every write naming A's things tried as `viewer`, with the current version: what was not refused."""
    answered = []
    ids = {**world["ids"], "viewer_id": [viewer_id]}
    for (method, path), rule in sorted(MATRIX.items()):
        if method == "GET" or rule.kind not in (OWNED, BODY):
            continue
        for url in filled(path, ids):
            for body in filled(rule.body, ids) if rule.body is not None else [None]:
                response = send(client, method, url, versioned(client, url, viewer), rule, body, ids)
                code = code_of(response)
                assert code != "validation_failed", f"{method} {path}: MATRIX's body {body} is not valid"
                refused = response.status_code == 404 or code == "role_not_allowed" or (
                    rule.kind == BODY and 400 <= response.status_code < 500)
                if not refused:
                    answered.append(f"{method} {url} {body} answered {response.status_code} {code}")
    return answered


# -- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", [REP_B, MANAGER_B])
def test_another_rep_and_another_teams_manager_read_nothing_of_reps_reports_or_figures(client, world, people,
                                                                                       outsider):
    none_of(reading_leaks(client, world, outsider, people[outsider]), "read", outsider)


@pytest.mark.parametrize("outsider", [REP_B, MANAGER_B])
def test_their_writes_on_reps_reports_are_refused_and_change_nothing(client, world, people, outsider):
    before = as_seen_by(client, world, people[REP_A])
    volatile = volatile_fields(before, as_seen_by(client, world, people[REP_A]))
    none_of(writes_answered(client, world, outsider, people[outsider]), "write", outsider)
    assert without(as_seen_by(client, world, people[REP_A]), volatile) == without(before, volatile)


def test_a_report_shared_with_another_rep_answers_them_with_their_own_figures_only(client, world, people, marker):
    report_id = world["ids"]["report_id"][0]
    url = f"/api/v1/reports/{report_id}"
    ok(client.put(url, headers=versioned(client, url, people[REP_A]), json={
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
    response = client.put(url, headers=versioned(client, url, b), json={**REPORT, "owner_id": REP_A})
    assert response.status_code in (200, 400, 422), response.get_json()
    assert ok(client.get(url, headers=b))["owner_id"] == REP_B
    assert client.get(url, headers=people[REP_A]).status_code == 404


def test_the_walk_names_the_leaking_paths_once_anyone_may_read_any_report(client, world, people, monkeypatch):
    """The positive control: with the sharing check granting everything, the walk reports A's report."""
    monkeypatch.setattr(report_store, "may_read", lambda row, identity: True)
    leaks = reading_leaks(client, world, REP_B, people[REP_B])
    report_id = world["ids"]["report_id"][0]
    assert f"GET /api/v1/reports/{report_id} answered 200" in leaks
    assert f"GET /api/v1/reports/{report_id}/result answered 200" in leaks
