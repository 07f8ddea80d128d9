"""Loading and saving targets, expenses and departments; lists filtered in SQL by what the viewer sees."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from crm_shared.directory import members_of_teams
from crm_shared.versioning import VersionMismatch
from sales.db_customers_pipeline import directory
from sales.db_targets import department_teams, departments, sales_expenses, sales_targets
from sales.deal_repository import LIST_LIMIT, _Seen
from sales.expenses import Expense
from sales.sql_money import cents_total, from_cents
from sales.targets import Target


class TargetRepository(_Seen):
    kind = Target

    def find(self, subject_kind: str, subject_id: str, period: str, metric: str) -> Target | None:
        t = sales_targets.c
        found = self.session.scalars(select(Target).where(
            t.subject_kind == subject_kind, t.subject_id == subject_id, t.period == period, t.metric == metric)).first()
        return self._remember([found])[0] if found is not None else None

    def list(self, visible, period: str | None = None, subject_kind: str | None = None,
             subject_id: str | None = None, metric: str | None = None) -> list[Target]:
        """The targets `visible` (a condition; None: all) lets through, by period, subject and metric."""
        t = sales_targets.c
        query = select(Target).order_by(t.period_start.desc(), t.subject_kind, t.subject_id, t.metric)
        if visible is not None:
            query = query.where(visible)
        for column, value in (("period", period), ("subject_kind", subject_kind), ("subject_id", subject_id),
                              ("metric", metric)):
            if value:
                query = query.where(t[column] == value)
        return self._remember(self.session.scalars(query.limit(LIST_LIMIT)))


@dataclass(frozen=True)
class ExpenseQuery:
    visible: object = None  # a condition on sales_expenses.rep_id; None: everyone's
    rep_id: str | None = None
    team_id: str | None = None
    status: str | None = None
    category: str | None = None
    customer_id: str | None = None
    spent_from: date | None = None
    spent_to: date | None = None


class ExpenseRepository(_Seen):
    kind = Expense

    @staticmethod
    def _conditions(query: ExpenseQuery) -> list:
        e = sales_expenses.c
        conditions = [] if query.visible is None else [query.visible]
        for column, value in (("rep_id", query.rep_id), ("status", query.status), ("category", query.category),
                              ("customer_id", query.customer_id)):
            if value:
                conditions.append(e[column] == value)
        if query.team_id:
            conditions.append(e.rep_id.in_(members_of_teams(directory, [query.team_id])))
        if query.spent_from:
            conditions.append(e.spent_on >= query.spent_from)
        if query.spent_to:
            conditions.append(e.spent_on <= query.spent_to)
        return conditions

    def list(self, query: ExpenseQuery) -> list[Expense]:
        e = sales_expenses.c
        return self._remember(self.session.scalars(
            select(Expense).where(*self._conditions(query)).order_by(e.spent_on.desc(), e.recorded_at.desc(), e.id)
            .limit(LIST_LIMIT)))

    def totals(self, query: ExpenseQuery) -> list[dict]:
        """Count and sum of every matching expense (not only the listed ones), by status and currency."""
        e = sales_expenses.c
        rows = self.session.execute(
            select(e.status, e.currency, func.count(), cents_total(e.amount)).where(*self._conditions(query))
            .group_by(e.status, e.currency).order_by(e.status, e.currency))
        return [{"status": status, "currency": currency, "count": count, "amount": from_cents(cents)}
                for status, currency, count, cents in rows]


class Departments:
    """Departments and their teams; a plain table with a version column, changed by admins only."""

    def __init__(self, session: Session):
        self.session = session

    def _teams(self, ids: list[str]) -> dict[str, list[str]]:
        teams: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            rows = self.session.execute(select(department_teams.c.department_id, department_teams.c.team_id)
                                        .where(department_teams.c.department_id.in_(ids))
                                        .order_by(department_teams.c.team_id))
            for department_id, team_id in rows:
                teams[department_id].append(team_id)
        return teams

    def list(self) -> list[dict]:
        rows = [dict(r) for r in self.session.execute(select(departments).order_by(departments.c.name)).mappings()]
        teams = self._teams([r["id"] for r in rows])
        return [{**r, "team_ids": teams[r["id"]]} for r in rows]

    def get(self, department_id: str) -> dict | None:
        row = self.session.execute(select(departments).where(departments.c.id == department_id)).mappings().first()
        return None if row is None else {**row, "team_ids": self._teams([department_id])[department_id]}

    def named(self, name: str, other_than: str | None = None) -> bool:
        query = select(departments.c.id).where(func.lower(departments.c.name) == name.lower())
        if other_than:
            query = query.where(departments.c.id != other_than)
        return self.session.execute(query).first() is not None

    def teams_elsewhere(self, team_ids: Iterable[str], department_id: str | None) -> list[str]:
        """Those of `team_ids` already in another department."""
        query = select(department_teams.c.team_id).where(department_teams.c.team_id.in_(sorted(set(team_ids))))
        if department_id:
            query = query.where(department_teams.c.department_id != department_id)
        return sorted(self.session.scalars(query))

    def add(self, department_id: str, name: str, team_ids: list[str], actor_id: str, now: datetime) -> None:
        self.session.execute(insert(departments).values(id=department_id, name=name, created_at=now,
                                                        created_by=actor_id, version=1))
        self._set_teams(department_id, team_ids)

    def replace(self, department_id: str, name: str, team_ids: list[str], expected_version: int, actor_id: str,
                now: datetime) -> None:
        """Rename and regroup, if nobody changed it since `expected_version` (the UPDATE names the version)."""
        changed = self.session.execute(
            update(departments).where(departments.c.id == department_id, departments.c.version == expected_version)
            .values(name=name, updated_at=now, updated_by=actor_id, version=expected_version + 1))
        if changed.rowcount != 1:
            raise VersionMismatch("department")
        self.session.execute(delete(department_teams).where(department_teams.c.department_id == department_id))
        self._set_teams(department_id, team_ids)

    def _set_teams(self, department_id: str, team_ids: list[str]) -> None:
        if team_ids:
            self.session.execute(insert(department_teams),
                                 [{"department_id": department_id, "team_id": t} for t in sorted(set(team_ids))])
