"""Workflow rules assigning tickets within a group (round robin, least loaded, skills-based), escalation levels and
the assignment timeout, on a real, migrated database through the API and the worker's jobs."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.testing import contract, contract_with
from service_desk import sla_service
from service_desk.assignment_service import choose_agent
from service_desk.sla_schemas import PolicyInputSchema
from service_desk.workflow_jobs import hand_back_untouched, run_scheduled_rules


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
def desk(client, manager, register, customer_created, headers, agent):
    """Groups, rules and tickets through the API, as a service manager and an agent would make them."""

    class Desk:
        customer_id = customer_created()

        def agents(self, *names: str) -> list[str]:
            return [register(name, "service_agent") for name in names]

        def group(self, members, **fields) -> str:
            response = client.post("/api/v1/agent-groups", headers=manager,
                                   json={"name": f"Group {uuid.uuid4().hex[:8]}", "member_ids": members, **fields})
            assert response.status_code == 201, response.json
            return response.json["id"]

        def rule(self, trigger: str, actions: list, conditions: dict | None = None, **fields) -> str:
            response = client.post("/api/v1/workflow-rules", headers=manager, json={
                "name": f"Rule {uuid.uuid4().hex[:8]}", "trigger": trigger, "conditions": conditions or {},
                "actions": actions, **fields})
            assert response.status_code == 201, response.json
            return response.json["id"]

        def ticket(self, **fields) -> dict:
            response = client.post("/api/v1/tickets", headers=agent,
                                   json={"customer_id": self.customer_id, "subject": "Printer on fire", **fields})
            assert response.status_code == 201, response.json
            return response.json

        def read(self, ticket_id: str) -> dict:
            return client.get(f"/api/v1/tickets/{ticket_id}", headers=agent).json

        def history(self, ticket_id: str, kind: str | None = None) -> list[dict]:
            items = client.get(f"/api/v1/tickets/{ticket_id}/history", headers=agent).json["items"]
            return [item for item in items if kind is None or item["kind"] == kind]

        def availability(self, agent_id: str, availability: str) -> None:
            response = client.put(f"/api/v1/agents/{agent_id}/availability", json={"availability": availability},
                                  headers=headers(agent_id, "service_agent"))
            assert response.status_code == 200, response.json

        def profile(self, agent_id: str, **fields) -> None:
            version = client.get(f"/api/v1/agents/{agent_id}", headers=manager).json["version"]
            response = client.patch(f"/api/v1/agents/{agent_id}", json=fields,
                                    headers={**manager, "If-Match": f'"{version}"'})
            assert response.status_code == 200, response.json

        def assign(self, ticket_id: str, assignee_id: str | None, group_id: str | None) -> None:
            version = self.read(ticket_id)["version"]
            response = client.put(f"/api/v1/tickets/{ticket_id}/assignment",
                                  json={"assignee_id": assignee_id, "group_id": group_id},
                                  headers={**agent, "If-Match": f'"{version}"'})
            assert response.status_code == 200, response.json

    return Desk()


def assign_to(group_id: str, **options) -> list[dict]:
    return [{"type": "assign_group", "group_id": group_id, **options}]


def test_round_robin_hands_tickets_to_the_group_members_in_turn(desk):
    members = desk.agents("amy", "bob", "cai")
    group_id = desk.group(members, assignment_method="round_robin")
    desk.rule("on_create", assign_to(group_id))
    assignees = [desk.ticket()["assignee_id"] for _ in range(4)]
    assert assignees == ["amy", "bob", "cai", "amy"]


def test_each_assignment_made_by_a_rule_is_in_the_history_with_the_rule_id(desk):
    group_id = desk.group(desk.agents("amy"))
    rule_id = desk.rule("on_create", assign_to(group_id))
    ticket = desk.ticket()
    [assigned] = desk.history(ticket["id"], "assigned")
    assert assigned["rule_id"] == rule_id
    assert assigned["new_value"] == {"assignee_id": "amy", "group_id": group_id}
    assert [row["rule_id"] for row in desk.history(ticket["id"], "opened")] == [None]


def test_least_loaded_gives_the_ticket_to_the_agent_with_the_fewest_open_tickets(desk):
    group_id = desk.group(desk.agents("amy", "bob"), assignment_method="least_loaded")
    for _ in range(2):
        desk.assign(desk.ticket()["id"], "amy", group_id)
    desk.rule("on_create", assign_to(group_id))
    # Round robin would alternate; least loaded keeps feeding bob until he holds as many as amy.
    assert [desk.ticket()["assignee_id"] for _ in range(2)] == ["bob", "bob"]


def test_a_resolved_ticket_no_longer_counts_in_its_assignees_load(desk, client, agent):
    group_id = desk.group(desk.agents("amy", "bob"), assignment_method="least_loaded")
    ticket = desk.ticket()
    desk.assign(ticket["id"], "amy", group_id)
    version = desk.read(ticket["id"])["version"]
    response = client.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"status": "resolved"},
                           headers={**agent, "If-Match": f'"{version}"'})
    assert response.status_code == 200, response.json
    desk.rule("on_create", assign_to(group_id))
    assert desk.ticket()["assignee_id"] == "amy"  # both hold 0 open: rotation starts at the first id


def test_skills_based_assignment_picks_an_agent_with_the_categorys_skills(desk, client, manager):
    desk.agents("amy", "bob")
    desk.profile("amy", skills={"billing": 1})
    desk.profile("bob", skills={"billing": 4, "german": 2})
    response = client.put("/api/v1/skill-requirements/billing", json={"skills": [["billing", 3]]}, headers=manager)
    assert response.status_code == 200, response.json
    group_id = desk.group(["amy", "bob"], assignment_method="skills_based")
    desk.rule("on_create", assign_to(group_id))
    assert desk.ticket(category="billing")["assignee_id"] == "bob"
    # A rule may name the skills itself, whatever the category says.
    german = desk.group(["amy", "bob"], assignment_method="round_robin")
    desk.rule("on_create", assign_to(german, method="skills_based", required_skills=[["german", 1]]),
              conditions={"field": "category", "op": "eq", "value": "german"}, position=0, stop_after_match=True)
    assert desk.ticket(category="german")["assignee_id"] == "bob"


def test_skills_are_relaxed_for_a_ticket_that_has_waited(desk, uow_factory, published):
    desk.agents("amy")
    desk.profile("amy", skills={"billing": 1})
    group_id = desk.group(["amy"], assignment_method="skills_based", relax_after_minutes=30)
    desk.rule("on_create", assign_to(group_id, required_skills=[["billing", 3]]))
    ticket = desk.ticket(category="billing")
    assert (ticket["assignee_id"], ticket["group_id"]) == (None, group_id)  # queued in the group: nobody has billing 3
    retry = desk.rule("on_schedule", assign_to(group_id, required_skills=[["billing", 3]]), interval_minutes=5,
                      conditions={"all": [{"field": "group_id", "op": "eq", "value": group_id},
                                          {"field": "assignee_id", "op": "is_empty"}]})
    # After 30 minutes the requirement is billing 2: still nobody.
    assert run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=31)) == 1
    assert desk.read(ticket["id"])["assignee_id"] is None
    # After an hour it is billing 1, and amy has that.
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=61))
    assert desk.read(ticket["id"])["assignee_id"] == "amy"
    assert desk.history(ticket["id"], "assigned")[-1]["rule_id"] == retry


def test_agents_away_off_duty_or_at_capacity_are_skipped(desk):
    desk.agents("amy", "bob", "cai")
    group_id = desk.group(["amy", "bob", "cai"], assignment_method="round_robin")
    desk.availability("amy", "away")
    desk.availability("bob", "off_duty")
    desk.profile("cai", capacity=1)
    desk.rule("on_create", assign_to(group_id))
    assert desk.ticket()["assignee_id"] == "cai"
    # cai is full now and the others are not on duty: the ticket waits in the group.
    waiting = desk.ticket()
    assert (waiting["assignee_id"], waiting["group_id"]) == (None, group_id)
    desk.availability("amy", "on_duty")
    assert desk.ticket()["assignee_id"] == "amy"


def test_rules_run_in_order_and_stop_after_a_match_when_told(desk):
    first = desk.group(desk.agents("amy"))
    second = desk.group(desk.agents("bob"))
    desk.rule("on_create", assign_to(first), conditions={"field": "priority", "op": "eq", "value": "urgent"},
              position=1, stop_after_match=True)
    desk.rule("on_create", assign_to(second) + [{"type": "add_tag", "tag": "routed"}], position=2)
    urgent = desk.ticket(priority="urgent")
    assert (urgent["assignee_id"], urgent["tags"]) == ("amy", [])
    normal = desk.ticket()
    assert (normal["assignee_id"], normal["tags"]) == ("bob", ["routed"])


def test_conditions_see_the_customers_level_and_channel(desk, deliver):
    assert deliver(contract_with("sales.customer.updated.v1", customer_id=desk.customer_id, level="A"))
    desk.rule("on_create", [{"type": "set_priority", "priority": "urgent"}, {"type": "add_tag", "tag": "key-account"}],
              conditions={"all": [{"field": "customer_level", "op": "eq", "value": "A"},
                                  {"field": "channel", "op": "is_not_empty"}]})
    ticket = desk.ticket(priority="low")
    assert (ticket["priority"], ticket["tags"]) == ("urgent", ["key-account"])


def escalations(published) -> list[dict]:
    return [event["payload"] for event in published() if event["name"] == "service_desk.ticket.escalated.v1"]


def notifications(published) -> list[dict]:
    return [event["payload"] for event in published() if event["name"] == "service_desk.notification.requested.v1"]


def after_an_hour(level: int, **options) -> dict:
    return {"trigger": "on_schedule", "interval_minutes": 10,
            "conditions": {"field": "hours_since_opened", "op": "gte", "value": 1},
            "actions": [{"type": "escalate", "level": level, **options}]}


def test_level_1_tells_the_assignee_once_per_cycle(desk, uow_factory, published):
    group_id = desk.group(desk.agents("amy"))
    desk.rule("on_create", assign_to(group_id))
    rule = after_an_hour(1)
    rule_id = desk.rule(rule.pop("trigger"), rule.pop("actions"), **rule)
    ticket = desk.ticket()
    assert run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=30)) == 0  # not an hour yet
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=70))
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=90))  # a later window: still once
    assert [(e["level"], e["recipients"], e["rule_id"]) for e in escalations(published)] == [(1, ["amy"], rule_id)]
    assert [n["recipients"] for n in notifications(published)] == [["amy"]]
    [row] = desk.history(ticket["id"], "escalated")
    assert (row["rule_id"], row["detail"]["level"], row["detail"]["cycle"]) == (rule_id, 1, 1)


def test_level_1_of_a_ticket_nobody_holds_goes_to_the_team_lead(desk, uow_factory, published, register):
    lead = register("lena", "service_agent")
    group_id = desk.group(desk.agents("amy"), team_lead_id=lead)
    desk.availability("amy", "off_duty")
    desk.rule("on_create", assign_to(group_id))
    rule = after_an_hour(1)
    desk.rule(rule.pop("trigger"), rule.pop("actions"), **rule)
    assert desk.ticket()["assignee_id"] is None
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=70))
    assert [(e["level"], e["recipients"]) for e in escalations(published)] == [(1, ["lena"])]


def test_level_2_tells_the_groups_team_lead_and_raises_the_priority(desk, uow_factory, published, register):
    lead = register("lena", "service_agent")
    group_id = desk.group(desk.agents("amy"), team_lead_id=lead)
    desk.rule("on_create", assign_to(group_id))
    rule = after_an_hour(2, raise_priority=True)
    rule_id = desk.rule(rule.pop("trigger"), rule.pop("actions"), **rule)
    ticket = desk.ticket(priority="normal")
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=70))
    assert [(e["level"], e["recipients"]) for e in escalations(published)] == [(2, ["lena"])]
    assert desk.read(ticket["id"])["priority"] == "high"
    [raised] = desk.history(ticket["id"], "priority_changed")
    assert (raised["old_value"], raised["new_value"], raised["rule_id"]) == ("normal", "high", rule_id)


def test_level_3_tells_the_service_managers_and_reassigns(desk, uow_factory, published, register):
    register("mona", "service_manager")
    register("max", "service_manager", "admin")
    register("sam", "sales_manager")
    group_id = desk.group(desk.agents("amy", "bob"))
    desk.rule("on_create", assign_to(group_id))
    rule = after_an_hour(3, reassign=True)
    desk.rule(rule.pop("trigger"), rule.pop("actions"), **rule)
    ticket = desk.ticket()
    assert ticket["assignee_id"] == "amy"
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=70))
    [escalated] = escalations(published)
    assert (escalated["level"], sorted(escalated["recipients"])) == (3, ["max", "mona"])
    assert desk.read(ticket["id"])["assignee_id"] == "bob"


def test_assignment_timeout_hands_back_an_untouched_ticket_to_be_assigned_to_someone_else(desk, uow_factory,
                                                                                            published):
    group_id = desk.group(desk.agents("amy", "bob"), assignment_method="least_loaded", assignment_timeout_minutes=30)
    desk.rule("on_create", assign_to(group_id))
    reassign = desk.rule("on_update", assign_to(group_id), conditions={"all": [
        {"field": "group_id", "op": "eq", "value": group_id}, {"field": "assignee_id", "op": "is_empty"}]})
    ticket = desk.ticket()
    assert ticket["assignee_id"] == "amy"
    assert hand_back_untouched(uow_factory, utc_now() + timedelta(minutes=20)) == []
    assert hand_back_untouched(uow_factory, utc_now() + timedelta(minutes=31)) == [ticket["id"]]
    # Least loaded would give it straight back to amy (she holds nothing now); she is left out this time.
    assert desk.read(ticket["id"])["assignee_id"] == "bob"
    [handed_back] = [e["payload"] for e in published() if e["name"] == "service_desk.ticket.handed_back.v1"]
    assert (handed_back["ticket_id"], handed_back["agent_id"], handed_back["group_id"]) == (ticket["id"], "amy",
                                                                                          group_id)
    assert [row["kind"] for row in desk.history(ticket["id"])][-3:] == ["assigned", "handed_back", "assigned"]
    assert desk.history(ticket["id"], "assigned")[-1]["rule_id"] == reassign


def test_a_ticket_its_assignee_answered_is_not_handed_back(desk, uow_factory, client, headers):
    group_id = desk.group(desk.agents("amy"), assignment_timeout_minutes=30)
    desk.rule("on_create", assign_to(group_id))
    ticket = desk.ticket()
    response = client.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "On it."},
                           headers=headers("amy", "service_agent"))
    assert response.status_code == 201, response.json
    assert hand_back_untouched(uow_factory, utc_now() + timedelta(minutes=31)) == []
    assert desk.read(ticket["id"])["assignee_id"] == "amy"


def test_the_event_payloads_match_their_contracts(desk, uow_factory, published):
    group_id = desk.group(desk.agents("amy", "bob"), assignment_timeout_minutes=30)
    desk.rule("on_create", assign_to(group_id))
    rule = after_an_hour(1)
    desk.rule(rule.pop("trigger"), rule.pop("actions"), **rule)
    desk.ticket()
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=70))
    hand_back_untouched(uow_factory, utc_now() + timedelta(minutes=75))
    names = ("service_desk.ticket.escalated.v1", "service_desk.notification.requested.v1",
             "service_desk.ticket.handed_back.v1")
    seen = {event["name"]: event for event in published() if event["name"] in names}
    assert set(seen) == set(names)
    for name, event in seen.items():
        assert set(event["payload"]) == set(contract(name).payload), name
    # The ticket's events name the customer's owner (from the replica), so the owning rep sees them live.
    owner = contract("sales.customer.created.v1").payload["owner_id"]
    assert [seen[name]["payload"]["customer_owner_id"] for name in names if name != names[1]] == [owner, owner]


@pytest.mark.integration
def test_a_scheduled_rule_runs_once_even_with_two_workers_at_once(postgresql_only, desk, uow_factory, published):
    desk.agents("amy")
    rule_id = desk.rule("on_schedule", [{"type": "add_tag", "tag": "stale"},
                                         {"type": "notify", "recipients": ["user:amy"]}],
                        conditions={"field": "hours_since_opened", "op": "gte", "value": 1}, interval_minutes=60)
    tickets = [desk.ticket()["id"] for _ in range(5)]
    later = utc_now() + timedelta(hours=2)
    start = threading.Barrier(2)
    results, failures = [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(run_scheduled_rules(uow_factory, later))
        except Exception as error:  # the assertion below shows it
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sum(results) == 5
    # The ticket still matches, but this window of the rule is claimed: a late third worker changes nothing.
    assert run_scheduled_rules(uow_factory, later) == 0
    for ticket_id in tickets:
        assert desk.read(ticket_id)["tags"] == ["stale"]
        assert [row["rule_id"] for row in desk.history(ticket_id, "tags_changed")] == [rule_id]
        assert len(desk.history(ticket_id, "notified")) == 1
    assert len(notifications(published)) == 5


def test_escalation_at_a_share_of_the_sla_target_and_after_the_breach(desk, uow_factory, published, register):
    policy = PolicyInputSchema().load({"name": "One hour to resolve", "targets": {
        "first_response_minutes": None, "next_response_minutes": None, "resolution_minutes": 60}})
    sla_service.create_policy(uow_factory, policy, Identity(user_id="manager-1", username="manager-1",
                                                                 roles=frozenset({"service_manager"})))
    lead = register("lena", "service_agent")
    group_id = desk.group(desk.agents("amy"), team_lead_id=lead)
    desk.rule("on_create", assign_to(group_id))
    desk.rule("on_schedule", [{"type": "escalate", "level": 1}], interval_minutes=5,
              conditions={"field": "sla.resolution.share", "op": "gte", "value": 0.75})
    desk.rule("on_schedule", [{"type": "escalate", "level": 2}], interval_minutes=5,
              conditions={"field": "sla.resolution.state", "op": "eq", "value": "breached"})
    desk.ticket()
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=30))
    assert escalations(published) == []
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=50))
    assert [(e["level"], e["recipients"]) for e in escalations(published)] == [(1, ["amy"])]
    run_scheduled_rules(uow_factory, utc_now() + timedelta(minutes=70))
    assert [(e["level"], e["recipients"]) for e in escalations(published)] == [(1, ["amy"]), (2, ["lena"])]


@pytest.mark.integration
def test_round_robin_takes_turns_when_two_assignments_overlap(postgresql_only, desk, uow_factory, app):
    group_id = desk.group(desk.agents("amy", "bob"), assignment_method="round_robin")
    first_chose, chosen, failures = threading.Event(), {}, []

    def choose(name: str, hold: bool):
        try:
            with uow_factory() as uow:
                outcome = choose_agent(uow.workflow, group_id, ticket_id=name, category=None, waited=timedelta(0))
                chosen[name] = outcome.assignee_id
                if hold:
                    first_chose.set()
                    _until_the_other_waits_or_is_done(app, chosen)
                uow.commit()
        except Exception as error:  # the assertion below shows it
            failures.append(error)

    first = threading.Thread(target=choose, args=("first", True))
    first.start()
    assert first_chose.wait(timeout=30)
    second = threading.Thread(target=choose, args=("second", False))
    second.start()
    for thread in (first, second):
        thread.join(timeout=60)
    # The group's row stays locked while the first chooses: the second reads the cursor the first moved.
    assert failures == [] and (chosen["first"], chosen["second"]) == ("amy", "bob")


def _until_the_other_waits_or_is_done(app, chosen, timeout: float = 20.0) -> None:
    """Poll until the second assignment waits on a lock, or has finished without waiting."""
    deadline = time.monotonic() + timeout
    with app.extensions["crm.engine"].connect() as connection:
        while time.monotonic() < deadline and "second" not in chosen:
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )).scalar_one()
            if waiting:
                return
            time.sleep(0.05)
