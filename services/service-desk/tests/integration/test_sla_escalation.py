"""SLA policies' escalation levels: fired by the SLA watch job at a share of a target or at its breach, once per
ticket, target and cycle (also with two workers at once), through the same actions as the rules' escalation."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm_shared.db import outbox
from crm_shared.envelope import parse_time
from crm_shared.testing import contract, contract_with
from service_desk.sla_service import announce_sla_crossings
from service_desk.workflow_events import TICKET_ESCALATED

OWNER = "rep-7"


@pytest.fixture
def manager(headers):
    return headers("manager-1", "service_manager")


@pytest.fixture
def register(deliver):
    """Deliver a `gateway.user.registered.v1` for a user with some roles; returns the user id."""

    def registered(user_id: str, *roles: str) -> str:
        assert deliver(contract_with("gateway.user.registered.v1", user_id=user_id, username=user_id,
                                     display_name=user_id.title(), roles=list(roles), team_ids=[], teams=[]))
        return user_id

    return registered


@pytest.fixture
def make_policy(client, manager):
    def made(levels: list[dict], **targets) -> dict:
        body = {"name": f"Policy {uuid.uuid4().hex[:8]}", "escalation_levels": levels,
                "targets": targets or {"first_response_minutes": 60, "resolution_minutes": 600}}
        response = client.post("/api/v1/sla-policies", json=body, headers=manager)
        assert response.status_code == 201, response.json
        return response.json

    return made


@pytest.fixture
def make_group(client, manager):
    def made(*members: str) -> str:
        response = client.post("/api/v1/agent-groups", headers=manager,
                               json={"name": f"Group {uuid.uuid4().hex[:8]}", "member_ids": list(members)})
        assert response.status_code == 201, response.json
        return response.json["id"]

    return made


@pytest.fixture
def open_ticket(client, agent, customer_created):
    customer_id = customer_created(owner_id=OWNER)

    def opened(assignee_id: str | None = None, group_id: str | None = None) -> tuple[str, datetime]:
        ticket = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Help"},
                             headers=agent).json
        if assignee_id or group_id:
            response = client.put(f"/api/v1/tickets/{ticket['id']}/assignment",
                                  json={"assignee_id": assignee_id, "group_id": group_id},
                                  headers={**agent, "If-Match": f'"{ticket["version"]}"'})
            assert response.status_code == 200, response.json
        return ticket["id"], parse_time(ticket["opened_at"])

    return opened


def escalations(uow_factory) -> list[dict]:
    with uow_factory() as uow:
        bodies = uow.session.scalars(select(outbox.c.body).where(outbox.c.name == TICKET_ESCALATED)
                                     .order_by(outbox.c.position))
        return [json.loads(body)["payload"] for body in bodies]


def read(client, agent, ticket_id: str) -> dict:
    return client.get(f"/api/v1/tickets/{ticket_id}", headers=agent).json


def escalated_history(client, agent, ticket_id: str) -> list[dict]:
    items = client.get(f"/api/v1/tickets/{ticket_id}/history", headers=agent).json["items"]
    return [item for item in items if item["kind"] == "escalated"]


def test_a_level_at_a_share_of_the_target_fires_once_when_the_share_is_reached(
        client, agent, register, make_policy, open_ticket, uow_factory):
    amy = register("amy", "service_agent")
    level = {"at": 50, "target": "resolution", "actions": ["notify_assignee", "raise_priority"]}
    policy = make_policy([level])
    ticket_id, opened_at = open_ticket(assignee_id=amy)
    announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=299))
    assert escalations(uow_factory) == [] and read(client, agent, ticket_id)["priority"] == "normal"
    announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=301))
    [event] = escalations(uow_factory)
    assert set(event) == set(contract(TICKET_ESCALATED).payload)
    assert (event["ticket_id"], event["policy_id"], event["sla_level"], event["level"], event["recipients"]) == (
        ticket_id, policy["id"], level, 1, [amy])
    assert (event["rule_id"], event["cycle"], event["customer_owner_id"]) == (None, 1, OWNER)
    assert read(client, agent, ticket_id)["priority"] == "high"
    [history] = escalated_history(client, agent, ticket_id)
    assert history["detail"]["policy_id"] == policy["id"] and history["detail"]["sla_level"] == level
    # Later runs find the level fired: nothing again, however often the job runs.
    for minutes in (320, 400, 700):
        announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=minutes))
    assert len(escalations(uow_factory)) == 1 and len(escalated_history(client, agent, ticket_id)) == 1
    assert read(client, agent, ticket_id)["priority"] == "high"


def test_a_breach_level_fires_at_the_breach_and_hands_the_ticket_to_another_group(
        client, agent, register, make_policy, make_group, open_ticket, uow_factory):
    amy, bob = register("amy", "service_agent"), register("bob", "service_agent")
    boss = register("boss", "service_manager")
    first_line, second_line = make_group(amy), make_group(bob)
    level = {"at": "breach", "target": "first_response",
             "actions": ["notify_manager", f"reassign_to_group:{second_line}"]}
    policy = make_policy([level])
    ticket_id, opened_at = open_ticket(assignee_id=amy, group_id=first_line)
    announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=59))
    assert escalations(uow_factory) == []
    announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=61))
    [event] = escalations(uow_factory)
    assert (event["policy_id"], event["sla_level"], event["level"], event["recipients"]) == (
        policy["id"], level, 3, [boss])
    ticket = read(client, agent, ticket_id)
    assert (ticket["group_id"], ticket["assignee_id"]) == (second_line, bob)
    announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=90))
    assert len(escalations(uow_factory)) == 1


def test_a_met_target_escalates_nothing(client, agent, make_policy, open_ticket, uow_factory):
    make_policy([{"at": "breach", "target": "first_response", "actions": ["notify_manager"]}])
    ticket_id, opened_at = open_ticket()
    assert client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "On it"},
                       headers=agent).status_code == 201
    announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=61))
    assert escalations(uow_factory) == []


def test_policy_levels_are_checked_and_a_refused_policy_changes_nothing(client, manager, make_group):
    good = {"at": 75, "target": "resolution", "actions": ["notify_team_lead"]}
    base = {"name": "Levels", "targets": {"first_response_minutes": 60}}
    refused = [
        ({"at": 0}, "escalation_levels"),
        ({"at": 1001}, "escalation_levels"),
        ({"at": 75.5}, "escalation_levels"),
        ({"at": "soon"}, "escalation_levels"),
        ({"at": True}, "escalation_levels"),
        ({"target": "next_response"}, "escalation_levels"),
        ({"actions": []}, "escalation_levels"),
        ({"actions": ["call_the_customer"]}, "escalation_levels"),
        ({"actions": ["reassign_to_group:"]}, "escalation_levels"),
        ({"colour": "red"}, "escalation_levels"),
    ]
    for change, field in refused:
        body = {**base, "targets": {"resolution_minutes": 600}, "escalation_levels": [{**good, **change}]}
        response = client.post("/api/v1/sla-policies", json=body, headers=manager)
        assert response.status_code == 422, (change, response.json)
        assert field in response.json["errors"], (change, response.json)
    whole = [
        ({**base, "escalation_levels": [good]}, "escalation_levels.0.target"),
        ({**base, "targets": {"resolution_minutes": 600},
          "escalation_levels": [good, {**good, "actions": ["notify_manager"]}]}, "escalation_levels.1.at"),
        ({**base, "targets": {"resolution_minutes": 600},
          "escalation_levels": [{**good, "actions": [f"reassign_to_group:{uuid.uuid4()}"]}]},
         "escalation_levels.0.actions"),
    ]
    for body, field in whole:
        response = client.post("/api/v1/sla-policies", json=body, headers=manager)
        assert response.status_code == 422, response.json
        assert set(response.json) == {"code", "status", "message", "errors"}
        assert field in response.json["errors"], response.json
    assert client.get("/api/v1/sla-policies", headers=manager).json["total"] == 0
    # What passes is kept as given, and an edit replaces the levels whole.
    group_id = make_group()
    levels = [good, {"at": "breach", "target": "resolution", "actions": ["raise_priority",
                                                                         f"reassign_to_group:{group_id}"]}]
    created = client.post("/api/v1/sla-policies", headers=manager, json={
        **base, "targets": {"resolution_minutes": 600}, "escalation_levels": levels})
    assert created.status_code == 201, created.json
    assert created.json["escalation_levels"] == levels
    edited = client.patch(f"/api/v1/sla-policies/{created.json['id']}", json={"escalation_levels": [good]},
                          headers={**manager, "If-Match": f'"{created.json["version"]}"'})
    assert edited.status_code == 200, edited.json
    assert client.get(f"/api/v1/sla-policies/{created.json['id']}", headers=manager).json["escalation_levels"] == [good]


@pytest.mark.integration
def test_two_workers_at_once_escalate_each_ticket_once(postgresql_only, client, agent, register, make_policy,
                                                       open_ticket, uow_factory):
    amy = register("amy", "service_agent")
    make_policy([{"at": 50, "target": "resolution", "actions": ["notify_assignee", "raise_priority"]},
                 {"at": "breach", "target": "first_response", "actions": ["notify_manager"]}])
    opened = [open_ticket(assignee_id=amy) for _ in range(4)]
    now = max(at for _, at in opened) + timedelta(minutes=301)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        barrier.wait()
        try:
            announce_sla_crossings(uow_factory, now, batch=2)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    fired = sorted((event["ticket_id"], event["sla_level"]["target"]) for event in escalations(uow_factory))
    assert fired == sorted((ticket_id, target) for ticket_id, _ in opened
                           for target in ("first_response", "resolution"))
    for ticket_id, _ in opened:
        assert len(escalated_history(client, agent, ticket_id)) == 2
        assert read(client, agent, ticket_id)["priority"] == "high"
