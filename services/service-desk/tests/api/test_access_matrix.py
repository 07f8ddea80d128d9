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

import uuid

import pytest
from sqlalchemy import func, select

from crm_shared.access_matrix import (
    BODY, LISTING, OWNED, PUBLIC, ROLES, SHARED, AccessMatrix, Rule, code_of, in_error_shape, ok, versioned,
    volatile_fields, without,
)
from crm_shared.db import outbox
from service_desk import service as desk_service

EVERYONE = ROLES
DESK = ("admin", "service_agent", "service_manager")
DESK_MANAGERS = ("admin", "service_manager")
SALES = ("sales_manager", "sales_rep")

KEY = {"token": "x" * 43}
LATER = "2030-01-07T02:00:00Z"


TICKET = "/api/v1/tickets/{ticket_id}"
MATRIX = AccessMatrix({
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
}, filters={
    # Query values that narrow a list to A's things: each one is also tried on its own.
    "customer_id": "{customer_id}", "q": "{secret}", "open": "true", "assignee_id": "agent-1",
})

# Query values that narrow a list to A's customer's tickets: each one is also tried on its own.

# -- the matrix covers the document ---------------------------------------------------------------------------


def test_every_operation_of_the_openapi_document_has_an_access_rule(client):
    document = client.get("/openapi.json")
    assert document.status_code == 200
    assert MATRIX.uncovered(document.json) == [], "add each operation to MATRIX with its roles and kind"


def test_every_role_outside_an_operations_roles_is_refused_and_every_role_inside_passes(client, tokens):
    MATRIX.none_of(MATRIX.role_mismatches(client, tokens))


# -- rep A's customer and its ticket -------------------------------------------------------------------------------


def as_the_agent(client, url: str, headers: dict) -> dict:
    """`headers` with the current If-Match of what `url` writes, as the agent reads it."""
    return versioned(client, url, headers, client.application.config["access_matrix_agent"])


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
    for path, body in (("replies", f"Secret reply {marker}"), ("notes", f"Secret note {marker}")):
        ok(client.post(f"{url}/{path}", json={"body": body}, headers=as_the_agent(client, url, agent)), 201)
    ok(client.post(f"{url}/close", json={}, headers=as_the_agent(client, url, agent)))
    solution = ok(client.post(f"{url}/solutions", json={"summary": f"Secret solution {marker}"},
                              headers=as_the_agent(client, url, agent)), 201)
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


def outbox_size(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(outbox)).scalar_one()


# -- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["rep-b", "manager-b"])
def test_another_rep_and_another_teams_manager_read_nothing_of_reps_customers_tickets(client, world, people,
                                                                                      outsider):
    MATRIX.none_of(MATRIX.reading_leaks(client, world["ids"], world["secrets"], outsider, people[outsider]),
                   "read", outsider)


@pytest.mark.parametrize("outsider", ["rep-b", "manager-b"])
def test_their_writes_on_reps_customers_tickets_are_refused_and_change_nothing(client, world, people, outsider,
                                                                               uow_factory):
    agent = people["agent"]
    before, events = MATRIX.reads(client, world["ids"], agent), outbox_size(uow_factory)
    volatile = volatile_fields(before, MATRIX.reads(client, world["ids"], agent))
    answered = MATRIX.writes_answered(client, world["ids"], outsider, people[outsider],
                                      lambda url, headers: as_the_agent(client, url, headers))
    MATRIX.none_of(answered, "write", outsider)
    assert without(MATRIX.reads(client, world["ids"], agent), volatile) == without(before, volatile)
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
    for path, body in (("notes", f"Internal {marker}"), ("replies", f"Public {marker}")):
        ok(client.post(f"{url}/{path}", json={"body": body}, headers=as_the_agent(client, url, people["agent"])), 201)
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
        response = getattr(client, method)(f"{url}{suffix}", json=body, headers=as_the_agent(client, url, rep_a))
        assert response.status_code == 403 and code_of(response) == "role_not_allowed", (suffix, response.json)
        assert in_error_shape(response)
    assert ok(client.get(url, headers=people["agent"])) == before


def test_the_walk_names_the_leaking_paths_once_reps_may_see_every_ticket(client, world, people, monkeypatch):
    """The positive control: with the visibility check granting everything, the walk reports A's ticket."""
    original = desk_service.visible_ticket
    monkeypatch.setattr(desk_service, "visible_ticket",
                        lambda uow, ticket_id, viewer: uow.tickets.get(ticket_id) or original(uow, ticket_id, viewer))
    leaks = MATRIX.reading_leaks(client, world["ids"], world["secrets"], "rep-b", people["rep-b"])
    ticket_id = world["ids"]["ticket_id"][0]
    assert f"GET /api/v1/tickets/{ticket_id} answered 200" in leaks
    assert f"GET /api/v1/tickets/{ticket_id}/messages answered 200" in leaks
