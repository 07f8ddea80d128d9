"""Working a ticket through the API: versioned edits, transitions, assignment, replies and notes, history, rating."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from crm_shared.envelope import utc_now
from service_desk.db import ticket_history, ticket_messages, tickets


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


@pytest.fixture
def counts(row_counts, uow_factory):
    """Row counts including the history and the thread, to show that a refused change wrote nothing."""
    def count():
        with uow_factory() as uow:
            extra = {t.name: uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (ticket_history, ticket_messages)}
        return {**row_counts(), **extra}

    return count


@pytest.fixture
def ticket(client, agent, customer_created) -> dict:
    customer_id = customer_created(owner_id="rep-1")
    response = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Export fails"},
                           headers=agent)
    assert response.status_code == 201, response.json
    return response.json


def versioned(headers: dict, version: int) -> dict:
    return {**headers, "If-Match": f'"{version}"'}


def move(client, headers, ticket, status, **body):
    return client.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"status": status, **body},
                       headers=versioned(headers, ticket["version"]))


def history(client, headers, ticket) -> list[dict]:
    response = client.get(f"/api/v1/tickets/{ticket['id']}/history", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_a_ticket_moves_through_its_lifecycle_and_each_move_is_in_the_history_and_published(
    client, agent, ticket, published
):
    current = ticket
    for status in ("open", "pending_customer", "on_hold", "resolved", "reopened", "resolved", "closed"):
        response = move(client, agent, current, status, resolution="Fixed in 4.2" if status == "closed" else None)
        assert response.status_code == 200, response.json
        assert response.headers["ETag"] == f'"{response.json["version"]}"'
        current = response.json
        assert current["status"] == status
    assert (current["closed_by"], current["resolution"]) == ("agent-1", "Fixed in 4.2")
    rows = history(client, agent, ticket)
    assert [(r["seq"], r["kind"], r["from_status"], r["to_status"]) for r in rows] == [
        (1, "opened", None, "new"), (2, "status_changed", "new", "open"),
        (3, "status_changed", "open", "pending_customer"), (4, "status_changed", "pending_customer", "on_hold"),
        (5, "status_changed", "on_hold", "resolved"), (6, "reopened", "resolved", "reopened"),
        (7, "status_changed", "reopened", "resolved"), (8, "status_changed", "resolved", "closed")]
    assert all(r["actor_id"] == "agent-1" and r["rule_id"] is None for r in rows)
    names = [e["name"] for e in published()]
    assert names.count("service_desk.ticket.status_changed.v1") == 7
    assert names.count("service_desk.ticket.reopened.v1") == 1
    assert names[-1] == "service_desk.ticket.closed.v1"


def test_an_illegal_move_is_409_naming_the_rule_and_changes_nothing(client, agent, ticket, counts):
    closed = client.post(f"/api/v1/tickets/{ticket['id']}/close", json={}, headers=agent).json
    before = counts()
    body = assert_error(move(client, agent, closed, "open"), 409, "status_transition_not_allowed")
    assert body["errors"] == {"from": "closed", "to": "open", "allowed": ["reopened"]}
    assert_error(move(client, agent, closed, "pending_customer"), 409, "status_transition_not_allowed")
    assert counts() == before


def test_versioned_writes_need_the_etag_and_refuse_a_stale_one(client, agent, ticket, counts):
    path = f"/api/v1/tickets/{ticket['id']}"
    before = counts()
    assert_error(client.patch(path, json={"priority": "high"}, headers=agent), 428, "precondition_required")
    assert_error(client.post(f"{path}/transitions", json={"status": "open"}, headers=agent), 428)
    assert_error(client.put(f"{path}/assignment", json={"assignee_id": "agent-2", "group_id": None}, headers=agent), 428)
    assert counts() == before
    edited = client.patch(path, json={"priority": "high"}, headers=versioned(agent, 1))
    assert edited.status_code == 200 and edited.json["version"] == 2
    stale = assert_error(client.patch(path, json={"priority": "low"}, headers=versioned(agent, 1)), 412,
                         "version_mismatch")
    assert stale["errors"] == {"current_version": 2}
    assert client.get(path, headers=agent).json["priority"] == "high"


def test_fields_and_assignment_changes_record_one_history_row_each(client, agent, ticket, published):
    path = f"/api/v1/tickets/{ticket['id']}"
    edited = client.patch(path, json={"priority": "urgent", "category": "billing", "tags": ["vip", "export"]},
                          headers=versioned(agent, 1)).json
    assert (edited["priority"], edited["category"], edited["tags"]) == ("urgent", "billing", ["vip", "export"])
    assigned = client.put(f"{path}/assignment", json={"assignee_id": "agent-2", "group_id": "group-1"},
                          headers=versioned(agent, edited["version"]))
    assert assigned.status_code == 200 and (assigned.json["assignee_id"], assigned.json["group_id"]) == (
        "agent-2", "group-1")
    rows = history(client, agent, ticket)
    assert [(r["kind"], r["field"], r["old_value"], r["new_value"]) for r in rows[1:]] == [
        ("priority_changed", "priority", "normal", "urgent"), ("category_changed", "category", None, "billing"),
        ("tags_changed", "tags", [], ["vip", "export"]),
        ("assigned", "assignee", {"assignee_id": None, "group_id": None},
         {"assignee_id": "agent-2", "group_id": "group-1"})]
    names = [e["name"] for e in published()]
    assert names[-2:] == ["service_desk.ticket.updated.v1", "service_desk.ticket.assigned.v1"]
    assert client.get("/api/v1/tickets?assignee_id=agent-2&tag=vip", headers=agent).json["total"] == 1
    assert client.get("/api/v1/tickets?tag=vi", headers=agent).json["total"] == 0
    assert client.get("/api/v1/tickets?assignee_id=agent-2&category=billing", headers=agent).json["total"] == 1
    assert client.get("/api/v1/tickets?unassigned=true", headers=agent).json["total"] == 0


@pytest.mark.parametrize("body, field", [
    ({"priority": "critical"}, "priority"), ({"category": "Not A Slug!"}, "category"), ({"tags": ["x" * 41]}, "tags"),
    ({"tags": [f"t{n}" for n in range(21)]}, "tags"), ({"subject": "  "}, "subject"), ({"status": "open"}, "status"),
])
def test_an_invalid_edit_is_422_and_writes_nothing(client, agent, ticket, counts, body, field):
    before = counts()
    response = client.patch(f"/api/v1/tickets/{ticket['id']}", json=body, headers=versioned(agent, 1))
    assert field in assert_error(response, 422)["errors"]
    assert counts() == before


def test_replies_and_notes_make_the_thread_and_the_first_reply_opens_the_ticket(client, agent, ticket, published):
    path = f"/api/v1/tickets/{ticket['id']}"
    reply = client.post(f"{path}/replies", json={"body": "We are looking into it."}, headers=agent)
    assert reply.status_code == 201, reply.json
    assert (reply.json["kind"], reply.json["public"], reply.json["author_kind"]) == ("public_reply", True, "agent")
    note = client.post(f"{path}/notes", json={"body": "Customer runs 4.1"}, headers=agent)
    assert note.status_code == 201 and (note.json["kind"], note.json["public"]) == ("internal_note", False)
    thread = client.get(f"{path}/messages", headers=agent).json["items"]
    assert [m["kind"] for m in thread] == ["public_reply", "internal_note"]
    now = client.get(path, headers=agent).json
    assert now["status"] == "open" and now["first_replied_at"]
    assert [r["kind"] for r in history(client, agent, ticket)] == ["opened", "public_reply", "status_changed",
                                                                   "internal_note"]
    replied = [e for e in published() if e["name"] == "service_desk.ticket.replied.v1"]
    assert len(replied) == 1 and replied[0]["payload"]["message_id"] == reply.json["id"]
    # The events name the customer's owner, so the gateway shows them live to that rep and their managers.
    moved = [e for e in published() if e["name"] == "service_desk.ticket.status_changed.v1"]
    assert {e["payload"]["customer_owner_id"] for e in replied + moved} == {"rep-1"}
    for body in ({"body": ""}, {"body": "   "}, {"body": "x" * 10_001}, {}, {"body": "ok", "public": False}):
        assert_error(client.post(f"{path}/notes", json=body, headers=agent), 422)


def test_a_rep_reads_their_customers_ticket_and_its_thread_but_not_another_reps(client, agent, headers,
                                                                                 customer_created):
    mine = client.post("/api/v1/tickets", json={"customer_id": customer_created(owner_id="rep-1"), "subject": "A"},
                       headers=agent).json
    theirs = client.post("/api/v1/tickets", json={"customer_id": customer_created(owner_id="rep-2"), "subject": "B"},
                         headers=agent).json
    rep1 = headers("rep-1", "sales_rep")
    for suffix in ("", "/history", "/messages", "/return-visits"):
        assert client.get(f"/api/v1/tickets/{mine['id']}{suffix}", headers=rep1).status_code == 200, suffix
        assert_error(client.get(f"/api/v1/tickets/{theirs['id']}{suffix}", headers=rep1), 404, "not_found")
    # A rep reads but does not work tickets.
    assert_error(client.post(f"/api/v1/tickets/{mine['id']}/replies", json={"body": "hi"}, headers=rep1), 403)
    assert_error(client.patch(f"/api/v1/tickets/{mine['id']}", json={"priority": "low"},
                              headers=versioned(rep1, 1)), 403)


def test_satisfaction_is_recorded_once_after_resolution(client, agent, ticket, published, counts):
    path = f"/api/v1/tickets/{ticket['id']}/satisfaction"
    assert_error(client.put(path, json={"rating": 5}, headers=agent), 409, "ticket_not_resolved")
    client.post(f"/api/v1/tickets/{ticket['id']}/close", json={}, headers=agent)
    for bad in ({"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": 4.5}, {}, {"rating": 3, "comment": "x" * 2001}):
        assert_error(client.put(path, json=bad, headers=agent), 422)
    rated = client.put(path, json={"rating": 4, "comment": "Quick fix"}, headers=agent)
    assert rated.status_code == 200, rated.json
    assert rated.json["satisfaction"]["rating"] == 4 and rated.json["satisfaction"]["by_customer"] is False
    before = counts()
    assert_error(client.put(path, json={"rating": 1}, headers=agent), 409, "ticket_already_rated")
    assert counts() == before
    assert published()[-1]["name"] == "service_desk.ticket.rated.v1"


def test_return_visits_are_scheduled_after_resolution_listed_when_due_and_completed_once(
    client, agent, headers, ticket, published
):
    visits = f"/api/v1/tickets/{ticket['id']}/return-visits"
    plan = {"due_at": "2026-01-05T02:00:00+08:00", "assignee_id": "agent-2", "note": "Ask about the export"}
    assert_error(client.post(visits, json=plan, headers=agent), 409, "ticket_not_resolved")
    client.post(f"/api/v1/tickets/{ticket['id']}/close", json={}, headers=agent)
    assert_error(client.post(visits, json={**plan, "due_at": "2026-01-05T02:00:00"}, headers=agent), 422)
    assert_error(client.post(visits, json=plan, headers=headers("rep-1", "sales_rep")), 403)
    scheduled = client.post(visits, json=plan, headers=agent)
    assert scheduled.status_code == 201, scheduled.json
    visit = scheduled.json
    assert (visit["status"], visit["assignee_id"], visit["ticket_number"]) == ("scheduled", "agent-2", ticket["number"])
    later = client.post(visits, json={**plan, "due_at": "2099-01-01T00:00:00Z"}, headers=agent).json
    due = client.get("/api/v1/return-visits?status=scheduled&due_before=2026-06-01T00:00:00Z",
                     headers=headers("agent-2", "service_agent")).json
    assert [v["id"] for v in due["items"]] == [visit["id"]]
    mine = client.get("/api/v1/return-visits?assignee_id=me", headers=headers("agent-2", "service_agent")).json
    assert {v["id"] for v in mine["items"]} == {visit["id"], later["id"]}
    done = client.post(f"/api/v1/return-visits/{visit['id']}/complete", json={"outcome": "satisfied"},
                       headers=headers("agent-2", "service_agent"))
    assert done.status_code == 200 and (done.json["status"], done.json["outcome"]) == ("completed", "satisfied")
    assert_error(client.post(f"/api/v1/return-visits/{visit['id']}/complete", json={"outcome": "reached"},
                             headers=agent), 409, "return_visit_completed")
    assert_error(client.post(f"/api/v1/return-visits/{uuid.uuid4()}/complete", json={"outcome": "reached"},
                             headers=agent), 404)
    assert_error(client.post(f"/api/v1/return-visits/{later['id']}/complete", json={"outcome": "fine"},
                             headers=agent), 422)
    kinds = [r["kind"] for r in history(client, agent, ticket)]
    assert kinds[-3:] == ["return_visit_scheduled", "return_visit_scheduled", "return_visit_completed"]
    names = [e["name"] for e in published()]
    assert names.count("service_desk.return_visit.scheduled.v1") == 2
    assert names[-1] == "service_desk.return_visit.completed.v1"


def test_history_rows_commit_with_their_change_or_not_at_all(ticket, uow_factory, counts):
    with uow_factory() as uow:
        uow.tickets.get(ticket["id"]).change_status("open", "agent-1", utc_now())
        uow.commit()
        assert [e.kind for e in uow.ticket_history.of(ticket["id"])] == ["opened", "status_changed"]
    before = counts()
    with uow_factory() as uow:
        lost = uow.tickets.get(ticket["id"])
        # Another writer commits first (its UPDATE is played here, in the same transaction, so SQLite can run it).
        uow.session.execute(update(tickets).where(tickets.c.id == ticket["id"]).values(version=tickets.c.version + 1))
        lost.change_status("on_hold", "agent-1", utc_now())
        with pytest.raises(StaleDataError):
            uow.commit()
    assert counts() == before
    with uow_factory() as uow:
        assert [e.kind for e in uow.ticket_history.of(ticket["id"])] == ["opened", "status_changed"]
        assert (uow.tickets.get(ticket["id"]).status, uow.tickets.get(ticket["id"]).version) == ("open", 2)
