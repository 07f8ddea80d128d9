"""Auto-distribution in a unit of work: the reps a pool's rule picks for its new leads, one pool at a time."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Protocol, Sequence

from crm_shared.assignment import Assignment, Item, StrategyName
from crm_shared.auth import SALES_REP
from leads.distribution_repository import DirectoryUser
from leads.distribution_rules import Rep, plan
from leads.domain import SYSTEM, Lead
from leads.markets import HasMarketFacts, Market
from leads.pools import LEAD_POOL, Member, Pool
from leads.uow import LeadsUnitOfWork

DETAIL_LENGTH = 1000


class NewLead(HasMarketFacts, Protocol):
    id: str


def distributes(pool: Pool) -> bool:
    """Whether new leads of `pool` go to a rep at once: an enabled lead pool whose rule has a strategy."""
    rule = pool.rules.distribution
    return pool.kind == LEAD_POOL and pool.enabled and rule is not None and rule.distributes


def choose_owners(uow: LeadsUnitOfWork, pool: Pool, new_leads: Sequence[NewLead],
                  now: datetime) -> dict[str, Assignment]:
    """Who the pool's rule gives each new lead to, by lead id; a lead nobody can take is left out (stays in the pool).

    Locks the pool's rotation cursor until the transaction ends, so one pool's distributions run one at a
    time and each counts the loads the last one left; with a capacity rule, the candidates' claims wait too.
    """
    if not distributes(pool) or not new_leads:
        return {}
    rule, limits = pool.rules.distribution, pool.rules
    cursor = uow.distribution.lock_cursor(pool.id)
    markets = uow.markets.all()
    in_scope = _reps_in_scope(uow.distribution.active_users(), pool, markets)
    members = [user for user in in_scope if rule.admits(user.user_id)]
    capped_teams = {team for user in members for team in user.team_ids} if limits.max_team_leads is not None else set()
    if limits.max_private_leads is not None or capped_teams:
        uow.distribution.lock_holders([user.user_id for user in members], capped_teams)
    team_members = uow.distribution.team_members(capped_teams)
    teammates = {user_id for users in team_members.values() for user_id in users}
    held = uow.distribution.held({user.user_id for user in members} | teammates)
    reps = [
        Rep(user.user_id, user.team_ids, _market_ids(markets, user), *held.get(user.user_id, (0, 0)))
        for user in members
    ]
    team_held = {
        team: sum(_counted(held.get(user, (0, 0)), limits.count_converted) for user in users)
        for team, users in team_members.items()
    }
    by_market = rule.strategy == StrategyName.BY_MARKET
    items = [
        Item(lead.id, markets=frozenset(m.id for m in markets if m.covers(lead)) if by_market else frozenset())
        for lead in new_leads
    ]
    result = plan(items, rule, limits, reps, team_held, cursor)
    if result.state.cursor != cursor:
        uow.distribution.move_cursor(pool.id, result.state.cursor, now)
    return {assignment.item_id: assignment for assignment in result.assignments}


def history_detail(pool: Pool, assignment: Assignment) -> str:
    """The ownership history's note of an automatic distribution: the strategy and the engine's reason."""
    return f"auto-distribution, {pool.rules.distribution.strategy}: {assignment.reason}"[:DETAIL_LENGTH]


def distribute_new_leads(uow: LeadsUnitOfWork, pool: Pool, new_leads: Sequence[Lead], now: datetime) -> None:
    """Give each of `new_leads` (just added to `pool`) to the rep the pool's rule picks, as the system."""
    chosen = choose_owners(uow, pool, new_leads, now)
    for lead in new_leads:
        assignment = chosen.get(lead.id)
        if assignment is not None:
            lead.distribute(assignment.assignee_id, SYSTEM, now, strategy=pool.rules.distribution.strategy,
                            detail=history_detail(pool, assignment))


def _reps_in_scope(users: Iterable[DirectoryUser], pool: Pool, markets: Sequence[Market]) -> list[DirectoryUser]:
    # Reps only: managers and admins administer pools; they are not dealt leads.
    reps = [user for user in users if SALES_REP in user.roles]
    return [user for user in reps if pool.scope.includes(_member(user, markets))]


def _member(user: DirectoryUser, markets: Sequence[Market]) -> Member:
    assigned = tuple(m for m in markets if m.is_assigned_to(user.user_id, user.team_ids))
    return Member(user.user_id, user.roles, user.team_ids, assigned)


def _market_ids(markets: Sequence[Market], user: DirectoryUser) -> frozenset[str]:
    return frozenset(m.id for m in markets if m.is_assigned_to(user.user_id, user.team_ids))


def _counted(held: tuple[int, int], count_converted: bool) -> int:
    open_leads, converted = held
    return open_leads + (converted if count_converted else 0)
