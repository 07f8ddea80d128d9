"""Agent profiles (skills, availability, capacity) and the skills each ticket category needs."""
from __future__ import annotations

from typing import Callable

from crm_shared.auth import ADMIN, SERVICE_AGENT, SERVICE_MANAGER, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, Forbidden, NotFound
from crm_shared.versioning import VersionMismatch, check_version
from service_desk.workflow_repository import ON_DUTY

AWAY = "away"
OFF_DUTY = "off_duty"
AVAILABILITIES = (ON_DUTY, AWAY, OFF_DUTY)
MANAGERS = (ADMIN, SERVICE_MANAGER)
# A profile never saved: on duty, no limit, no skills (so a new agent gets tickets until told otherwise).
DEFAULT_PROFILE = {"skills": {}, "availability": ON_DUTY, "capacity": None, "version": None,
                   "availability_changed_at": None, "availability_changed_by": None}


def _agent(uow, user: dict, profile: dict | None, loads: dict[str, int]) -> dict:
    profile = profile or DEFAULT_PROFILE
    return {
        "user_id": user["user_id"],
        "display_name": user["display_name"],
        "skills": profile["skills"],
        "availability": profile["availability"],
        "capacity": profile["capacity"],
        "availability_changed_at": profile["availability_changed_at"],
        "availability_changed_by": profile["availability_changed_by"],
        "open_tickets": loads.get(user["user_id"], 0),
        "group_ids": uow.workflow.groups_of(user["user_id"]),
        # 0 until first saved: If-Match "0" then creates the profile.
        "version": profile["version"] or 0,
    }


def list_agents(uow_factory: Callable) -> list[dict]:
    """Every active service agent the directory knows, with their profile."""
    with uow_factory() as uow:
        users = uow.workflow.users_with_role(SERVICE_AGENT)
        ids = [user["user_id"] for user in users]
        profiles, loads = uow.workflow.profiles(ids), uow.workflow.open_loads(ids)
        return [_agent(uow, user, profiles.get(user["user_id"]), loads) for user in users]


def _load(uow, user_id: str) -> tuple[dict, dict | None]:
    user = uow.workflow.users([user_id]).get(user_id)
    if user is None or SERVICE_AGENT not in (user["roles"] or []):
        raise NotFound("agent", user_id)
    return user, uow.workflow.profiles([user_id]).get(user_id)


def get_agent(uow_factory: Callable, user_id: str) -> dict:
    with uow_factory() as uow:
        user, profile = _load(uow, user_id)
        return _agent(uow, user, profile, uow.workflow.open_loads([user_id]))


def update_agent(uow_factory: Callable, user_id: str, version: int, fields: dict, editor: Identity) -> dict:
    """Change an agent's skills, capacity or availability (a manager's edit); 412 on a stale version."""
    with uow_factory() as uow:
        user, profile = _load(uow, user_id)
        current = profile or DEFAULT_PROFILE
        check_version("agent", version, current["version"] or 0)
        values = {key: current[key] for key in ("skills", "availability", "capacity", "availability_changed_at",
                                                "availability_changed_by")}
        values.update({key: fields[key] for key in ("skills", "capacity") if key in fields})
        if "availability" in fields and fields["availability"] != current["availability"]:
            values.update(availability=fields["availability"], availability_changed_at=utc_now(),
                          availability_changed_by=editor.user_id)
        if not uow.workflow.save_profile(user_id, profile["version"] if profile else None, values):
            raise VersionMismatch("agent")
        uow.audit_change("agent", user_id, "updated", fields)
        uow.commit()
        return get_agent(uow_factory, user_id)


def set_availability(uow_factory: Callable, user_id: str, availability: str, editor: Identity) -> dict:
    """An agent says whether they take tickets now; a manager may say it for them."""
    if editor.user_id != user_id and not editor.has_any(*MANAGERS):
        raise Forbidden("Only the agent themself or a service manager sets an agent's availability.")
    with uow_factory() as uow:
        user, profile = _load(uow, user_id)
        current = profile or DEFAULT_PROFILE
        values = {"skills": current["skills"], "capacity": current["capacity"], "availability": availability,
                  "availability_changed_at": utc_now(), "availability_changed_by": editor.user_id}
        # Availability is the agent's own switch: last writer wins, no If-Match needed.
        if not uow.workflow.save_profile(user_id, profile["version"] if profile else None, values):
            raise APIError(409, "concurrent_change", "The profile changed at the same moment; send it again.")
        uow.audit_change("agent", user_id, "availability_set", {"availability": availability})
        uow.commit()
    return get_agent(uow_factory, user_id)


def list_skill_requirements(uow_factory: Callable) -> list[dict]:
    with uow_factory() as uow:
        return uow.workflow.skill_requirements()


def set_skill_requirement(uow_factory: Callable, category: str, skills: list[list]) -> dict:
    with uow_factory() as uow:
        uow.workflow.set_skill_requirement(category, skills)
        uow.audit_change("skill_requirement", category, "set", {"skills": skills})
        uow.commit()
    return {"category": category, "skills": skills}
