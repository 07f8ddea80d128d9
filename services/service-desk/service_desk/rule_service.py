"""Keeping the workflow rules: list, add, change and remove them, refusing any document that cannot run."""
from __future__ import annotations

import uuid
from typing import Callable

from crm_shared.auth import SERVICE_AGENT
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.versioning import VersionMismatch, check_version
from service_desk.domain import PRIORITIES, STATUSES
from service_desk.rules import InvalidRule, check_rule

FIELDS = ("name", "position", "active", "trigger", "interval_minutes", "conditions", "actions", "stop_after_match",
          "description")
# New rules go last unless given a position; the gap leaves room to slot one in between.
POSITION_STEP = 10


def _checked(uow, rule: dict) -> None:
    check_rule(rule["trigger"], rule.get("interval_minutes"), rule.get("conditions", {}), rule.get("actions"),
               priorities=PRIORITIES, statuses=STATUSES)
    problems = {}
    for index, action in enumerate(rule["actions"]):
        if action["type"] == "assign_group" and uow.workflow.group(action["group_id"]) is None:
            problems[f"actions.{index}.group_id"] = [f"No group with id {action['group_id']}."]
        if action["type"] == "assign_agent":
            user = uow.workflow.users([action["agent_id"]]).get(action["agent_id"])
            if user is None or not user["active"] or SERVICE_AGENT not in user["roles"]:
                problems[f"actions.{index}.agent_id"] = [f"No active service agent with id {action['agent_id']}."]
    if problems:
        raise InvalidRule(problems)


def list_rules(uow_factory: Callable) -> list[dict]:
    with uow_factory() as uow:
        return uow.workflow.rules()


def get_rule(uow_factory: Callable, rule_id: str) -> dict:
    with uow_factory() as uow:
        rule = uow.workflow.rule(rule_id)
        if rule is None:
            raise NotFound("workflow rule", rule_id)
        return rule


def create_rule(uow_factory: Callable, fields: dict) -> dict:
    with uow_factory() as uow:
        rule = {"conditions": {}, "active": True, "stop_after_match": False, "interval_minutes": None,
                "description": None, **fields}
        _checked(uow, rule)
        if rule.get("position") is None:
            rule["position"] = max((r["position"] for r in uow.workflow.rules()), default=0) + POSITION_STEP
        now = utc_now()
        rule_id = str(uuid.uuid4())
        uow.workflow.add_rule({"id": rule_id, **{name: rule[name] for name in FIELDS}, "created_at": now,
                               "updated_at": now})
        # Rules change tickets on their own: who set each one is in the audit log (rules publish no event).
        uow.audit_change("workflow_rule", rule_id, "created", {name: rule[name] for name in FIELDS})
        uow.commit()
        return uow.workflow.rule(rule_id)


def update_rule(uow_factory: Callable, rule_id: str, version: int, fields: dict) -> dict:
    with uow_factory() as uow:
        rule = uow.workflow.rule(rule_id)
        if rule is None:
            raise NotFound("workflow rule", rule_id)
        check_version("workflow rule", version, rule["version"])
        changed = {**rule, **fields}
        if changed["trigger"] != "on_schedule" and "interval_minutes" not in fields:
            changed["interval_minutes"] = None
        _checked(uow, changed)
        values = {name: changed[name] for name in FIELDS}
        if not uow.workflow.update_rule(rule_id, version, {**values, "updated_at": utc_now()}):
            raise VersionMismatch("workflow rule")
        uow.audit_change("workflow_rule", rule_id, "updated", fields)
        uow.commit()
        return uow.workflow.rule(rule_id)


def delete_rule(uow_factory: Callable, rule_id: str, version: int) -> None:
    with uow_factory() as uow:
        rule = uow.workflow.rule(rule_id)
        if rule is None:
            raise NotFound("workflow rule", rule_id)
        check_version("workflow rule", version, rule["version"])
        if not uow.workflow.delete_rule(rule_id, version):
            raise VersionMismatch("workflow rule")
        uow.audit_change("workflow_rule", rule_id, "deleted", {"name": rule.get("name")})
        uow.commit()
