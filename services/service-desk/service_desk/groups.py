"""Agent groups: who is in each, who leads it, and how it hands out tickets. The only place that commits them."""
from __future__ import annotations

import uuid
from typing import Callable

from crm_shared.auth import ADMIN, SERVICE_AGENT, SERVICE_MANAGER
from crm_shared.errors import APIError, NotFound
from crm_shared.versioning import VersionMismatch, check_version

READERS = (ADMIN, SERVICE_AGENT, SERVICE_MANAGER)
MANAGERS = (ADMIN, SERVICE_MANAGER)
# Who can be in a group or lead it: the desk's own people, as the directory knows them.
DESK_ROLES = (SERVICE_AGENT, SERVICE_MANAGER)
FIELDS = ("name", "team_lead_id", "assignment_method", "relax_after_minutes", "assignment_timeout_minutes")


class GroupNameTaken(APIError):
    def __init__(self, name: str):
        super().__init__(409, "group_name_taken", f"There is a group named {name!r} already.")


def _check_people(uow, fields: dict) -> None:
    """422 naming every member or team lead the directory does not know as an active agent or service manager."""
    wanted = {*fields.get("member_ids", []), *([fields["team_lead_id"]] if fields.get("team_lead_id") else [])}
    users = uow.workflow.users(sorted(wanted))
    unknown = sorted(user_id for user_id in wanted
                     if user_id not in users or not users[user_id]["active"]
                     or not set(users[user_id]["roles"]) & set(DESK_ROLES))
    if unknown:
        errors = {}
        if set(unknown) & set(fields.get("member_ids", [])):
            errors["member_ids"] = [f"Not an active service agent or manager: {', '.join(u for u in unknown if u in fields.get('member_ids', []))}."]
        if fields.get("team_lead_id") in unknown:
            errors["team_lead_id"] = ["Not an active service agent or manager."]
        raise APIError(422, "unknown_agent", "Some fields are not valid. " + " ".join(
            f"{key}: {' '.join(messages)}" for key, messages in errors.items()), errors)


def _check_relaxation(group: dict) -> None:
    if group.get("relax_after_minutes") and group.get("assignment_method") != "skills_based":
        raise APIError(422, "validation_failed", "Some fields are not valid. relax_after_minutes: only a skills_based "
                       "group relaxes its requirement.", {"relax_after_minutes": ["Only for skills_based groups."]})


def list_groups(uow_factory: Callable) -> list[dict]:
    with uow_factory() as uow:
        return uow.workflow.groups()


def get_group(uow_factory: Callable, group_id: str) -> dict:
    with uow_factory() as uow:
        group = uow.workflow.group(group_id)
        if group is None:
            raise NotFound("group", group_id)
        return group


def create_group(uow_factory: Callable, fields: dict) -> dict:
    with uow_factory() as uow:
        _check_people(uow, fields)
        _check_relaxation(fields)
        if uow.workflow.group_named(fields["name"]) is not None:
            raise GroupNameTaken(fields["name"])
        group_id = str(uuid.uuid4())
        uow.workflow.add_group({"id": group_id, **{name: fields.get(name) for name in FIELDS}},
                               fields.get("member_ids", []))
        group = uow.workflow.group(group_id)
        # Groups decide who gets tickets and publish no event: the audit log keeps who set them up.
        uow.audit_change("agent_group", group_id, "created", fields)
        uow.commit()
        return group


def update_group(uow_factory: Callable, group_id: str, version: int, fields: dict) -> dict:
    with uow_factory() as uow:
        group = uow.workflow.group(group_id)
        if group is None:
            raise NotFound("group", group_id)
        check_version("group", version, group["version"])
        _check_people(uow, fields)
        _check_relaxation({**group, **fields})
        if "name" in fields and fields["name"] != group["name"] and uow.workflow.group_named(fields["name"]):
            raise GroupNameTaken(fields["name"])
        values = {name: fields[name] for name in FIELDS if name in fields}
        if not uow.workflow.update_group(group_id, version, values, fields.get("member_ids")):
            raise VersionMismatch("group")
        group = uow.workflow.group(group_id)
        uow.audit_change("agent_group", group_id, "updated", fields)
        uow.commit()
        return group


def delete_group(uow_factory: Callable, group_id: str, version: int) -> None:
    with uow_factory() as uow:
        group = uow.workflow.group(group_id)
        if group is None:
            raise NotFound("group", group_id)
        check_version("group", version, group["version"])
        naming = [rule["name"] for rule in uow.workflow.rules()
                  if any(action.get("group_id") == group_id for action in rule["actions"])]
        if naming:
            raise APIError(409, "group_in_use", f"Workflow rules assign to this group: {', '.join(naming)}. Change "
                           "them first.", {"rules": naming})
        if not uow.workflow.delete_group(group_id, version):
            raise VersionMismatch("group")
        uow.audit_change("agent_group", group_id, "deleted", {"name": group["name"]})
        uow.commit()
