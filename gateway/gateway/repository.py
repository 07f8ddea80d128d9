"""Loading and saving users and teams."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from gateway.db import team_members, teams, users
from gateway.domain import Team, User


class UserRepository:
    def __init__(self, session: Session):
        self.session = session

    def _with_teams(self, rows) -> list[User]:
        found = [
            User(
                id=row.id,
                username=row.username,
                display_name=row.display_name,
                password_hash=row.password_hash,
                roles=list(row.roles or []),
                locale=row.locale,
                active=row.active,
                created_at=row.created_at,
            )
            for row in rows
        ]
        if not found:
            return found
        memberships = self.session.execute(
            select(team_members.c.user_id, teams.c.id, teams.c.name)
            .join(teams, teams.c.id == team_members.c.team_id)
            .where(team_members.c.user_id.in_([user.id for user in found]))
            .order_by(teams.c.name)
        ).all()
        by_user: dict[str, list[Team]] = defaultdict(list)
        for user_id, team_id, name in memberships:
            by_user[user_id].append(Team(team_id, name))
        for user in found:
            user.teams = by_user[user.id]
        return found

    def get(self, user_id: str) -> User | None:
        found = self._with_teams(self.session.execute(select(users).where(users.c.id == user_id)).all())
        return found[0] if found else None

    def by_username(self, username: str) -> User | None:
        found = self._with_teams(self.session.execute(select(users).where(users.c.username == username)).all())
        return found[0] if found else None

    def list(self) -> list[User]:
        return self._with_teams(self.session.execute(select(users).order_by(users.c.username)).all())

    def add(self, user: User) -> None:
        self.session.execute(
            insert(users).values(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                password_hash=user.password_hash,
                roles=list(user.roles),
                locale=user.locale,
                active=user.active,
                created_at=user.created_at,
            )
        )
        self._add_memberships(user)

    def save_profile(self, user: User) -> None:
        """Store the display name, roles, active flag and team memberships of `user`."""
        self.session.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(display_name=user.display_name, roles=list(user.roles), active=user.active)
        )
        self.session.execute(delete(team_members).where(team_members.c.user_id == user.id))
        self._add_memberships(user)

    def _add_memberships(self, user: User) -> None:
        if user.teams:
            rows = [{"team_id": team.id, "user_id": user.id} for team in user.teams]
            self.session.execute(insert(team_members), rows)

    def save_locale(self, user: User) -> None:
        self.session.execute(update(users).where(users.c.id == user.id).values(locale=user.locale))

    def save_password_hash(self, user: User) -> None:
        self.session.execute(update(users).where(users.c.id == user.id).values(password_hash=user.password_hash))

    def team_named(self, name: str) -> Team | None:
        row = self.session.execute(select(teams).where(teams.c.name == name)).first()
        return Team(row.id, row.name) if row else None

    def add_team(self, team: Team) -> None:
        self.session.execute(insert(teams).values(id=team.id, name=team.name))

    def display_names(self, user_ids: set[str]) -> dict[str, str]:
        rows = self.session.execute(select(users.c.id, users.c.display_name).where(users.c.id.in_(user_ids)))
        return {user_id: name for user_id, name in rows}

    def teams_by_id(self, team_ids: list[str]) -> dict[str, Team]:
        rows = self.session.execute(select(teams).where(teams.c.id.in_(team_ids))).all() if team_ids else []
        return {row.id: Team(row.id, row.name) for row in rows}

    def list_teams(self) -> list[tuple[Team, int]]:
        """Every team with how many users are in it, by name."""
        rows = self.session.execute(
            select(teams.c.id, teams.c.name, func.count(team_members.c.user_id))
            .outerjoin(team_members, team_members.c.team_id == teams.c.id)
            .group_by(teams.c.id, teams.c.name)
            .order_by(teams.c.name)
        ).all()
        return [(Team(team_id, name), members) for team_id, name, members in rows]

    def team_ids_of(self, user_ids: list[str]) -> list[str]:
        """The teams any of these users is in."""
        if not user_ids:
            return []
        return sorted(
            self.session.scalars(
                select(team_members.c.team_id).where(team_members.c.user_id.in_(user_ids)).distinct()
            ).all()
        )
