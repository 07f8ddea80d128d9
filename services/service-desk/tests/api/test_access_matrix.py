"""Who may call what, and what a rep learns of another rep's customers' tickets, for every operation of the desk.

MATRIX gives every path and method of the service desk's OpenAPI document the roles that may call it and what it
touches: OWNED operations name a ticket (or its return visit, or its solution) in the path; LISTING ones answer
with many; BODY ones name a ticket or customer in the request body; SHARED ones manage the desk's configuration
and knowledge base; PUBLIC ones need no login (the public request form, read with the request's secret key). An
operation the document has and MATRIX lacks fails the first test by name, so a new endpoint cannot escape:

- every role outside an operation's roles gets 403 `role_not_allowed` in the shared error shape, every role
  inside it gets past that check, and nobody without a token gets past 401 but on PUBLIC operations;
- an agent works a ticket of rep A's customer (a reply, an internal note, a solution, a return visit); rep B and
  another team's manager read every OWNED path with its ids (404), every LISTING path, also filtered by A's
  customer (none of it), and try every write (refused; what the agent sees and the outbox stay as they were);
- a customer reads only their own request with its key, never another's, never an internal note;
- fields a role may not set (status, assignee, customer) are refused or have no effect.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from crm_shared.db import outbox
from service_desk import service as desk_service

API = "/api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
ROLES = ("admin", "sales_manager", "sales_rep", "service_agent", "service_manager", "executive")
EVERYONE = ROLES
DESK = ("admin", "service_agent", "service_manager")
DESK_MANAGERS = ("admin", "service_manager")
SALES = ("sales_manager", "sales_rep")

OWNED, LISTING, BODY, SHARED, PUBLIC = "owned", "listing", "body", "shared", "public"
KEY = {"token": "x" * 43}
LATER = "2030-01-07T02:00:00Z"


@dataclass(frozen=True)
class Rule:
    """Who may call an operation (None: anyone, without logging in) and what it touches."""

    roles: tuple[str, ...] | None
    kind: str
    body: dict | None = None  # a valid request; "{name}" is filled like a path parameter
    multipart: bool = False
    query: dict = field(default_factory=dict)


TICKET = "/api/v1/tickets/{ticket_id}"
MATRIX = {
    ("GET", "/api/v1/tickets"): Rule(EVERYONE, LISTING),
    ("POST", "/api/v1/tickets"): Rule(DESK + SALES, BODY, {"customer_id": "{customer_id}", "subject": "Probe"}),
    ("GET", TICKET): Rule(EVERYONE, OWNED),
    ("PATCH", TICKET): Rule(DESK, OWNED, {"subject": "Probe"}),
    ("POST", f"{TICKET}/transitions"): Rule(DESK, OWNED, {"status": "open"}),
    ("POST", f"{TICKET}/close"): Rule(DESK, OWNED, {}),
    ("PUT", f"{TICKET}/assignment"): Rule(DESK, OWNED, {"assignee_id": "{viewer_id}", "group_id": "{group_id}"}),
    ("PUT", f"{TICKET}/customer"): Rule(DESK, OWNED, {"customer_id": "{customer_id}"}),
    ("GET", f"{TICKET}/messages"): Rule(EVERYONE, OWNED),
    ("POST", f"{TICKET}/replies"): Rule(DESK, OWNED, {"body": "Probe reply"}),
    ("POST", f"{TICKET}/notes"): Rule(DESK, OWNED, {"body": "Probe note"}),
    ("GET", f"{TICKET}/history"): Rule(EVERYONE, OWNED),
    ("GET", f"{TICKET}/audit"): Rule(EVERYONE, OWNED),
    ("PUT", f"{TICKET}/satisfaction"): Rule(DESK, OWNED, {"rating": 5}),
    ("POST", f"{TICKET}/opportunity-request"): Rule(DESK, OWNED, {"name": "Probe"}),
    ("GET", f"{TICKET}/return-visits"): Rule(EVERYONE, OWNED),
    ("POST", f"{TICKET}/return-visits"): Rule(DESK, OWNED, {"assignee_id": "{viewer_id}", "due_at": LATER}),
    ("GET", "/api/v1/return-visits"): Rule(DESK, LISTING),
    ("POST", "/api/v1/return-visits/{visit_id}/complete"): Rule(DESK, OWNED, {"outcome": "reached"}),
    ("POST", "/api/v1/public/requests"): Rule(None, PUBLIC, {
        "name": "Probe", "email": "probe@example.com", "subject": "Probe", "description": "Probe"}),
    ("GET", "/api/v1/public/requests/{number}"): Rule(None, PUBLIC, query=KEY),
    ("POST", "/api/v1/public/requests/{number}/replies"): Rule(None, PUBLIC, {"body": "Probe"}, query=KEY),
    ("PUT", "/api/v1/public/requests/{number}/satisfaction"): Rule(None, PUBLIC, {"rating": 5}, query=KEY),
    ("GET", "/api/v1/kb/categories"): Rule(EVERYONE, SHARED),
    ("POST", "/api/v1/kb/categories"): Rule(DESK_MANAGERS, SHARED, {"name": "Probe"}),
    ("PATCH", "/api/v1/kb/categories/{category_id}"): Rule(DESK_MANAGERS, SHARED, {"name": "Probe"}),
    ("DELETE", "/api/v1/kb/categories/{category_id}"): Rule(DESK_MANAGERS, SHARED),
    ("GET", "/api/v1/kb/articles"): Rule(DESK, SHARED),
    ("POST", "/api/v1/kb/articles"): Rule(DESK, SHARED, {"title": "Probe", "body": "Probe"}),
    ("GET", "/api/v1/kb/articles/{article_id}"): Rule(EVERYONE, SHARED),
    ("PATCH", "/api/v1/kb/articles/{article_id}"): Rule(DESK, SHARED, {"title": "Probe"}),
    ("POST", "/api/v1/kb/articles/{article_id}/publish"): Rule(DESK_MANAGERS, SHARED),
    ("GET", "/api/v1/kb/articles/{article_id}/versions"): Rule(DESK, SHARED),
    ("POST", "/api/v1/kb/articles/{article_id}/votes"): Rule(DESK, BODY, {"ticket_id": "{ticket_id}", "helped": True}),
    ("GET", "/api/v1/kb/search"): Rule(EVERYONE, LISTING, query={"q": "{secret}"}),
    ("GET", "/api/v1/public/kb/categories"): Rule(None, PUBLIC),
    ("GET", "/api/v1/public/kb/search"): Rule(None, PUBLIC, query={"q": "probe"}),
    ("GET", "/api/v1/public/kb/articles/{article_id}"): Rule(None, PUBLIC),
    ("GET", f"{TICKET}/suggestions"): Rule(EVERYONE, OWNED),
    ("GET", f"{TICKET}/solutions"): Rule(EVERYONE, OWNED),
    ("POST", f"{TICKET}/solutions"): Rule(DESK, OWNED, {"summary": "Probe"}),
    ("GET", "/api/v1/solutions/{solution_id}"): Rule(DESK, OWNED),
    ("POST", "/api/v1/solutions/{solution_id}/promote"): Rule(DESK, OWNED, {}),
    ("GET", "/api/v1/agent-groups"): Rule(DESK, SHARED),
    ("POST", "/api/v1/agent-groups"): Rule(DESK_MANAGERS, SHARED, {"name": "Probe"}),
    ("GET", "/api/v1/agent-groups/{group_id}"): Rule(DESK, SHARED),
    ("PATCH", "/api/v1/agent-groups/{group_id}"): Rule(DESK_MANAGERS, SHARED, {"name": "Probe"}),
    ("DELETE", "/api/v1/agent-groups/{group_id}"): Rule(DESK_MANAGERS, SHARED),
    ("GET", "/api/v1/agents"): Rule(DESK, SHARED),
    ("GET", "/api/v1/agents/{user_id}"): Rule(DESK, SHARED),
    ("PATCH", "/api/v1/agents/{user_id}"): Rule(DESK_MANAGERS, SHARED, {"capacity": 1}),
    ("PUT", "/api/v1/agents/{user_id}/availability"): Rule(DESK, SHARED, {"availability": "away"}),
    ("GET", "/api/v1/skill-requirements"): Rule(DESK, SHARED),
    ("PUT", "/api/v1/skill-requirements/{category}"): Rule(DESK_MANAGERS, SHARED, {"skills": [["billing", 2]]}),
    ("GET", "/api/v1/workflow-rules"): Rule(DESK_MANAGERS, SHARED),
    ("POST", "/api/v1/workflow-rules"): Rule(DESK_MANAGERS, SHARED, {
        "name": "Probe", "trigger": "on_create", "actions": [{"type": "set_priority", "priority": "high"}]}),
    ("GET", "/api/v1/workflow-rules/{rule_id}"): Rule(DESK_MANAGERS, SHARED),
    ("PATCH", "/api/v1/workflow-rules/{rule_id}"): Rule(DESK_MANAGERS, SHARED, {"name": "Probe"}),
    ("DELETE", "/api/v1/workflow-rules/{rule_id}"): Rule(DESK_MANAGERS, SHARED),
    ("GET", "/api/v1/sla-calendars"): Rule(DESK, SHARED),
    ("POST", "/api/v1/sla-calendars"): Rule(DESK_MANAGERS, SHARED, {
        "name": "Probe", "timezone": "Asia/Shanghai", "weekly_hours": {"mon": [["09:00", "18:00"]]}}),
    ("GET", "/api/v1/sla-calendars/{calendar_id}"): Rule(DESK, SHARED),
    ("PATCH", "/api/v1/sla-calendars/{calendar_id}"): Rule(DESK_MANAGERS, SHARED, {"name": "Probe"}),
    ("DELETE", "/api/v1/sla-calendars/{calendar_id}"): Rule(DESK_MANAGERS, SHARED),
    ("GET", "/api/v1/sla-policies"): Rule(DESK, SHARED),
    ("POST", "/api/v1/sla-policies"): Rule(DESK_MANAGERS, SHARED, {"name": "Probe",
                                                                   "targets": {"resolution_minutes": 60}}),
    ("GET", "/api/v1/sla-policies/{policy_id}"): Rule(DESK, SHARED),
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): Rule(DESK_MANAGERS, SHARED, {"name": "Probe"}),
    ("DELETE", "/api/v1/sla-policies/{policy_id}"): Rule(DESK_MANAGERS, SHARED),
    ("GET", f"{TICKET}/sla"): Rule(EVERYONE, OWNED),
}

# Query values that narrow a list to A's customer's tickets: each one is also tried on its own.
FILTERS = {"customer_id": "{customer_id}", "q": "{secret}", "open": "true", "assignee_id": "agent-1"}
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


# -- rep A's customer and its ticket -------------------------------------------------------------------------------


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.json if response.is_json else response.data[:300]
    return response.json


def versioned(client, url: str, headers: dict) -> dict:
    """`headers` with the If-Match of the nearest resource at or above `url` an agent reads (for versioned writes)."""
    agent = world_agent(client)
    parts = url.split("/")
    while len(parts) > 3:
        response = client.get("/".join(parts), headers=agent)
        if response.status_code == 200 and response.headers.get("ETag"):
            return {**headers, "If-Match": response.headers["ETag"]}
        parts = parts[:-1]
    return headers


def world_agent(client) -> dict:
    return client.application.config["access_matrix_agent"]


@pytest.fixture
def people(headers, client) -> dict:
    people = {"rep-a": headers("rep-a", "sales_rep"), "rep-b": headers("rep-b", "sales_rep"),
              "manager-b": headers("manager-b", "sales_manager"), "agent": headers("agent-1", "service_agent"),
              "desk-manager": headers("desk-boss", "service_manager")}
    client.application.config["access_matrix_agent"] = people["agent"]
    return people


@pytest.fixture
def world(client, people, customer_created) -> dict:
    """The ids of A's customer's ticket by parameter name, and what no outsider may read of it."""
    agent, desk_manager = people["agent"], people["desk-manager"]
    marker = uuid.uuid4().hex[:10]
    customer_id = customer_created(owner_id="rep-a", name=f"Secret customer {marker}")
    customer_created(owner_id="rep-b", name="B's own customer")
    ticket = ok(client.post("/api/v1/tickets", headers=agent, json={
        "customer_id": customer_id, "subject": f"Secret subject {marker}", "description": f"Secret text {marker}"}),
        201)
    url = f"/api/v1/tickets/{ticket['id']}"
    ok(client.post(f"{url}/replies", json={"body": f"Secret reply {marker}"}, headers=versioned(client, url, agent)),
       201)
    ok(client.post(f"{url}/notes", json={"body": f"Secret note {marker}"}, headers=versioned(client, url, agent)), 201)
    ok(client.post(f"{url}/close", json={}, headers=versioned(client, url, agent)))
    solution = ok(client.post(f"{url}/solutions", json={"summary": f"Secret solution {marker}"},
                              headers=versioned(client, url, agent)), 201)
    visit = ok(client.post(f"{url}/return-visits", json={"assignee_id": "agent-1", "due_at": LATER,
                                                         "note": f"Secret visit {marker}"}, headers=agent), 201)
    group = ok(client.post("/api/v1/agent-groups", json={"name": "First line"}, headers=desk_manager), 201)
    article = ok(client.post("/api/v1/kb/articles", json={"title": "Printers", "body": "Switch it off and on."},
                             headers=agent), 201)
    return {
        "ids": {"ticket_id": [ticket["id"]], "visit_id": [visit["id"]], "solution_id": [solution["id"]],
                "customer_id": [customer_id], "group_id": [group["id"]], "article_id": [article["id"]],
                "secret": [marker],
                "number": [ticket["number"]]},
        "secrets": {"ticket": ticket["id"], "number": ticket["number"], "marker": marker},
    }


# -- the walks ---------------------------------------------------------------------------------------------------


def secrets_in(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value in text]


def reading_leaks(client, world: dict, viewer_id: str, viewer: dict) -> list[str]:
    """What `viewer` learns of A's tickets through every read: OWNED paths that answer, lists that show them."""
    leaks = []
    ids = {**world["ids"], "viewer_id": [viewer_id]}
    for (method, path), rule in sorted(MATRIX.items()):
        if rule.kind == OWNED and method == "GET":
            for url in filled(path, ids):
                response = client.get(url, headers=viewer)
                if response.status_code != 404 and code_of(response) != "role_not_allowed":
                    leaks.append(f"GET {url} answered {response.status_code}")
        elif rule.kind == LISTING:
            for url in filled(path, ids):
                base = filled(rule.query, ids)[0]
                for query in [base] + [{**base, **filled({k: v}, ids)[0]} for k, v in FILTERS.items()]:
                    response = client.get(url, headers=viewer, query_string=query)
                    assert response.status_code < 500, (method, url, query, response.data[:300])
                    answered = response.status_code == 200 or code_of(response) == "role_not_allowed"
                    assert query is not base or answered, (
                        f"{method} {path}: MATRIX's query gets {response.status_code}, so it proves nothing")
                    found = secrets_in(response.get_data(as_text=True), world["secrets"])
                    if found:
                        leaks.append(f"{method} {url}?{query} shows A's {', '.join(found)}")
    return leaks


def as_the_agent_sees_it(client, world: dict, agent: dict) -> dict:
    """Every OWNED read of A's ticket as the agent sees it: what a refused write must leave as it was."""
    seen = {}
    for (method, path), rule in sorted(MATRIX.items()):
        if method == "GET" and rule.kind == OWNED:
            for url in filled(path, world["ids"]):
                response = client.get(url, headers=agent)
                seen[url] = (response.status_code, response.json)
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
    """Every write naming A's ticket or customer tried as `viewer`, with the current version: what was not refused."""
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


def outbox_size(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(outbox)).scalar_one()


# -- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["rep-b", "manager-b"])
def test_another_rep_and_another_teams_manager_read_nothing_of_reps_customers_tickets(client, world, people,
                                                                                      outsider):
    none_of(reading_leaks(client, world, outsider, people[outsider]), "read", outsider)


@pytest.mark.parametrize("outsider", ["rep-b", "manager-b"])
def test_their_writes_on_reps_customers_tickets_are_refused_and_change_nothing(client, world, people, outsider,
                                                                               uow_factory):
    before, events = as_the_agent_sees_it(client, world, people["agent"]), outbox_size(uow_factory)
    volatile = volatile_fields(before, as_the_agent_sees_it(client, world, people["agent"]))
    none_of(writes_answered(client, world, outsider, people[outsider]), "write", outsider)
    assert without(as_the_agent_sees_it(client, world, people["agent"]), volatile) == without(before, volatile)
    assert outbox_size(uow_factory) == events


def test_the_owning_rep_reads_the_ticket_and_its_thread_without_internal_notes_leaking_to_customers(
        client, world, people):
    """A's own reads answer (so the 404s above are about who asks), and the public view never shows the note."""
    ticket_id = world["ids"]["ticket_id"][0]
    for suffix in ("", "/messages", "/history", "/return-visits", "/solutions"):
        assert client.get(f"/api/v1/tickets/{ticket_id}{suffix}", headers=people["rep-a"]).status_code == 200


def test_a_customer_reads_only_their_own_request_with_its_key_and_never_an_internal_note(client, people):
    def submit(name: str) -> dict:
        return ok(client.post("/api/v1/public/requests", json={
            "name": name, "email": f"{name}@example.com", "subject": f"Request of {name}",
            "description": f"Details of {name}"}), 202)

    mine, theirs = submit("alice"), submit("bob")
    [ticket] = ok(client.get("/api/v1/tickets", query_string={"q": theirs["number"]}, headers=people["agent"]))[
        "items"]
    url = f"/api/v1/tickets/{ticket['id']}"
    marker = uuid.uuid4().hex
    ok(client.post(f"{url}/notes", json={"body": f"Internal {marker}"}, headers=versioned(client, url,
                                                                                         people["agent"])), 201)
    ok(client.post(f"{url}/replies", json={"body": f"Public {marker}"}, headers=versioned(client, url,
                                                                                         people["agent"])), 201)
    own_view = client.get(f"/api/v1/public/requests/{theirs['number']}", query_string={"token": theirs["access_token"]})
    assert own_view.status_code == 200 and f"Public {marker}" in own_view.get_data(as_text=True)
    assert f"Internal {marker}" not in own_view.get_data(as_text=True)
    for method, suffix, body in (("get", "", None), ("post", "/replies", {"body": "hi"}),
                                 ("put", "/satisfaction", {"rating": 1})):
        kwargs = {"json": body} if body is not None else {}
        for token in (mine["access_token"], "", "x" * 43):
            answer = getattr(client, method)(f"/api/v1/public/requests/{theirs['number']}{suffix}",
                                             query_string={"token": token}, **kwargs)
            assert answer.status_code in (404, 422) and in_error_shape(answer), (suffix, token, answer.json)
            assert "bob" not in answer.get_data(as_text=True) and marker not in answer.get_data(as_text=True)


def test_fields_a_rep_may_not_set_are_refused_or_have_no_effect(client, world, people):
    """A rep opens a ticket for their own customer; status, assignee and the rest stay the desk's to set."""
    customer_id, rep_a = world["ids"]["customer_id"][0], people["rep-a"]
    for extra in ({"status": "closed"}, {"assignee_id": "rep-a"}, {"group_id": "x"}, {"customer_level": "vip"}):
        opened = client.post("/api/v1/tickets", headers=rep_a,
                             json={"customer_id": customer_id, "subject": "Printer jammed", **extra})
        if opened.status_code == 201:
            assert (opened.json["status"], opened.json.get("assignee_id")) == ("new", None), (extra, opened.json)
        else:
            assert opened.status_code == 422 and in_error_shape(opened), (extra, opened.json)
    url = f"/api/v1/tickets/{world['ids']['ticket_id'][0]}"
    before = ok(client.get(url, headers=people["agent"]))
    for method, suffix, body in (("patch", "", {"subject": "Mine now"}), ("post", "/transitions", {"status": "open"}),
                                 ("put", "/assignment", {"assignee_id": "rep-a", "group_id": None}),
                                 ("put", "/customer", {"customer_id": customer_id}),
                                 ("put", "/satisfaction", {"rating": 5})):
        response = getattr(client, method)(f"{url}{suffix}", json=body, headers=versioned(client, url, rep_a))
        assert response.status_code == 403 and code_of(response) == "role_not_allowed", (suffix, response.json)
        assert in_error_shape(response)
    assert ok(client.get(url, headers=people["agent"])) == before


def test_the_walk_names_the_leaking_paths_once_reps_may_see_every_ticket(client, world, people, monkeypatch):
    """The positive control: with the visibility check granting everything, the walk reports A's ticket."""
    original = desk_service.visible_ticket
    monkeypatch.setattr(desk_service, "visible_ticket",
                        lambda uow, ticket_id, viewer: uow.tickets.get(ticket_id) or original(uow, ticket_id, viewer))
    leaks = reading_leaks(client, world, "rep-b", people["rep-b"])
    ticket_id = world["ids"]["ticket_id"][0]
    assert f"GET /api/v1/tickets/{ticket_id} answered 200" in leaks
    assert f"GET /api/v1/tickets/{ticket_id}/messages answered 200" in leaks
