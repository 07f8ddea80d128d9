"""Auto-distribution of new pool leads: a lead pool's rule, and which of its reps gets each lead (no database)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Protocol, Sequence

from crm_shared.assignment import (
    AssignmentState,
    BatchAssignment,
    Candidate,
    Item,
    Strategy,
    StrategyName,
    assign_many,
)
from crm_shared.errors import APIError

# How a pool's rule works, in one place:
#
# - The candidates are the reps (role sales_rep, account active) the pool's scope admits, as the user
#   directory knows them, narrowed to the rule's `user_ids` when it lists some.
# - A candidate's capacity is the smaller of the rule's (capacities[user], else default_capacity) and the
#   room the pool's max_private_leads leaves them (converted leads count when count_converted is on). A
#   member of a team already holding max_team_leads gets nothing. So auto-distribution never gives a rep
#   a lead that claiming it would refuse as private_capacity_reached.
# - The strategy picks among those with room (crm_shared.assignment): round_robin takes turns;
#   least_loaded gives to whoever holds the fewest open leads; capacity_weighted shares leads in
#   proportion to capacities; by_market gives only to reps whose markets cover the lead, least loaded
#   first. A lead nobody can take stays in the pool, as if there were no rule.

NONE = "none"
STRATEGIES = (
    NONE,
    StrategyName.ROUND_ROBIN.value,
    StrategyName.LEAST_LOADED.value,
    StrategyName.CAPACITY_WEIGHTED.value,
    StrategyName.BY_MARKET.value,
)
MAX_LISTED_REPS = 500
_KEYS = ("strategy", "user_ids", "capacities", "default_capacity")
_LONGEST_ID = 36


class InvalidDistributionRule(APIError):
    """A distribution rule that cannot be used; `key` names the offending setting."""

    def __init__(self, key: str, message: str):
        path = f"rules.distribution.{key}" if key else "rules.distribution"
        super().__init__(422, "validation_failed", f"The distribution rule is not valid. {path}: {message}",
                         {path: [message]})
        self.key = key


@dataclass(frozen=True)
class DistributionRule:
    """How a lead pool gives its new leads away: a strategy, to whom, and how many each may hold."""

    strategy: str = NONE
    # None: every rep the pool's scope admits.
    user_ids: tuple[str, ...] | None = None
    # Per rep, the most open leads auto-distribution lets them hold; others get default_capacity (None: no limit).
    capacities: tuple[tuple[str, int], ...] = ()
    default_capacity: int | None = None

    @property
    def distributes(self) -> bool:
        return self.strategy != NONE

    def capacity_of(self, user_id: str) -> int | None:
        return dict(self.capacities).get(user_id, self.default_capacity)

    def admits(self, user_id: str) -> bool:
        return self.user_ids is None or user_id in self.user_ids

    def to_dict(self) -> dict:
        """The JSON-able form `from_dict` reads back."""
        return {
            "strategy": self.strategy,
            "user_ids": list(self.user_ids) if self.user_ids is not None else None,
            "capacities": dict(self.capacities),
            "default_capacity": self.default_capacity,
        }

    @classmethod
    def from_dict(cls, data: Any) -> "DistributionRule":
        """Parse and validate; unknown keys and bad values raise `InvalidDistributionRule` (422)."""
        if not isinstance(data, Mapping):
            raise InvalidDistributionRule("", "Must be an object with a strategy, or null for no rule.")
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise InvalidDistributionRule(unknown[0], f"Unknown setting; use {', '.join(_KEYS)}.")
        strategy = data.get("strategy")
        if strategy not in STRATEGIES:
            raise InvalidDistributionRule("strategy", f"Must be one of: {', '.join(STRATEGIES)}.")
        user_ids = _user_ids(data.get("user_ids"))
        capacities = _capacities(data.get("capacities") or {})
        default_capacity = data.get("default_capacity")
        if default_capacity is not None and not _is_count(default_capacity):
            raise InvalidDistributionRule("default_capacity", "Must be a whole number >= 0, or null for no limit.")
        rule = cls(strategy, user_ids, capacities, default_capacity)
        if strategy == StrategyName.CAPACITY_WEIGHTED and default_capacity is None:
            listed_without = user_ids is None or any(rule.capacity_of(user) is None for user in user_ids)
            if listed_without:
                raise InvalidDistributionRule(
                    "default_capacity",
                    "capacity_weighted shares leads by capacity, so every rep needs one: set default_capacity "
                    "(or list user_ids that all have capacities).",
                )
        return rule


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _user_ids(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise InvalidDistributionRule("user_ids",
                                      "Must be a non-empty list of user ids, or null for every rep of the pool.")
    if len(value) > MAX_LISTED_REPS:
        raise InvalidDistributionRule("user_ids", f"At most {MAX_LISTED_REPS} reps.")
    if not all(isinstance(user, str) and 0 < len(user) <= _LONGEST_ID for user in value):
        raise InvalidDistributionRule("user_ids", f"Each must be a user id of 1 to {_LONGEST_ID} characters.")
    if len(set(value)) != len(value):
        raise InvalidDistributionRule("user_ids", "Each user id may appear only once.")
    return tuple(value)


def _capacities(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, Mapping):
        raise InvalidDistributionRule("capacities", "Must be an object of user id to a whole number >= 0.")
    if len(value) > MAX_LISTED_REPS:
        raise InvalidDistributionRule("capacities", f"At most {MAX_LISTED_REPS} reps.")
    for user, capacity in value.items():
        if not isinstance(user, str) or not 0 < len(user) <= _LONGEST_ID:
            raise InvalidDistributionRule("capacities", f"Each key must be a user id of 1 to {_LONGEST_ID} characters.")
        if not _is_count(capacity):
            raise InvalidDistributionRule(f"capacities.{user}", "Must be a whole number >= 0.")
    return tuple(sorted(value.items()))


# -- choosing ------------------------------------------------------------------------------------


class HoldingLimits(Protocol):
    """The pool's claim rules about holding leads (leads.pools.PoolRules has them)."""

    max_private_leads: int | None
    max_team_leads: int | None
    count_converted: bool


@dataclass(frozen=True)
class Rep:
    """A candidate as distribution sees them: their teams and markets, and the leads they hold now."""

    user_id: str
    team_ids: frozenset[str] = frozenset()
    market_ids: frozenset[str] = frozenset()
    open: int = 0
    converted: int = 0


def candidates(rule: DistributionRule, limits: HoldingLimits, reps: Sequence[Rep]) -> list[Candidate]:
    """The engine's candidates: each rep's open leads as load, and the smaller of the rule's and the pool's capacity."""
    chosen = []
    for rep in reps:
        if not rule.admits(rep.user_id):
            continue
        caps = [cap for cap in (rule.capacity_of(rep.user_id),) if cap is not None]
        if limits.max_private_leads is not None:
            counted_converted = rep.converted if limits.count_converted else 0
            caps.append(max(0, limits.max_private_leads - counted_converted))
        chosen.append(Candidate(rep.user_id, capacity=min(caps) if caps else None, open_load=rep.open,
                                markets=rep.market_ids, teams=rep.team_ids))
    return chosen


def plan(items: Sequence[Item], rule: DistributionRule, limits: HoldingLimits, reps: Sequence[Rep],
         team_held: Mapping[str, int], cursor: str | None) -> BatchAssignment:
    """Who gets each item, in order, counting each assignment in the next choice; team caps hold throughout.

    `team_held` is what each team's members hold together, counted as the pool's rules count it.
    """
    strategy = Strategy(StrategyName(rule.strategy))
    current = candidates(rule, limits, reps)
    teams_of = {candidate.id: candidate.teams for candidate in current}
    room: dict[str, int] = {}
    if limits.max_team_leads is not None:
        room = {team: limits.max_team_leads - team_held.get(team, 0) for c in current for team in c.teams}
    outcomes = []
    state = AssignmentState(cursor)
    remaining = list(items)
    while remaining:
        full = {team for team, left in room.items() if left <= 0}
        # A member of a full team is at capacity: the engine skips them and says so.
        current = [replace(c, capacity=c.open_load) if c.teams & full else c for c in current]
        open_rooms = [room[team] for c in current if not c.at_capacity for team in c.teams if team in room]
        # No team can overfill within a step no longer than the smallest room left.
        step = min(open_rooms) if open_rooms else len(remaining)
        batch = assign_many(remaining[:step], current, strategy, state)
        outcomes.extend(batch.outcomes)
        state, current = batch.state, list(batch.candidates)
        for assignment in batch.assignments:
            for team in teams_of[assignment.assignee_id]:
                if team in room:
                    room[team] -= 1
        remaining = remaining[step:]
    return BatchAssignment(outcomes=tuple(outcomes), state=state, candidates=tuple(current))
