"""The agent groups, agent profiles, skill requirements and workflow rules API through the Flask test client."""
from __future__ import annotations

import pytest

from crm_shared.testing import contract_with


@pytest.fixture
def manager(headers):
    return headers("manager-1", "service_manager")


@pytest.fixture
def register(deliver):
    def registered(user_id: str, *roles: str, active: bool = True) -> str:
        assert deliver(contract_with("gateway.user.registered.v1", user_id=user_id, username=user_id,
                                     display_name=user_id.title(), roles=list(roles), team_ids=[], teams=[],
                                     active=active))
        return user_id

    return registered


def create_group(client, manager, **fields):
    return client.post("/api/v1/agent-groups", json={"name": "Billing", **fields}, headers=manager)


def test_a_service_manager_creates_a_group_of_agents_the_directory_knows(client, manager, register, agent):
    register("amy", "service_agent")
    register("lena", "service_manager")
    response = create_group(client, manager, member_ids=["amy"], team_lead_id="lena",
                            assignment_method="skills_based", relax_after_minutes=30)
    assert response.status_code == 201, response.json
    group = response.json
    assert response.headers["ETag"] == '"1"'
    assert (group["member_ids"], group["team_lead_id"], group["assignment_method"]) == (["amy"], "lena", "skills_based")
    assert client.get("/api/v1/agent-groups", headers=agent).json["items"] == [group]
    assert create_group(client, manager).json["code"] == "group_name_taken"


def test_members_must_be_active_desk_people(client, manager, register, row_counts):
    register("sally", "sales_rep")
    register("gone", "service_agent", active=False)
    before = row_counts()
    response = create_group(client, manager, member_ids=["sally", "gone", "nobody"])
    assert (response.status_code, response.json["code"]) == (422, "unknown_agent")
    assert "gone" in response.json["errors"]["member_ids"][0]
    assert row_counts() == before


def test_only_service_managers_and_admins_change_groups(client, agent, headers):
    assert create_group(client, agent).status_code == 403
    assert create_group(client, headers("rep-1", "sales_rep")).status_code == 403
    assert client.get("/api/v1/agent-groups", headers=headers("rep-1", "sales_rep")).status_code == 403


def test_a_group_is_changed_with_if_match(client, manager, register):
    register("amy", "service_agent")
    register("bob", "service_agent")
    group = create_group(client, manager, member_ids=["amy"]).json
    url = f"/api/v1/agent-groups/{group['id']}"
    assert client.patch(url, json={"member_ids": ["bob"]}, headers=manager).status_code == 428
    changed = client.patch(url, json={"member_ids": ["amy", "bob"]}, headers={**manager, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json["member_ids"] == ["amy", "bob"]
    stale = client.patch(url, json={"name": "Other"}, headers={**manager, "If-Match": '"1"'})
    assert (stale.status_code, stale.json["code"]) == (412, "version_mismatch")
    assert client.delete(url, headers={**manager, "If-Match": '"2"'}).status_code == 204


def test_a_group_a_rule_assigns_to_cannot_be_removed(client, manager):
    group = create_group(client, manager).json
    client.post("/api/v1/workflow-rules", headers=manager, json={
        "name": "To billing", "trigger": "on_create", "actions": [{"type": "assign_group", "group_id": group["id"]}]})
    response = client.delete(f"/api/v1/agent-groups/{group['id']}", headers={**manager, "If-Match": '"1"'})
    assert (response.status_code, response.json["code"]) == (409, "group_in_use")
    assert response.json["errors"] == {"rules": ["To billing"]}


def test_an_agent_sets_their_own_availability_but_not_anothers(client, register, headers, manager):
    register("amy", "service_agent")
    register("bob", "service_agent")
    amy = headers("amy", "service_agent")
    response = client.put("/api/v1/agents/amy/availability", json={"availability": "away"}, headers=amy)
    assert response.status_code == 200, response.json
    assert (response.json["availability"], response.json["availability_changed_by"]) == ("away", "amy")
    assert client.put("/api/v1/agents/bob/availability", json={"availability": "away"}, headers=amy).status_code == 403
    by_manager = client.put("/api/v1/agents/bob/availability", json={"availability": "off_duty"}, headers=manager)
    assert by_manager.json["availability"] == "off_duty"
    bad = client.put("/api/v1/agents/amy/availability", json={"availability": "asleep"}, headers=amy)
    assert bad.status_code == 422


def test_a_manager_sets_skills_and_capacity(client, register, manager, agent):
    register("amy", "service_agent")
    assert client.get("/api/v1/agents/amy", headers=agent).json["version"] == 0
    response = client.patch("/api/v1/agents/amy", json={"skills": {"billing": 3}, "capacity": 5},
                            headers={**manager, "If-Match": '"0"'})
    assert response.status_code == 200, response.json
    assert (response.json["skills"], response.json["capacity"], response.json["version"]) == ({"billing": 3}, 5, 1)
    bad_level = client.patch("/api/v1/agents/amy", json={"skills": {"billing": 6}},
                             headers={**manager, "If-Match": '"1"'})
    assert bad_level.status_code == 422
    assert client.patch("/api/v1/agents/amy", json={"capacity": 1}, headers={**agent, "If-Match": '"1"'}).status_code == 403
    [listed] = client.get("/api/v1/agents", headers=agent).json["items"]
    assert (listed["user_id"], listed["availability"], listed["open_tickets"]) == ("amy", "on_duty", 0)


def test_skill_requirements_are_pairs_in_order_of_importance(client, manager):
    ok = client.put("/api/v1/skill-requirements/billing", json={"skills": [["german", 3], ["billing", 2]]},
                    headers=manager)
    assert ok.status_code == 200, ok.json
    assert client.get("/api/v1/skill-requirements", headers=manager).json["items"] == [
        {"category": "billing", "skills": [["german", 3], ["billing", 2]]}]
    assert client.put("/api/v1/skill-requirements/billing", json={"skills": {"german": 3}},
                      headers=manager).status_code == 422


def rule(**fields):
    return {"name": "Urgent to billing", "trigger": "on_create",
            "conditions": {"field": "priority", "op": "eq", "value": "urgent"},
            "actions": [{"type": "set_priority", "priority": "high"}], **fields}


def test_a_rule_document_with_problems_is_refused_with_each_place_named(client, manager):
    response = client.post("/api/v1/workflow-rules", headers=manager, json=rule(
        conditions={"any": [{"field": "priority", "op": "between", "value": 1}]},
        actions=[{"type": "assign_group", "group_id": "no-such-group"}]))
    assert (response.status_code, response.json["code"]) == (422, "invalid_rule")
    assert set(response.json["errors"]) == {"conditions.any.0.op"}
    unknown_group = client.post("/api/v1/workflow-rules", headers=manager,
                                json=rule(actions=[{"type": "assign_group", "group_id": "no-such-group"}]))
    assert set(unknown_group.json["errors"]) == {"actions.0.group_id"}
    not_an_agent = client.post("/api/v1/workflow-rules", headers=manager,
                               json=rule(actions=[{"type": "assign_agent", "agent_id": "nobody"}]))
    assert set(not_an_agent.json["errors"]) == {"actions.0.agent_id"}
    assert client.get("/api/v1/workflow-rules", headers=manager).json["total"] == 0


def test_rules_are_listed_in_order_and_changed_with_if_match(client, manager, agent):
    first = client.post("/api/v1/workflow-rules", headers=manager, json=rule()).json
    second = client.post("/api/v1/workflow-rules", headers=manager, json=rule(name="Tag", position=5, actions=[
        {"type": "add_tag", "tag": "seen"}])).json
    assert [r["id"] for r in client.get("/api/v1/workflow-rules", headers=manager).json["items"]] == [second["id"],
                                                                                                       first["id"]]
    url = f"/api/v1/workflow-rules/{first['id']}"
    scheduled = client.patch(url, json={"trigger": "on_schedule"}, headers={**manager, "If-Match": '"1"'})
    assert set(scheduled.json["errors"]) == {"interval_minutes"}
    changed = client.patch(url, json={"trigger": "on_schedule", "interval_minutes": 15},
                           headers={**manager, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json["interval_minutes"] == 15
    assert client.get("/api/v1/workflow-rules", headers=agent).status_code == 403
    assert client.delete(url, headers={**manager, "If-Match": '"2"'}).status_code == 204
