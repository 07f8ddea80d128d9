"""The service desk's audit log on a real database: rows with each change and its actor, read per ticket."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm_shared.envelope import utc_now
from crm_shared.scheduler import Scheduler
from crm_shared.testing import contract_with
from service_desk.db import audit_log
from service_desk.workflow_jobs import ASSIGNMENT_TIMEOUT_JOB, jobs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]


def audit_rows(uow_factory, record_type, record_id):
    a = audit_log
    with uow_factory() as uow:
        return uow.session.execute(select(a.c.action, a.c.actor, a.c.details).where(
            a.c.record_type == record_type, a.c.record_id == record_id).order_by(a.c.id)).all()


@pytest.fixture
def manager(headers):
    return headers("manager-1", "service_manager")


@pytest.fixture
def register(deliver):
    def registered(user_id: str, *roles: str) -> str:
        assert deliver(contract_with("gateway.user.registered.v1", user_id=user_id, username=user_id,
                                     display_name=user_id.title(), roles=list(roles), team_ids=[], teams=[]))
        return user_id
    return registered


@pytest.fixture
def owner_id():
    return contract_with("sales.customer.created.v1").payload["owner_id"]


@pytest.fixture
def ticket(client, agent, customer_created):
    response = client.post("/api/v1/tickets", headers=agent,
                           json={"customer_id": customer_created(), "subject": "Printer on fire"})
    assert response.status_code == 201, response.json
    return response.json


def test_a_change_through_the_api_leaves_audit_rows_naming_the_agent_and_a_note_names_no_text(
        client, agent, ticket, uow_factory):
    response = client.post(f"/api/v1/tickets/{ticket['id']}/notes", json={"body": "Secret plan"}, headers=agent)
    assert response.status_code == 201, response.json
    rows = audit_rows(uow_factory, "ticket", ticket["id"])
    assert {actor for _, actor, _ in rows} == {"agent-1"}
    assert rows[0][0] == "service_desk.ticket.opened.v1"
    assert rows[-1][:2] == ("note_added", "agent-1") and "Secret plan" not in str(rows[-1][2])


def test_a_refused_change_leaves_no_audit_row(client, agent, ticket, uow_factory):
    before = audit_rows(uow_factory, "ticket", ticket["id"])
    response = client.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"status": "closed"},
                           headers={**agent, "If-Match": '"999"'})
    assert response.status_code in (409, 412)
    assert audit_rows(uow_factory, "ticket", ticket["id"]) == before


def test_the_trail_is_newest_first_paged_with_names_and_refused_to_a_rep_as_the_ticket_is(
        client, agent, headers, ticket, register, owner_id):
    register("agent-1", "service_agent")
    response = client.post(f"/api/v1/tickets/{ticket['id']}/notes", json={"body": "Checked"}, headers=agent)
    assert response.status_code == 201
    page = client.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=agent).json
    assert page["items"][0]["action"] == "note_added"
    assert (page["items"][0]["actor_id"], page["items"][0]["actor_name"]) == ("agent-1", "Agent-1")
    assert [i["at"] for i in page["items"]] == sorted((i["at"] for i in page["items"]), reverse=True)
    second = client.get(f"/api/v1/tickets/{ticket['id']}/audit?limit=1&offset=1", headers=agent).json
    assert second["total"] == page["total"] and second["items"] == page["items"][1:2]
    stranger = headers("rep-9", "sales_rep")
    record = client.get(f"/api/v1/tickets/{ticket['id']}", headers=stranger)
    trail = client.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=stranger)
    assert (trail.status_code, trail.json["code"]) == (record.status_code, record.json["code"]) == (404, "not_found")
    owner = headers(owner_id, "sales_rep")
    assert client.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=owner).status_code == 200


def test_a_rules_assignment_names_the_rule_and_a_timed_jobs_hand_back_names_the_job(
        client, manager, agent, register, customer_created, uow_factory, app):
    amy, bob = register("amy", "service_agent"), register("bob", "service_agent")
    group = client.post("/api/v1/agent-groups", headers=manager, json={
        "name": f"Group {uuid.uuid4().hex[:8]}", "member_ids": [amy, bob], "assignment_method": "least_loaded",
        "assignment_timeout_minutes": 30}).json["id"]
    rule = client.post("/api/v1/workflow-rules", headers=manager, json={
        "name": "Assign", "trigger": "on_create", "actions": [{"type": "assign_group", "group_id": group}]}).json["id"]
    assert audit_rows(uow_factory, "workflow_rule", rule)[0][:2] == ("created", "manager-1")
    ticket = client.post("/api/v1/tickets", headers=agent,
                         json={"customer_id": customer_created(), "subject": "Printer on fire"}).json
    assigned = [(a, actor) for a, actor, _ in audit_rows(uow_factory, "ticket", ticket["id"])
                if a == "service_desk.ticket.assigned.v1"]
    assert assigned == [("service_desk.ticket.assigned.v1", f"system:workflow_rule:{rule}")]
    timeout = [job for job in jobs(uow_factory) if job.name == ASSIGNMENT_TIMEOUT_JOB]
    assert Scheduler(app.extensions["crm.engine"], timeout).run_due(utc_now() + timedelta(minutes=31)) == [
        ASSIGNMENT_TIMEOUT_JOB]
    handed_back = [actor for a, actor, _ in audit_rows(uow_factory, "ticket", ticket["id"])
                   if a == "service_desk.ticket.handed_back.v1"]
    assert handed_back == [f"system:{ASSIGNMENT_TIMEOUT_JOB}"]
