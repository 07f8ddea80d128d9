"""Choosing an agent in a group for a ticket through the shared assignment engine (crm_shared.assignment)."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterable

from crm_shared.assignment import (
    Assignment,
    AssignmentState,
    Candidate,
    Item,
    NoAssignee,
    NoAssigneeCode,
    Strategy,
    StrategyName,
    assign,
)
from service_desk.workflow_repository import ON_DUTY, WorkflowRepository


def candidates_of(repo: WorkflowRepository, agent_ids: Iterable[str]) -> list[Candidate]:
    """The agents as the engine sees them: on duty or not, their skills, capacity and open tickets.

    An agent the directory knows as inactive is left out; one without a profile is on duty with no limit.
    """
    agent_ids = sorted(set(agent_ids))
    profiles = repo.profiles(agent_ids)
    loads = repo.open_loads(agent_ids)
    users = repo.users(agent_ids)
    candidates = []
    for agent_id in agent_ids:
        user = users.get(agent_id)
        if user is not None and not user["active"]:
            continue
        profile = profiles.get(agent_id) or {}
        candidates.append(Candidate(
            id=agent_id,
            capacity=profile.get("capacity"),
            open_load=loads.get(agent_id, 0),
            available=profile.get("availability", ON_DUTY) == ON_DUTY,
            skills=profile.get("skills") or {},
        ))
    return candidates


def choose_agent(
    repo: WorkflowRepository,
    group_id: str,
    *,
    ticket_id: str,
    category: str | None,
    waited: timedelta,
    method: str | None = None,
    required_skills: list[list] | None = None,
    exclude: Iterable[str] = (),
) -> Assignment | NoAssignee:
    """Who in the group takes the ticket, by the group's method (or `method`), or why nobody can.

    The group row stays locked until the transaction ends, so concurrent assignments in one group queue up and
    round robin's cursor moves one agent at a time. `exclude`: agents who must not get it back (a hand-back).
    """
    group = repo.group(group_id, for_update=True)
    if group is None:
        return NoAssignee(ticket_id, NoAssigneeCode.NO_CANDIDATES, f"group {group_id} does not exist")
    name = StrategyName(method or group["assignment_method"])
    relax_after = None
    if name is StrategyName.SKILLS_BASED and group["relax_after_minutes"]:
        relax_after = timedelta(minutes=group["relax_after_minutes"])
    skills = required_skills if required_skills is not None else repo.skills_for(category)
    excluded = set(exclude)
    candidates = candidates_of(repo, [agent for agent in group["member_ids"] if agent not in excluded])
    item = Item(id=ticket_id, required_skills=dict((skill, level) for skill, level in skills) if
                name is StrategyName.SKILLS_BASED else {}, waited=max(waited, timedelta(0)))
    outcome = assign(item, candidates, Strategy(name, relax_after), AssignmentState(cursor=group["cursor"]))
    if isinstance(outcome, Assignment):
        repo.move_cursor(group_id, outcome.assignee_id)
    return outcome
