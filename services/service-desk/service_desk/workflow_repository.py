"""Reads and writes of agent groups, agent profiles, skill requirements, rules and their once-only claims."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from service_desk.db import tickets
from service_desk.db_workflow import (
    agent_group_members,
    agent_groups,
    agent_profiles,
    directory,
    skill_requirements,
    ticket_escalations,
    workflow_rule_runs,
    workflow_rules,
)
from service_desk.repository import dialect_insert

# A ticket counts in its assignee's load until it is resolved or closed.
FINISHED = ("resolved", "closed")
ON_DUTY = "on_duty"


class WorkflowRepository:
    def __init__(self, session: Session):
        self.session = session

    # Groups -------------------------------------------------------------------------------------------
    def groups(self) -> list[dict]:
        rows = self.session.execute(select(agent_groups).order_by(agent_groups.c.name)).mappings().all()
        members = self._members([row["id"] for row in rows])
        return [{**row, "member_ids": members.get(row["id"], [])} for row in rows]

    def group(self, group_id: str, *, for_update: bool = False) -> dict | None:
        statement = select(agent_groups).where(agent_groups.c.id == group_id)
        if for_update:
            statement = statement.with_for_update()
        row = self.session.execute(statement).mappings().first()
        if row is None:
            return None
        return {**row, "member_ids": self._members([group_id]).get(group_id, [])}

    def group_named(self, name: str) -> str | None:
        return self.session.scalars(select(agent_groups.c.id).where(agent_groups.c.name == name)).first()

    def _members(self, group_ids: list[str]) -> dict[str, list[str]]:
        members: dict[str, list[str]] = {}
        if not group_ids:
            return members
        rows = self.session.execute(
            select(agent_group_members).where(agent_group_members.c.group_id.in_(group_ids))
            .order_by(agent_group_members.c.agent_id)
        ).all()
        for row in rows:
            members.setdefault(row.group_id, []).append(row.agent_id)
        return members

    def add_group(self, values: dict[str, Any], member_ids: list[str]) -> None:
        self.session.execute(insert(agent_groups).values(**values, version=1))
        self._set_members(values["id"], member_ids)

    def update_group(self, group_id: str, version: int, values: dict[str, Any], member_ids: list[str] | None) -> bool:
        """Apply the change if the group is still at `version`; False if someone changed it first."""
        changed = self.session.execute(
            update(agent_groups).where(agent_groups.c.id == group_id, agent_groups.c.version == version)
            .values(**values, version=version + 1)
        ).rowcount
        if changed and member_ids is not None:
            self.session.execute(delete(agent_group_members).where(agent_group_members.c.group_id == group_id))
            self._set_members(group_id, member_ids)
        return bool(changed)

    def delete_group(self, group_id: str, version: int) -> bool:
        return bool(self.session.execute(
            delete(agent_groups).where(agent_groups.c.id == group_id, agent_groups.c.version == version)).rowcount)

    def _set_members(self, group_id: str, member_ids: list[str]) -> None:
        if member_ids:
            self.session.execute(insert(agent_group_members),
                                 [{"group_id": group_id, "agent_id": agent_id} for agent_id in sorted(set(member_ids))])

    def move_cursor(self, group_id: str, cursor: str) -> None:
        """Remember the last agent chosen in the group; the row was locked when read (`group(for_update=True)`)."""
        self.session.execute(update(agent_groups).where(agent_groups.c.id == group_id).values(cursor=cursor))

    def groups_of(self, agent_id: str) -> list[str]:
        return list(self.session.scalars(
            select(agent_group_members.c.group_id).where(agent_group_members.c.agent_id == agent_id)
            .order_by(agent_group_members.c.group_id)))

    # Directory ----------------------------------------------------------------------------------------
    def users_with_role(self, role: str) -> list[dict]:
        """Active directory users holding `role`, by display name (roles are a JSON list: filtered here)."""
        rows = self.session.execute(
            select(directory.users).where(directory.users.c.active.is_(True)).order_by(directory.users.c.display_name)
        ).mappings().all()
        return [dict(row) for row in rows if role in (row["roles"] or [])]

    def users(self, user_ids: list[str]) -> dict[str, dict]:
        if not user_ids:
            return {}
        rows = self.session.execute(select(directory.users).where(directory.users.c.user_id.in_(user_ids))).mappings()
        return {row["user_id"]: dict(row) for row in rows}

    # Agent profiles -----------------------------------------------------------------------------------
    def profiles(self, agent_ids: list[str]) -> dict[str, dict]:
        if not agent_ids:
            return {}
        rows = self.session.execute(select(agent_profiles).where(agent_profiles.c.agent_id.in_(agent_ids))).mappings()
        return {row["agent_id"]: dict(row) for row in rows}

    def save_profile(self, agent_id: str, version: int | None, values: dict[str, Any]) -> bool:
        """Create the profile (version None: never saved) or update it at `version`; False if someone was first."""
        if version is None:
            statement = dialect_insert(self.session)(agent_profiles).values(agent_id=agent_id, version=1, **values)
            return self.session.execute(
                statement.on_conflict_do_nothing(index_elements=["agent_id"]).returning(agent_profiles.c.agent_id)
            ).first() is not None
        return bool(self.session.execute(
            update(agent_profiles).where(agent_profiles.c.agent_id == agent_id, agent_profiles.c.version == version)
            .values(**values, version=version + 1)).rowcount)

    def open_loads(self, agent_ids: list[str]) -> dict[str, int]:
        """How many unfinished tickets each agent holds."""
        if not agent_ids:
            return {}
        rows = self.session.execute(
            select(tickets.c.assignee_id, func.count())
            .where(tickets.c.assignee_id.in_(agent_ids), tickets.c.status.not_in(FINISHED))
            .group_by(tickets.c.assignee_id)
        ).all()
        return {agent_id: count for agent_id, count in rows}

    def tickets_for_schedule(self) -> list[str]:
        """The tickets scheduled rules look at: every one not closed, oldest first."""
        return list(self.session.scalars(
            select(tickets.c.id).where(tickets.c.status != "closed").order_by(tickets.c.opened_at, tickets.c.id)))

    def assigned_in_timed_groups(self) -> list[tuple[str, int]]:
        """(ticket id, timeout minutes) of unfinished assigned tickets in groups with an assignment timeout."""
        rows = self.session.execute(
            select(tickets.c.id, agent_groups.c.assignment_timeout_minutes)
            .join(agent_groups, agent_groups.c.id == tickets.c.group_id)
            .where(tickets.c.assignee_id.is_not(None), tickets.c.status.not_in(FINISHED),
                   agent_groups.c.assignment_timeout_minutes.is_not(None))
            .order_by(tickets.c.opened_at, tickets.c.id)
        ).all()
        return [(row[0], row[1]) for row in rows]

    # Skill requirements -------------------------------------------------------------------------------
    def skill_requirements(self) -> list[dict]:
        rows = self.session.execute(select(skill_requirements).order_by(skill_requirements.c.category)).mappings()
        return [dict(row) for row in rows]

    def skills_for(self, category: str | None) -> list[list]:
        if not category:
            return []
        found = self.session.scalars(
            select(skill_requirements.c.skills).where(skill_requirements.c.category == category)).first()
        return found or []

    def set_skill_requirement(self, category: str, skills: list[list]) -> None:
        statement = dialect_insert(self.session)(skill_requirements).values(category=category, skills=skills)
        self.session.execute(statement.on_conflict_do_update(index_elements=["category"], set_={"skills": skills}))

    # Rules ----------------------------------------------------------------------------------------------
    def rules(self, trigger: str | None = None, *, active_only: bool = False) -> list[dict]:
        statement = select(workflow_rules).order_by(workflow_rules.c.position, workflow_rules.c.created_at,
                                                    workflow_rules.c.id)
        if trigger is not None:
            statement = statement.where(workflow_rules.c.trigger == trigger)
        if active_only:
            statement = statement.where(workflow_rules.c.active.is_(True))
        return [dict(row) for row in self.session.execute(statement).mappings()]

    def rule(self, rule_id: str) -> dict | None:
        row = self.session.execute(select(workflow_rules).where(workflow_rules.c.id == rule_id)).mappings().first()
        return dict(row) if row is not None else None

    def add_rule(self, values: dict[str, Any]) -> None:
        self.session.execute(insert(workflow_rules).values(**values, version=1))

    def update_rule(self, rule_id: str, version: int, values: dict[str, Any]) -> bool:
        return bool(self.session.execute(
            update(workflow_rules).where(workflow_rules.c.id == rule_id, workflow_rules.c.version == version)
            .values(**values, version=version + 1)).rowcount)

    def delete_rule(self, rule_id: str, version: int) -> bool:
        return bool(self.session.execute(
            delete(workflow_rules).where(workflow_rules.c.id == rule_id, workflow_rules.c.version == version)).rowcount)

    def claim_rule_run(self, rule_id: str, ticket_id: str, window_start: datetime, now: datetime) -> bool:
        """Claim a scheduled rule's window on a ticket; False if another run holds it (committed or in flight)."""
        statement = dialect_insert(self.session)(workflow_rule_runs).values(
            rule_id=rule_id, ticket_id=ticket_id, window_start=window_start, ran_at=now)
        return self.session.execute(
            statement.on_conflict_do_nothing().returning(workflow_rule_runs.c.rule_id)).first() is not None

    def claim_escalation(self, ticket_id: str, level: int, cycle: int, rule_id: str | None, now: datetime) -> bool:
        """Claim an escalation level for the ticket's cycle; False if it fired already."""
        statement = dialect_insert(self.session)(ticket_escalations).values(
            ticket_id=ticket_id, level=level, cycle=cycle, rule_id=rule_id, escalated_at=now)
        return self.session.execute(
            statement.on_conflict_do_nothing().returning(ticket_escalations.c.ticket_id)).first() is not None
