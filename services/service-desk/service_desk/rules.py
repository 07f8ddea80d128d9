"""Workflow rules as documents: checking a rule's conditions and actions, and matching conditions against facts."""
from __future__ import annotations

import re
from typing import Any, Mapping

from crm_shared.errors import APIError
from service_desk.domain import TAG_PATTERN

ON_CREATE = "on_create"
ON_UPDATE = "on_update"
ON_SCHEDULE = "on_schedule"
TRIGGERS = (ON_CREATE, ON_UPDATE, ON_SCHEDULE)

ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"
SKILLS_BASED = "skills_based"
ASSIGNMENT_METHODS = (ROUND_ROBIN, LEAST_LOADED, SKILLS_BASED)

SLA_METRICS = ("first_response", "next_response", "resolution", "any")
SLA_STATES = ("running", "paused", "met", "warning", "breached")
TEXT_FIELDS = ("status", "priority", "category", "group_id", "assignee_id", "customer_level", "channel")
NUMBER_FIELDS = ("hours_since_opened", "hours_since_updated")
FIELDS = (*TEXT_FIELDS, "tags", *NUMBER_FIELDS,
          *(f"sla.{metric}.{part}" for metric in SLA_METRICS for part in ("state", "share")))
OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "is_empty", "is_not_empty")
COMPARISONS = ("gt", "gte", "lt", "lte")

ASSIGNEE = "assignee"
TEAM_LEAD = "team_lead"
SERVICE_MANAGERS = "service_managers"
RECIPIENT_ROLES = (ASSIGNEE, TEAM_LEAD, SERVICE_MANAGERS)
ESCALATION_LEVELS = (1, 2, 3)
# A rule nests conditions; beyond this depth a document is more likely a mistake than a need.
MAX_DEPTH = 5
MAX_NODES = 50
MAX_ACTIONS = 20
NAME_MAX = 200
SKILL_LEVELS = range(1, 6)


class InvalidRule(APIError):
    """A rule document that cannot run: each problem names where it is, e.g. `actions.0.group_id`."""

    def __init__(self, problems: dict[str, list[str]]):
        details = "; ".join(f"{where}: {' '.join(messages)}" for where, messages in problems.items())
        super().__init__(422, "invalid_rule", f"The rule cannot run as written. {details}", problems)


def check_rule(trigger: Any, interval_minutes: Any, conditions: Any, actions: Any, *, priorities: tuple[str, ...],
               statuses: tuple[str, ...]) -> None:
    """Raise InvalidRule listing every problem of the document; nothing is half-accepted."""
    problems: dict[str, list[str]] = {}

    def problem(where: str, message: str) -> None:
        problems.setdefault(where, []).append(message)

    if trigger not in TRIGGERS:
        problem("trigger", f"Must be one of {', '.join(TRIGGERS)}.")
    if trigger == ON_SCHEDULE:
        if not isinstance(interval_minutes, int) or isinstance(interval_minutes, bool) or interval_minutes < 1:
            problem("interval_minutes", "A scheduled rule runs every N minutes: give a whole number of at least 1.")
    elif interval_minutes is not None:
        problem("interval_minutes", "Only a scheduled rule (on_schedule) has an interval.")
    _check_condition(conditions, "conditions", 1, [0], problem)
    if not isinstance(actions, list) or not actions:
        problem("actions", "A rule does at least one thing: give a non-empty list of actions.")
    elif len(actions) > MAX_ACTIONS:
        problem("actions", f"At most {MAX_ACTIONS} actions.")
    else:
        for index, action in enumerate(actions):
            _check_action(action, f"actions.{index}", priorities, statuses, problem)
    if problems:
        raise InvalidRule(problems)


def _check_condition(node: Any, where: str, depth: int, count: list[int], problem) -> None:
    count[0] += 1
    if count[0] > MAX_NODES:
        if count[0] == MAX_NODES + 1:
            problem("conditions", f"At most {MAX_NODES} conditions in one rule.")
        return
    if not isinstance(node, dict):
        problem(where, 'A condition is an object: {"all": [...]}, {"any": [...]} or {"field", "op", "value"}.')
        return
    if not node:
        return  # no condition: the rule matches every ticket its trigger sees
    groups = [key for key in ("all", "any") if key in node]
    if groups:
        if len(node) != 1:
            problem(where, 'A group has exactly one key, "all" or "any", holding a list of conditions.')
            return
        children = node[groups[0]]
        if not isinstance(children, list):
            problem(f"{where}.{groups[0]}", "Must be a list of conditions.")
            return
        if depth >= MAX_DEPTH:
            problem(where, f"Conditions nest at most {MAX_DEPTH} deep.")
            return
        for index, child in enumerate(children):
            _check_condition(child, f"{where}.{groups[0]}.{index}", depth + 1, count, problem)
        return
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        problem(where, f"Unknown keys {', '.join(sorted(unknown))}: a condition has field, op and value.")
    name, op, value = node.get("field"), node.get("op"), node.get("value")
    if name not in FIELDS:
        problem(f"{where}.field", f"Unknown field {name!r}; one of {', '.join(FIELDS)}.")
        return
    if op not in OPERATORS:
        problem(f"{where}.op", f"Unknown operator {op!r}; one of {', '.join(OPERATORS)}.")
        return
    numeric = name in NUMBER_FIELDS or name.endswith(".share")
    if op in ("is_empty", "is_not_empty"):
        if "value" in node:
            problem(f"{where}.value", f"{op} takes no value.")
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(_scalar(item, numeric) for item in value):
            problem(f"{where}.value", f"{op} takes a non-empty list of {'numbers' if numeric else 'strings'}.")
    elif op in COMPARISONS:
        if not numeric:
            problem(f"{where}.op", f"{op} compares numbers; {name} is not a number (use eq, ne, in, not_in).")
        elif not _scalar(value, True):
            problem(f"{where}.value", f"{op} takes a number.")
    elif op == "contains":
        if name != "tags":
            problem(f"{where}.op", "contains applies to tags only.")
        elif not isinstance(value, str) or not value:
            problem(f"{where}.value", "contains takes a tag.")
    elif not _scalar(value, numeric):
        problem(f"{where}.value", f"{op} takes a {'number' if numeric else 'string'}.")
    if name.endswith(".state") and op in ("eq", "ne", "in", "not_in") and "value" in node:
        values = value if isinstance(value, list) else [value]
        wrong = [item for item in values if item not in SLA_STATES]
        if wrong:
            problem(f"{where}.value", f"An SLA state is one of {', '.join(SLA_STATES)}, not {', '.join(map(repr, wrong))}.")


def _scalar(value: Any, numeric: bool) -> bool:
    if numeric:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str) and bool(value)


def _check_action(action: Any, where: str, priorities, statuses, problem) -> None:
    if not isinstance(action, dict):
        problem(where, 'An action is an object with a "type".')
        return
    kind = action.get("type")
    allowed = {
        "assign_group": {"group_id", "method", "required_skills"},
        "assign_agent": {"agent_id"},
        "set_priority": {"priority"},
        "set_status": {"status"},
        "add_tag": {"tag"},
        "notify": {"recipients", "message"},
        "escalate": {"level", "reassign", "raise_priority"},
    }
    if kind not in allowed:
        problem(f"{where}.type", f"Unknown action {kind!r}; one of {', '.join(allowed)}.")
        return
    unknown = set(action) - allowed[kind] - {"type"}
    if unknown:
        problem(where, f"{kind} does not take {', '.join(sorted(unknown))}.")
    if kind == "assign_group":
        if not isinstance(action.get("group_id"), str) or not action.get("group_id"):
            problem(f"{where}.group_id", "Name the group to assign to.")
        if "method" in action and action["method"] not in ASSIGNMENT_METHODS:
            problem(f"{where}.method", f"One of {', '.join(ASSIGNMENT_METHODS)}.")
        if "required_skills" in action:
            for message in skill_requirement_problems(action["required_skills"]):
                problem(f"{where}.required_skills", message)
    elif kind == "assign_agent":
        if not isinstance(action.get("agent_id"), str) or not action.get("agent_id"):
            problem(f"{where}.agent_id", "Name the agent to assign to.")
    elif kind == "set_priority":
        if action.get("priority") not in priorities:
            problem(f"{where}.priority", f"One of {', '.join(priorities)}.")
    elif kind == "set_status":
        if action.get("status") not in statuses:
            problem(f"{where}.status", f"One of {', '.join(statuses)}.")
    elif kind == "add_tag":
        tag = action.get("tag")
        if not isinstance(tag, str) or not re.match(TAG_PATTERN, tag):
            problem(f"{where}.tag", "A tag has 1 to 40 letters, digits, spaces or . : - _ and starts with a letter "
                                    "or digit.")
    elif kind == "notify":
        recipients = action.get("recipients")
        if not isinstance(recipients, list) or not recipients or not all(_recipient(item) for item in recipients):
            problem(f"{where}.recipients", "A non-empty list of assignee, team_lead, service_managers or user:<id>.")
        if "message" in action and (not isinstance(action["message"], str) or len(action["message"]) > 500):
            problem(f"{where}.message", "A message has at most 500 characters.")
    elif kind == "escalate":
        if action.get("level") not in ESCALATION_LEVELS:
            problem(f"{where}.level", "An escalation level is 1 (assignee), 2 (team lead) or 3 (service managers).")
        for flag in ("reassign", "raise_priority"):
            if flag in action and not isinstance(action[flag], bool):
                problem(f"{where}.{flag}", "true or false.")


def _recipient(item: Any) -> bool:
    return isinstance(item, str) and (item in RECIPIENT_ROLES or (item.startswith("user:") and len(item) > 5))


def skill_requirement_problems(skills: Any) -> list[str]:
    """What is wrong with a requirement written as [[skill, level], ...], most important first."""
    if not isinstance(skills, list):
        return ["A list of [skill, level] pairs, most important first."]
    seen: set[str] = set()
    problems = []
    for pair in skills:
        if (not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str) or not pair[0].strip()
                or not isinstance(pair[1], int) or isinstance(pair[1], bool) or pair[1] not in SKILL_LEVELS):
            problems.append(f"{pair!r} is not a [skill, level] pair with a level from 1 to 5.")
        elif pair[0] in seen:
            problems.append(f"{pair[0]!r} is listed twice.")
        else:
            seen.add(pair[0])
    return problems


def matches(node: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether a ticket's facts satisfy a checked condition; a missing fact satisfies only is_empty / ne / not_in."""
    if not node:
        return True
    if "all" in node:
        return all(matches(child, facts) for child in node["all"])
    if "any" in node:
        return any(matches(child, facts) for child in node["any"])
    actual = facts.get(node["field"])
    op, expected = node["op"], node.get("value")
    if op == "is_empty":
        return actual in (None, "", [], ())
    if op == "is_not_empty":
        return actual not in (None, "", [], ())
    if op == "contains":
        return expected in (actual or ())
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if actual is None:
        return False
    if op == "gt":
        return actual > expected
    if op == "gte":
        return actual >= expected
    if op == "lt":
        return actual < expected
    return actual <= expected
