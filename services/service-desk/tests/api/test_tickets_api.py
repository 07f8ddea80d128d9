"""The tickets API through the Flask test client on a real, migrated database."""
from __future__ import annotations

import re
import uuid

import pytest

from crm_shared.testing import contract

SEES_ALL = ["admin", "service_agent", "service_manager"]
OPENS_FOR_ANY = ["admin", "service_agent", "service_manager"]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    assert response.json["status"] == status and response.json["message"]
    if code:
        assert response.json["code"] == code
    return response.json


def open_ticket(client, headers, customer_id, **fields):
    return client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Help", **fields}, headers=headers)


def test_an_agent_opens_a_ticket_for_a_known_customer_in_its_channel(client, agent, customer_created, published):
    customer_id = customer_created(channel="partner", owner_id="rep-1")
    response = open_ticket(client, agent, customer_id, subject="Invoice export fails", description="Since Monday.")
    assert response.status_code == 201, response.json
    ticket = response.json
    assert set(ticket) == {"id", "number", "customer_id", "contact_id", "subject", "description", "priority",
                           "category", "tags", "status", "assignee_id", "group_id", "source", "requester", "opened_by",
                           "opened_at", "updated_at", "first_replied_at", "resolved_at", "channel", "closed_at",
                           "closed_by", "resolution", "opportunity_requested_at", "opportunity_requested_by",
                           "opportunity_id", "opportunity_refusal", "satisfaction", "sla", "version"}
    assert re.fullmatch(r"SD-\d{4}-\d{6}", ticket["number"]) and response.headers["ETag"] == '"1"'
    assert (ticket["source"], ticket["tags"], ticket["requester"], ticket["satisfaction"]) == ("desk", [], None, None)
    assert (ticket["customer_id"], ticket["status"], ticket["priority"], ticket["channel"]) == (
        customer_id, "new", "normal", "partner")
    assert (ticket["opened_by"], ticket["description"], ticket["version"]) == ("agent-1", "Since Monday.", 1)
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json == ticket
    [event] = published()
    assert event["name"] == "service_desk.ticket.opened.v1"
    assert event["payload"]["ticket_id"] == ticket["id"]
    assert event["payload"]["customer_owner_id"] == "rep-1"
    assert event["payload"]["channel"] == "partner"


def test_the_ticket_opened_event_has_the_envelope_and_payload_fields_of_its_contract(
    client, agent, customer_created, published
):
    open_ticket(client, agent, customer_created(), priority="urgent")
    [event] = published()
    example = contract("service_desk.ticket.opened.v1")
    assert set(event) == set(example.to_dict())
    assert set(event["payload"]) == set(example.payload)
    assert (event["producer"], event["actor"]) == ("service_desk", "agent-1")
    assert event["payload"]["priority"] == "urgent" and event["payload"]["status"] == "new"


def test_a_ticket_for_a_customer_the_desk_does_not_know_is_refused_as_unknown_customer(
    client, agent, customer_created, row_counts
):
    customer_created()
    before = row_counts()
    body = assert_error(open_ticket(client, agent, str(uuid.uuid4())), 422, "unknown_customer")
    assert body["errors"] == {"customer_id": ["No customer with this id."]}
    assert row_counts() == before


@pytest.mark.parametrize("role", OPENS_FOR_ANY)
def test_service_roles_and_sales_managers_open_tickets_for_any_customer(client, headers, customer_created, role):
    customer_id = customer_created(owner_id="rep-1")
    assert open_ticket(client, headers("someone", role), customer_id).status_code == 201


def test_a_rep_opens_tickets_for_their_own_customers_only(client, headers, customer_created, row_counts):
    mine, theirs = customer_created(owner_id="rep-1"), customer_created(owner_id="rep-2")
    rep1 = headers("rep-1", "sales_rep")
    assert open_ticket(client, rep1, mine).status_code == 201
    before = row_counts()
    assert_error(open_ticket(client, rep1, theirs), 422, "unknown_customer")
    assert_error(open_ticket(client, headers("boss", "executive"), mine), 403, "role_not_allowed")
    assert row_counts() == before


def test_a_rep_sees_the_tickets_of_their_own_customers_and_another_reps_answer_404(
    client, agent, headers, customer_created
):
    mine, theirs = customer_created(owner_id="rep-1"), customer_created(owner_id="rep-2")
    my_ticket = open_ticket(client, agent, mine, subject="Mine").json
    their_ticket = open_ticket(client, agent, theirs, subject="Theirs").json
    rep1 = headers("rep-1", "sales_rep")
    listed = client.get("/api/v1/tickets", headers=rep1).json
    assert [t["id"] for t in listed["items"]] == [my_ticket["id"]] and listed["total"] == 1
    assert client.get(f"/api/v1/tickets/{my_ticket['id']}", headers=rep1).status_code == 200
    hidden = assert_error(client.get(f"/api/v1/tickets/{their_ticket['id']}", headers=rep1), 404, "not_found")
    missing_id = str(uuid.uuid4())
    missing = assert_error(client.get(f"/api/v1/tickets/{missing_id}", headers=rep1), 404, "not_found")
    assert hidden["message"].replace(their_ticket["id"], "<id>") == missing["message"].replace(missing_id, "<id>")
    assert client.get(f"/api/v1/tickets?customer_id={theirs}", headers=rep1).json == {"items": [], "total": 0}


def test_a_sales_manager_reads_and_opens_the_tickets_of_their_teams_customers_only(
    client, agent, tokens, customer_created, row_counts
):
    # The directory has not heard of the manager yet: their teams come from the token.
    manager = tokens.headers("boss", ["sales_manager"], "boss", teams=["east"])
    east, west = customer_created(owner_id="boss"), customer_created(owner_id="rep-9")
    own = open_ticket(client, agent, east, subject="Own customer").json
    other = open_ticket(client, agent, west, subject="Another team").json
    listed = client.get("/api/v1/tickets", headers=manager).json
    assert [t["id"] for t in listed["items"]] == [own["id"]] and listed["total"] == 1
    assert client.get(f"/api/v1/tickets/{own['id']}/history", headers=manager).status_code == 200
    assert_error(client.get(f"/api/v1/tickets/{other['id']}", headers=manager), 404, "not_found")
    assert open_ticket(client, manager, east).status_code == 201
    before = row_counts()
    assert_error(open_ticket(client, manager, west), 422, "unknown_customer")
    assert row_counts() == before


def test_executives_read_every_ticket_and_open_none(client, agent, headers, customer_created):
    customer_id = customer_created(owner_id="rep-1")
    ticket = open_ticket(client, agent, customer_id).json
    executive = headers("chief", "executive")
    assert client.get("/api/v1/tickets", headers=executive).json["total"] == 1
    assert client.get(f"/api/v1/tickets/{ticket['id']}/history", headers=executive).status_code == 200
    assert_error(open_ticket(client, executive, customer_id), 403, "role_not_allowed")


@pytest.mark.parametrize("role", SEES_ALL)
def test_the_desks_roles_see_every_ticket(client, agent, headers, customer_created, role):
    for owner in ("rep-1", "rep-2"):
        open_ticket(client, agent, customer_created(owner_id=owner))
    viewer = headers("someone", role)
    page = client.get("/api/v1/tickets", headers=viewer).json
    assert page["total"] == 2
    for ticket in page["items"]:
        assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=viewer).status_code == 200


def test_tickets_are_filtered_by_customer_and_status_and_pages_are_counted_in_full(client, agent, customer_created):
    acme, other = customer_created(), customer_created()
    for n in range(3):
        open_ticket(client, agent, acme, subject=f"Acme {n}")
    open_ticket(client, agent, other, subject="Other")
    first = client.get(f"/api/v1/tickets?customer_id={acme}&limit=2", headers=agent).json
    rest = client.get(f"/api/v1/tickets?customer_id={acme}&limit=2&offset=2", headers=agent).json
    assert first["total"] == 3 and len(first["items"]) == 2 and len(rest["items"]) == 1
    assert {t["subject"] for t in first["items"] + rest["items"]} == {"Acme 0", "Acme 1", "Acme 2"}
    assert client.get("/api/v1/tickets?status=new", headers=agent).json["total"] == 4


def test_bad_input_is_refused_with_the_error_shape_and_changes_nothing(
    client, agent, headers, customer_created, row_counts
):
    customer_id = customer_created()
    good = {"customer_id": customer_id, "subject": "Help"}
    before = row_counts()
    post = lambda body, who=agent: client.post("/api/v1/tickets", json=body, headers=who)  # noqa: E731
    refusals = [
        (client.post("/api/v1/tickets", data="{oops", content_type="application/json", headers=agent), 400, None),
        (post({**good, "colour": "red"}), 422, "colour"),
        (post({**good, "subject": 12}), 422, "subject"),
        (post({**good, "subject": ""}), 422, "subject"),
        (post({**good, "subject": "   "}), 422, "subject"),
        (post({**good, "subject": "x" * 201}), 422, "subject"),
        (post({**good, "description": "x" * 10_001}), 422, "description"),
        (post({**good, "description": ["list"]}), 422, "description"),
        (post({**good, "priority": "critical"}), 422, "priority"),
        (post({**good, "priority": None}), 422, "priority"),
        (post({**good, "customer_id": 12}), 422, "customer_id"),
        (post({**good, "customer_id": "not-a-uuid"}), 422, "customer_id"),
        (post({"customer_id": customer_id}), 422, "subject"),
        (post({**good, "customer_id": str(uuid.uuid4())}), 422, "customer_id"),
        (post(["not", "an", "object"]), 422, None),
        (post(good, headers("boss", "executive")), 403, None),
        (post(good, headers("nobody")), 403, None),
        (client.post("/api/v1/tickets", json=good), 401, None),
        (post(good, {"Authorization": "Bearer forged.token.here"}), 401, None),
        (client.get("/api/v1/tickets?status=lost", headers=agent), 400, "status"),
        (client.get("/api/v1/tickets?customer_id=12", headers=agent), 422, "customer_id"),
        (client.get("/api/v1/tickets?limit=0", headers=agent), 422, "limit"),
        (client.get("/api/v1/tickets?offset=x", headers=agent), 422, "offset"),
        (client.get("/api/v1/tickets?colour=red", headers=agent), 422, "colour"),
        (client.get(f"/api/v1/tickets/{uuid.uuid4()}", headers=agent), 404, None),
    ]
    for response, status, field in refusals:
        body = assert_error(response, status)
        if field:
            assert field in body["errors"], body
    assert row_counts() == before


def test_the_openapi_document_describes_every_endpoint(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}"} <= set(paths)
    assert {"get", "post"} <= set(paths["/api/v1/tickets"])
    assert "/api/v1/tickets/{ticket_id}/close" in paths


def test_health_and_readiness_answer_without_a_token(client):
    assert client.get("/health").json == {"status": "ok", "service": "service-desk"}
    assert client.get("/ready").json == {"status": "ready", "service": "service-desk"}


def test_an_agent_closes_a_ticket_once_and_the_close_is_published(client, agent, customer_created, published):
    customer_id = customer_created(owner_id="rep-1")
    ticket = open_ticket(client, agent, customer_id).json
    closed = client.post(f"/api/v1/tickets/{ticket['id']}/close", json={"resolution": "Fixed in 4.2"}, headers=agent)
    assert closed.status_code == 200, closed.json
    assert (closed.json["status"], closed.json["closed_by"], closed.json["resolution"]) == ("closed", "agent-1", "Fixed in 4.2")
    assert closed.json["closed_at"] and closed.json["version"] == 2
    event = published()[-1]
    assert event["name"] == "service_desk.ticket.closed.v1"
    assert set(event["payload"]) == set(contract("service_desk.ticket.closed.v1").payload)
    assert (event["payload"]["ticket_id"], event["payload"]["customer_owner_id"]) == (ticket["id"], "rep-1")
    before = len(published())
    assert_error(client.post(f"/api/v1/tickets/{ticket['id']}/close", json={}, headers=agent), 409, "ticket_closed")
    assert len(published()) == before
    assert client.get("/api/v1/tickets?status=closed", headers=agent).json["total"] == 1


def test_closing_tickets_refuses_bad_input_and_people_outside_the_desk(client, agent, headers, customer_created, row_counts):
    ticket = open_ticket(client, agent, customer_created(owner_id="rep-1")).json
    before = row_counts()
    close = lambda body, who=agent, ticket_id=ticket["id"]: client.post(  # noqa: E731
        f"/api/v1/tickets/{ticket_id}/close", json=body, headers=who)
    assert "resolution" in assert_error(close({"resolution": "x" * 2001}), 422)["errors"]
    assert "resolution" in assert_error(close({"resolution": 12}), 422)["errors"]
    assert "colour" in assert_error(close({"colour": "red"}), 422)["errors"]
    assert_error(close({}, ticket_id=str(uuid.uuid4())), 404, "not_found")
    assert_error(close({}, headers("rep-1", "sales_rep")), 403)
    assert_error(close({}, headers("boss", "sales_manager")), 403)
    assert row_counts() == before
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json["status"] == "new"
