"""Checking a workflow rule's document, and matching its conditions against a ticket's facts."""
from __future__ import annotations

import pytest

from service_desk.rules import InvalidRule, check_rule, matches

PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("new", "open", "pending_customer", "on_hold", "resolved", "closed", "reopened")


def problems(trigger="on_create", interval=None, conditions=None, actions=None) -> dict:
    with pytest.raises(InvalidRule) as refusal:
        check_rule(trigger, interval, {} if conditions is None else conditions,
                   [{"type": "add_tag", "tag": "x"}] if actions is None else actions,
                   priorities=PRIORITIES, statuses=STATUSES)
    assert refusal.value.status == 422 and refusal.value.code == "invalid_rule"
    return refusal.value.errors


def test_a_sound_rule_passes():
    check_rule("on_schedule", 15, {"all": [{"field": "priority", "op": "in", "value": ["high", "urgent"]},
                                           {"any": [{"field": "sla.resolution.share", "op": "gte", "value": 0.75},
                                                    {"field": "sla.any.state", "op": "eq", "value": "breached"}]}]},
               [{"type": "escalate", "level": 2, "raise_priority": True},
                {"type": "notify", "recipients": ["team_lead", "user:u-1"]}],
               priorities=PRIORITIES, statuses=STATUSES)


def test_each_problem_is_named_by_where_it_is():
    found = problems(conditions={"all": [{"field": "colour", "op": "eq", "value": "red"},
                                         {"field": "priority", "op": "gt", "value": "high"}]},
                     actions=[{"type": "set_priority", "priority": "asap"}, {"type": "explode"}])
    assert set(found) == {"conditions.all.0.field", "conditions.all.1.op", "actions.0.priority", "actions.1.type"}
    assert "colour" in found["conditions.all.0.field"][0]


def test_a_scheduled_rule_needs_an_interval_and_only_it_has_one():
    assert "interval_minutes" in problems(trigger="on_schedule", interval=None)
    assert "interval_minutes" in problems(trigger="on_schedule", interval=0)
    assert "interval_minutes" in problems(trigger="on_update", interval=10)


def test_a_rule_does_something():
    assert "actions" in problems(actions=[])


def test_unknown_keys_and_bad_values_are_refused():
    assert "conditions.all" in problems(conditions={"all": {"field": "status"}})
    assert "conditions" in problems(conditions={"all": [], "any": []})
    assert "conditions.value" in problems(conditions={"field": "sla.first_response.state", "op": "eq", "value": "late"})
    assert "conditions.value" in problems(conditions={"field": "tags", "op": "contains", "value": ""})
    assert "actions.0.level" in problems(actions=[{"type": "escalate", "level": 4}])
    assert "actions.0.recipients" in problems(actions=[{"type": "notify", "recipients": ["everyone"]}])
    assert "actions.0.required_skills" in problems(
        actions=[{"type": "assign_group", "group_id": "g", "required_skills": [["billing", 9]]}])
    assert "actions.0" in problems(actions=[{"type": "add_tag", "tag": "x", "colour": "red"}])


def test_conditions_nest_all_and_any():
    facts = {"priority": "high", "tags": ["vip"], "hours_since_opened": 5.0, "assignee_id": None,
             "sla.resolution.share": 0.8}
    assert matches({}, facts)
    assert matches({"all": [{"field": "priority", "op": "in", "value": ["high", "urgent"]},
                            {"any": [{"field": "tags", "op": "contains", "value": "vip"},
                                     {"field": "hours_since_opened", "op": "gt", "value": 24}]}]}, facts)
    assert not matches({"all": [{"field": "priority", "op": "eq", "value": "high"},
                                {"field": "tags", "op": "contains", "value": "spam"}]}, facts)
    assert matches({"field": "assignee_id", "op": "is_empty"}, facts)
    assert matches({"field": "sla.resolution.share", "op": "gte", "value": 0.75}, facts)
    # A fact the ticket lacks (no SLA policy measures it) is never past a threshold.
    assert not matches({"field": "sla.first_response.share", "op": "gte", "value": 0.75}, facts)
