"""Whose figures a viewer may see and whose targets and expenses they may manage, as SQL conditions.

The rules of `sales.permissions`, applied to people rather than customers: a rep sees their own (and the
targets of their teams and departments), a sales manager also their teams' members, admins and executives
everyone. Only admins and managers manage: a manager their teams and their members, never themselves.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, Identity
from crm_shared.directory import members_of_teams
from sales.db_customers_pipeline import directory
from sales.db_targets import department_teams, sales_targets
from sales.targets import DEPARTMENT, REP, TEAM

SEES_EVERYONE = (ADMIN, EXECUTIVE)


@dataclass(frozen=True)
class TeamScope:
    """The viewer, the teams the directory has them in, and what that lets them see."""

    viewer: Identity
    teams: frozenset[str]

    @classmethod
    def of(cls, uow, viewer: Identity) -> "TeamScope":
        return cls(viewer, uow.permissions.teams_of(viewer))

    @property
    def sees_everyone(self) -> bool:
        return self.viewer.has_any(*SEES_EVERYONE)

    @property
    def manages(self) -> bool:
        return self.viewer.has_any(SALES_MANAGER) and bool(self.teams)

    def _members(self):
        return members_of_teams(directory, self.teams)

    def _departments(self):
        return select(department_teams.c.department_id).where(department_teams.c.team_id.in_(sorted(self.teams)))

    def people(self, user_id_column):
        """A WHERE condition: `user_id_column` is someone whose figures the viewer sees; None for everyone."""
        if self.sees_everyone:
            return None
        if self.manages:
            return or_(user_id_column == self.viewer.user_id, user_id_column.in_(self._members()))
        return user_id_column == self.viewer.user_id

    def managed_people(self, user_id_column):
        """A WHERE condition: `user_id_column` is someone whose targets and expenses the viewer decides."""
        if self.viewer.has_any(ADMIN):
            return user_id_column != self.viewer.user_id
        if self.manages:
            return and_(user_id_column != self.viewer.user_id, user_id_column.in_(self._members()))
        return false()

    def targets(self):
        """A WHERE condition on `sales_targets`: the targets the viewer sees; None for all of them."""
        if self.sees_everyone:
            return None
        t = sales_targets.c
        return or_(
            and_(t.subject_kind == REP, self.people(t.subject_id)),
            and_(t.subject_kind == TEAM, t.subject_id.in_(sorted(self.teams))),
            and_(t.subject_kind == DEPARTMENT, t.subject_id.in_(self._departments())),
        )

    def may_set_target(self, uow, subject_kind: str, subject_id: str) -> bool:
        """Admins set any target; a manager those of their teams and of their teams' other members."""
        if self.viewer.has_any(ADMIN):
            return True
        if not self.manages:
            return False
        if subject_kind == TEAM:
            return subject_id in self.teams
        if subject_kind == REP:
            return uow.session.execute(
                select(directory.user_teams.c.user_id).where(directory.user_teams.c.user_id == subject_id,
                                                             self.managed_people(directory.user_teams.c.user_id))
            ).first() is not None
        return False
