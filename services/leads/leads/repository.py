"""Loading and saving leads, pools and markets, and the facts the claim rules count; remembers the leads it has seen."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_shared.db import insert_ignoring_duplicates
from leads.claims import Holdings
from leads.db import claim_locks, claimant_teams, claimants, lead_ownership_history, lead_reveals, leads
from leads.domain import BY_CLAIM, CLAIMED, CONVERTED, POOL, Lead, OwnershipChange
from leads.markets import Market
from leads.pools import Pool

# A list counts its leads exactly up to this many, then says "at least this many": an exact count of every
# lead a viewer sees reads them all (0.4 s for an admin, 1 s for a rep at 1,000,000 leads), for a number
# nobody pages through.
LIST_COUNT_CAP = 10_000


@dataclass(frozen=True)
class LeadQuery:
    status: str | None = None
    owner_id: str | None = None
    channel: str | None = None
    pool_id: str | None = None
    # For a rep: pool leads of these pools, and their own leads; None means no such restriction.
    visible_pools: tuple[str, ...] | None = None
    visible_to_owner: str | None = None
    # For a sales manager, also the leads owned by the members of these teams (as the directory has them).
    visible_teams: tuple[str, ...] = ()
    limit: int = 50
    offset: int = 0


def lead_conditions(query: LeadQuery) -> list:
    """The WHERE conditions of a lead query, visibility included (the search adds its own to these)."""
    conditions = []
    if query.status:
        conditions.append(leads.c.status == query.status)
    if query.owner_id:
        conditions.append(leads.c.owner_id == query.owner_id)
    if query.channel:
        conditions.append(leads.c.channel == query.channel)
    if query.pool_id:
        conditions.append(leads.c.pool_id == query.pool_id)
    if query.visible_to_owner:
        # A rep sees the pool leads of their pools and their own leads, never another rep's; a sales
        # manager also their teams' members' leads. In SQL, so pages and counts hold only what they see.
        in_their_pools = (leads.c.status == POOL) & leads.c.pool_id.in_(query.visible_pools or ())
        theirs = leads.c.owner_id == query.visible_to_owner
        if query.visible_teams:
            theirs = theirs | leads.c.owner_id.in_(members_of_teams(query.visible_teams))
        conditions.append(in_their_pools | theirs)
    return conditions


@dataclass(frozen=True)
class VisibilityBranch:
    """One disjoint part of what a reader sees: `owners` is how many users own all its leads (0: the pool's part)."""

    conditions: tuple
    owners: int


def visibility_branches(query: LeadQuery, team_members: Iterable[str],
                        member_by_member: bool = False) -> list[VisibilityBranch] | None:
    """What `lead_conditions` lets a rep or sales manager see, as disjoint parts; None when they see every lead.

    The parts are the pool leads of their pools, their own leads, and their teams' members' leads
    (`team_members`: the directory's members of `query.visible_teams`), each without the leads of an
    earlier part, so a search can fetch each part on its own index, bounded by the owners' leads, and
    merge them (leads/search_repository.py); `member_by_member` makes each member's leads a part of
    their own. A part the status filter rules out is left out: a search for claimed leads cannot find a
    pool lead.
    """
    if not query.visible_to_owner:
        return None
    branches = []
    earlier = []
    if query.visible_pools and query.status in (None, POOL):
        in_their_pools = (leads.c.status == POOL) & leads.c.pool_id.in_(query.visible_pools)
        branches.append(VisibilityBranch((in_their_pools,), owners=0))
        # status and pool_id are never NULL, so NOT is exact here.
        earlier.append(~in_their_pools)
    branches.append(VisibilityBranch((leads.c.owner_id == query.visible_to_owner, *earlier), owners=1))
    members = sorted(set(team_members) - {query.visible_to_owner}) if query.visible_teams else []
    if member_by_member:
        branches.extend(VisibilityBranch((leads.c.owner_id == member, *earlier), owners=1) for member in members)
    elif members:
        branches.append(VisibilityBranch((leads.c.owner_id.in_(members), *earlier), owners=len(members)))
    return branches


class LeadRepository:
    def __init__(self, session: Session):
        self.session = session
        self.seen: dict[str, Lead] = {}

    def add(self, lead: Lead) -> None:
        self.session.add(lead)
        self.seen[lead.id] = lead

    def get(self, lead_id: str) -> Lead | None:
        lead = self.session.get(Lead, lead_id)
        if lead is not None:
            self.seen[lead.id] = lead
        return lead

    def get_many(self, lead_ids: Iterable[str]) -> dict[str, Lead]:
        ids = list(lead_ids)
        found = {lead.id: lead for lead in self.session.scalars(select(Lead).where(leads.c.id.in_(ids)))}
        self.seen.update(found)
        return found

    def list(self, query: LeadQuery) -> tuple[list[Lead], int, bool]:
        """A page of leads, newest first; the count of all matches (at most LIST_COUNT_CAP) and whether it is capped."""
        conditions = lead_conditions(query)
        matches = select(leads.c.id).where(*conditions).limit(LIST_COUNT_CAP + 1).subquery()
        counted = self.session.execute(select(func.count()).select_from(matches)).scalar_one()
        total, capped = (LIST_COUNT_CAP, True) if counted > LIST_COUNT_CAP else (counted, False)
        rows = self.session.scalars(
            select(Lead)
            .where(*conditions)
            .order_by(leads.c.created_at.desc(), leads.c.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return list(rows), total, capped

    def holdings(self, user_ids: Iterable[str]) -> Holdings:
        """How many open and converted leads these users own together."""
        ids = list(user_ids)
        if not ids:
            return Holdings()
        counts = dict(
            self.session.execute(
                select(leads.c.status, func.count())
                .where(leads.c.owner_id.in_(ids), leads.c.status.in_((CLAIMED, CONVERTED)))
                .group_by(leads.c.status)
            ).all()
        )
        return Holdings(open=counts.get(CLAIMED, 0), converted=counts.get(CONVERTED, 0))

    def count_in_pool(self, pool_id: str) -> int:
        return self.session.execute(select(func.count()).where(leads.c.pool_id == pool_id)).scalar_one()


class PoolRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, pool: Pool) -> None:
        self.session.add(pool)

    def get(self, pool_id: str) -> Pool | None:
        return self.session.get(Pool, pool_id)

    def all(self) -> list[Pool]:
        return list(self.session.scalars(select(Pool).order_by(Pool.created_at, Pool.id)))

    def default(self, kind: str) -> Pool:
        return self.session.scalars(select(Pool).where(Pool.kind == kind, Pool.is_default.is_(True))).one()

    def delete(self, pool: Pool) -> None:
        self.session.delete(pool)


class MarketRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, market: Market) -> None:
        self.session.add(market)

    def get(self, market_id: str) -> Market | None:
        return self.session.get(Market, market_id)

    def all(self) -> list[Market]:
        return list(self.session.scalars(select(Market).order_by(Market.name)))

    def assigned_to(self, user_id: str, team_ids: frozenset[str]) -> list[Market]:
        # Markets are few (tens): matching the JSON assignee lists here is simpler than per-backend JSON SQL.
        return [market for market in self.all() if market.is_assigned_to(user_id, team_ids)]

    def delete(self, market: Market) -> None:
        self.session.delete(market)


class OwnershipHistory:
    """Who owned each lead when, kept for good."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, changes: Iterable[OwnershipChange]) -> None:
        rows = [
            {"lead_id": c.lead_id, "pool_id": c.pool_id, "from_owner_id": c.from_owner_id, "to_owner_id": c.to_owner_id,
             "reason": c.reason, "actor_id": c.actor_id, "detail": c.detail, "at": c.at}
            for c in changes
        ]
        if rows:
            self.session.execute(insert(lead_ownership_history), rows)

    def of_lead(self, lead_id: str) -> list[OwnershipChange]:
        rows = self.session.execute(
            select(lead_ownership_history)
            .where(lead_ownership_history.c.lead_id == lead_id)
            .order_by(lead_ownership_history.c.at, lead_ownership_history.c.id)
        ).mappings()
        return [
            OwnershipChange(r["lead_id"], r["pool_id"], r["from_owner_id"], r["to_owner_id"], r["reason"],
                            r["actor_id"], r["at"], r["detail"])
            for r in rows
        ]

    def claims_since(self, user_id: str, since: datetime) -> dict[str, int]:
        """Claims by `user_id` since `since`, per pool: what the daily quota counts."""
        h = lead_ownership_history
        return dict(
            self.session.execute(
                select(h.c.pool_id, func.count())
                .where(h.c.to_owner_id == user_id, h.c.reason == BY_CLAIM, h.c.at >= since)
                .group_by(h.c.pool_id)
            ).all()
        )


class Reveals:
    """Which masked leads each rep opened on which business day."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, user_id: str, lead_id: str, pool_id: str, day: date, at: datetime) -> None:
        self.session.execute(
            insert(lead_reveals).values(user_id=user_id, lead_id=lead_id, pool_id=pool_id, day=day, revealed_at=at)
        )

    def opened(self, user_id: str, day: date, lead_ids: Iterable[str]) -> set[str]:
        ids = list(lead_ids)
        if not ids:
            return set()
        r = lead_reveals
        return set(self.session.scalars(
            select(r.c.lead_id).where(r.c.user_id == user_id, r.c.day == day, r.c.lead_id.in_(ids))
        ))

    def count(self, user_id: str, pool_id: str, day: date) -> int:
        r = lead_reveals
        return self.session.execute(
            select(func.count()).where(r.c.user_id == user_id, r.c.pool_id == pool_id, r.c.day == day)
        ).scalar_one()


@dataclass(frozen=True)
class DirectoryEntry:
    """A user as the gateway describes them: what a `gateway.user.*` event says, as of `at`."""

    user_id: str
    username: str
    display_name: str
    roles: frozenset[str]
    team_ids: frozenset[str]
    active: bool
    at: datetime


class Claimants:
    """The user directory (the gateway's user events, else tokens), and the locks that serialise each rep's claims."""

    def __init__(self, session: Session):
        self.session = session

    def _upsert(self, user_id: str, values: dict) -> None:
        dialect = self.session.get_bind().dialect.name
        build = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(build(claimants).values(user_id=user_id, **values).on_conflict_do_update(
            index_elements=[claimants.c.user_id], set_=values
        ))

    def _set_teams(self, user_id: str, teams: frozenset[str]) -> None:
        self.session.execute(
            delete(claimant_teams).where(claimant_teams.c.user_id == user_id, claimant_teams.c.team_id.not_in(teams))
        )
        if teams:
            rows = [{"user_id": user_id, "team_id": team} for team in sorted(teams)]
            insert_ignoring_duplicates(self.session, claimant_teams, rows)

    def lock(self, user_id: str, team_ids: Iterable[str]) -> None:
        """Hold the rep's and their teams' rows until the transaction ends (SQLite: BEGIN IMMEDIATE already does)."""
        keys = sorted({f"user:{user_id}", *(f"team:{team}" for team in team_ids)})
        insert_ignoring_duplicates(self.session, claim_locks, [{"key": key} for key in keys])
        # One at a time in sorted order, so two claimers never wait for each other crosswise.
        for key in keys:
            self.session.execute(select(claim_locks.c.key).where(claim_locks.c.key == key).with_for_update())

    def remember(self, user_id: str, roles: Iterable[str], team_ids: Iterable[str], now: datetime) -> None:
        """Record the roles and teams a token carries, for a user the gateway's events have not described yet.

        Once an event has, the directory wins: a token can be hours older than the last change of its user.
        """
        roles, teams = frozenset(roles), frozenset(team_ids)
        row = self.session.execute(
            select(claimants.c.roles, claimants.c.directory_at).where(claimants.c.user_id == user_id)
        ).first()
        if row is not None and (row.directory_at is not None or self.known(user_id) == (roles, teams)):
            return
        self._upsert(user_id, {"roles": sorted(roles), "seen_at": now})
        self._set_teams(user_id, teams)

    def apply(self, entry: DirectoryEntry) -> bool:
        """Take in what the gateway says of a user, unless a later event was applied already; True if taken."""
        applied_at = self.session.scalars(
            select(claimants.c.directory_at).where(claimants.c.user_id == entry.user_id).with_for_update()
        ).first()
        if applied_at is not None and applied_at > entry.at:
            return False  # events can arrive out of order (a redelivery after a failure): keep the newer facts
        self._upsert(entry.user_id, {
            "roles": sorted(entry.roles), "username": entry.username, "display_name": entry.display_name,
            "active": entry.active, "directory_at": entry.at,
        })
        self._set_teams(entry.user_id, entry.team_ids)
        return True

    def known(self, user_id: str) -> tuple[frozenset[str], frozenset[str]]:
        """The roles and teams of `user_id`; no roles while their account is disabled, nothing if never heard of."""
        row = self.session.execute(
            select(claimants.c.roles, claimants.c.active).where(claimants.c.user_id == user_id)
        ).first()
        teams = self.session.scalars(select(claimant_teams.c.team_id).where(claimant_teams.c.user_id == user_id))
        roles = frozenset(row.roles or ()) if row is not None and row.active else frozenset()
        return roles, frozenset(teams)

    def team_members(self, team_id: str) -> list[str]:
        return list(self.session.scalars(select(claimant_teams.c.user_id).where(claimant_teams.c.team_id == team_id)))

    def in_teams(self, user_id: str, team_ids: Iterable[str]) -> bool:
        """Whether the directory has `user_id` in one of `team_ids`."""
        teams = list(team_ids)
        if not teams:
            return False
        return self.session.execute(
            select(claimant_teams.c.user_id)
            .where(claimant_teams.c.user_id == user_id, claimant_teams.c.team_id.in_(teams))
            .limit(1)
        ).first() is not None


def members_of_teams(team_ids: Iterable[str]):
    """A subquery of the users the directory has in any of `team_ids`, for `owner_id IN (...)` filters."""
    return select(claimant_teams.c.user_id).where(claimant_teams.c.team_id.in_(sorted(set(team_ids))))
