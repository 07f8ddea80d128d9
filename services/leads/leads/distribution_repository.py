"""What auto-distribution reads and locks: the pool's rotation cursor, the directory's reps, and what they hold."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm_shared.db import insert_ignoring_duplicates
from leads.db import claim_locks, claimant_teams, claimants, leads
from leads.db_distribution import pool_distribution_cursors
from leads.domain import CLAIMED, CONVERTED


@dataclass(frozen=True)
class DirectoryUser:
    """An active user of the directory: their roles and teams."""

    user_id: str
    roles: frozenset[str]
    team_ids: frozenset[str]


class DistributionRepository:
    def __init__(self, session: Session):
        self.session = session

    def lock_cursor(self, pool_id: str) -> str | None:
        """Hold the pool's cursor row until the transaction ends; the rep who got its last lead, if any."""
        insert_ignoring_duplicates(self.session, pool_distribution_cursors, [{"pool_id": pool_id}])
        c = pool_distribution_cursors
        locked = select(c.c.last_assignee_id).where(c.c.pool_id == pool_id).with_for_update()
        return self.session.execute(locked).scalar_one()

    def move_cursor(self, pool_id: str, last_assignee_id: str, now: datetime) -> None:
        c = pool_distribution_cursors
        self.session.execute(
            update(c).where(c.c.pool_id == pool_id).values(last_assignee_id=last_assignee_id, updated_at=now)
        )

    def active_users(self) -> list[DirectoryUser]:
        """Every active user the directory knows, with roles and teams (disabled accounts are left out)."""
        teams: dict[str, set[str]] = defaultdict(set)
        for user_id, team_id in self.session.execute(select(claimant_teams.c.user_id, claimant_teams.c.team_id)):
            teams[user_id].add(team_id)
        rows = self.session.execute(
            select(claimants.c.user_id, claimants.c.roles)
            .where(claimants.c.active.is_(True))
            .order_by(claimants.c.user_id)
        )
        return [DirectoryUser(user_id, frozenset(roles or ()), frozenset(teams.get(user_id, ())))
                for user_id, roles in rows]

    def team_members(self, team_ids: Iterable[str]) -> dict[str, list[str]]:
        """The users the directory has in each of `team_ids` (active or not: their leads still count)."""
        wanted = sorted(set(team_ids))
        members: dict[str, list[str]] = {team: [] for team in wanted}
        if wanted:
            rows = self.session.execute(
                select(claimant_teams.c.team_id, claimant_teams.c.user_id).where(claimant_teams.c.team_id.in_(wanted))
            )
            for team_id, user_id in rows:
                members[team_id].append(user_id)
        return members

    def held(self, user_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """Open and converted leads each of `user_ids` owns, counted now (those owning none are left out)."""
        ids = sorted(set(user_ids))
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        if ids:
            rows = self.session.execute(
                select(leads.c.owner_id, leads.c.status, func.count())
                .where(leads.c.owner_id.in_(ids), leads.c.status.in_((CLAIMED, CONVERTED)))
                .group_by(leads.c.owner_id, leads.c.status)
            )
            for owner_id, status, count in rows:
                counts[owner_id][0 if status == CLAIMED else 1] = count
        return {owner: (held[0], held[1]) for owner, held in counts.items()}

    def lock_holders(self, user_ids: Iterable[str], team_ids: Iterable[str]) -> None:
        """Hold the claim locks of these reps and teams, so their claims wait while their loads are counted.

        The same `claim_locks` rows a claim takes, in the same (sorted) order, so the two never deadlock.
        """
        keys = sorted({*(f"user:{user}" for user in user_ids), *(f"team:{team}" for team in team_ids)})
        if not keys:
            return
        insert_ignoring_duplicates(self.session, claim_locks, [{"key": key} for key in keys])
        # ORDER BY before FOR UPDATE: PostgreSQL locks the rows in the order it returns them.
        self.session.execute(
            select(claim_locks.c.key).where(claim_locks.c.key.in_(keys)).order_by(claim_locks.c.key).with_for_update()
        ).all()
