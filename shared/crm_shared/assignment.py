"""Choosing an assignee among candidates for an item: pure functions, no database, no bus, no domain."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

# How the engine works, in one place (the services' engineers read this, not the code):
#
# 1. Filters that say who could ever take this item run first: the item's team, then (by_market) the
#    item's markets, then (skills_based) the required skills. If one empties the pool, the answer is
#    NoAssignee with that filter's code, so "nobody in East" is not reported as "nobody available".
# 2. Then who can take it now: unavailable candidates are skipped ("none_available" if that leaves
#    nobody), then those at capacity (open_load >= capacity; "all_at_capacity").
# 3. The strategy picks among the rest. Every tie is broken by rotation: ids are put in sorted order and
#    the first id after the cursor (the last assignee) wins, wrapping round. Every strategy moves the
#    cursor to its choice, so equal candidates take turns whatever the strategy.
#
# Skills relaxation (skills_based with relax_after): an item that has waited `waited` has earned
# `waited // relax_after` steps. One step lowers the minimum level of the least important skill still
# required by one; a skill lowered to 0 is no longer required. Importance is the order of
# `required_skills`, most important first, so {"german": 3, "billing": 2} relaxes to
# {german 3, billing 1}, {german 3}, {german 2}, {german 1}, {} (anyone). The engine tries the full
# requirement first, then one step looser, up to the steps earned, and takes the first requirement that
# leaves someone who can take the item now; nobody gets an item on a looser requirement while a stricter
# one would do.


class StrategyName(StrEnum):
    """The ways of choosing; the values are what a service stores in its settings."""

    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    CAPACITY_WEIGHTED = "capacity_weighted"
    BY_MARKET = "by_market"
    SKILLS_BASED = "skills_based"


class NoAssigneeCode(StrEnum):
    """Why nobody could take an item; stable, so callers may branch on it and store it."""

    NO_CANDIDATES = "no_candidates"
    NONE_IN_TEAM = "none_in_team"
    NONE_IN_MARKET = "none_in_market"
    NONE_WITH_SKILLS = "none_with_skills"
    NONE_AVAILABLE = "none_available"
    ALL_AT_CAPACITY = "all_at_capacity"


@dataclass(frozen=True)
class Candidate:
    """Someone who may take items: how much they hold now, how much they may hold, and what they can do."""

    id: str
    capacity: int | None = None
    open_load: int = 0
    weight: float = 1.0
    available: bool = True
    skills: Mapping[str, int] = field(default_factory=dict, hash=False)
    markets: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"candidate id must be a non-empty str, got {self.id!r}")
        if self.capacity is not None and self.capacity < 0:
            raise ValueError(f"candidate {self.id}: capacity must be >= 0 or None (unlimited)")
        if self.open_load < 0:
            raise ValueError(f"candidate {self.id}: open_load must be >= 0")
        if not math.isfinite(self.weight) or self.weight <= 0:
            raise ValueError(f"candidate {self.id}: weight must be a positive number")
        object.__setattr__(self, "skills", _levels(self.skills, f"candidate {self.id}"))
        object.__setattr__(self, "markets", frozenset(self.markets))
        object.__setattr__(self, "teams", frozenset(self.teams))

    @property
    def at_capacity(self) -> bool:
        return self.capacity is not None and self.open_load >= self.capacity

    def meets(self, required_skills: Mapping[str, int]) -> bool:
        """True if this candidate has every required skill at its minimum level or above."""
        return all(self.skills.get(skill, 0) >= level for skill, level in required_skills.items())


@dataclass(frozen=True)
class Item:
    """What is to be assigned, as the engine sees it: its requirements and how long it has waited.

    `required_skills` is in order of importance, most important first (relaxation drops from the end);
    store it as a JSON array of pairs, not a JSONB object, whose keys PostgreSQL reorders.
    """

    id: str | None = None
    required_skills: Mapping[str, int] = field(default_factory=dict, hash=False)
    markets: frozenset[str] = frozenset()
    team: str | None = None
    waited: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.waited < timedelta(0):
            raise ValueError("an item cannot have waited a negative time")
        object.__setattr__(self, "required_skills", _levels(self.required_skills, "item"))
        object.__setattr__(self, "markets", frozenset(self.markets))


@dataclass(frozen=True)
class Strategy:
    """Which way to choose; `relax_after` only for skills_based (None: never relax)."""

    name: StrategyName
    relax_after: timedelta | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", StrategyName(self.name))
        if self.relax_after is not None:
            if self.name is not StrategyName.SKILLS_BASED:
                raise ValueError("relax_after only applies to the skills_based strategy")
            if self.relax_after <= timedelta(0):
                raise ValueError("relax_after must be a positive duration")


@dataclass(frozen=True)
class AssignmentState:
    """What the engine remembers between calls: the last assignee; the caller persists it with the item."""

    cursor: str | None = None


@dataclass(frozen=True)
class Assignment:
    """The chosen candidate, the state to persist, and why (for the item's history)."""

    item_id: str | None
    assignee_id: str
    state: AssignmentState
    reason: str
    relaxed_steps: int = 0


@dataclass(frozen=True)
class NoAssignee:
    """Nobody could take the item: a stable code and a sentence; the caller keeps its state unchanged."""

    item_id: str | None
    code: NoAssigneeCode
    reason: str
    # skills_based only: how long until the requirement next loosens, so the caller can retry then.
    next_relaxation_in: timedelta | None = None


Outcome = Assignment | NoAssignee


@dataclass(frozen=True)
class BatchAssignment:
    """The outcome for each item in order, the state after the last assignment, and the updated loads."""

    outcomes: tuple[Outcome, ...]
    state: AssignmentState
    candidates: tuple[Candidate, ...]

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        return tuple(outcome for outcome in self.outcomes if isinstance(outcome, Assignment))


def assign(
    item: Item,
    candidates: Sequence[Candidate],
    strategy: Strategy,
    state: AssignmentState = AssignmentState(),
) -> Outcome:
    """Choose who takes `item`, or say why nobody can."""
    _check_unique_ids(candidates)
    if not candidates:
        return NoAssignee(item.id, NoAssigneeCode.NO_CANDIDATES, "there are no candidates")
    pool = list(candidates)
    scope = ""
    if item.team is not None:
        pool = [candidate for candidate in pool if item.team in candidate.teams]
        if not pool:
            return NoAssignee(
                item.id,
                NoAssigneeCode.NONE_IN_TEAM,
                f"no candidate is in team {item.team} (of {_count(len(candidates), 'candidate')})",
            )
        scope = f" in team {item.team}"
    if strategy.name is StrategyName.SKILLS_BASED:
        return _skills_based(item, pool, strategy, state, scope)
    if strategy.name is StrategyName.BY_MARKET:
        if not item.markets:
            return NoAssignee(item.id, NoAssigneeCode.NONE_IN_MARKET, "the item belongs to no market")
        in_market = [candidate for candidate in pool if candidate.markets & item.markets]
        market_scope = f"{scope} in {_markets(item.markets)}"
        if not in_market:
            return NoAssignee(
                item.id,
                NoAssigneeCode.NONE_IN_MARKET,
                f"no candidate{scope} works in {_markets(item.markets)} (of {_count(len(pool), 'candidate')})",
            )
        pool, scope = in_market, market_scope
    eligible = _can_take_it_now(pool)
    if not eligible:
        return _why_nobody_can_take_it_now(item, pool, scope)
    if strategy.name is StrategyName.ROUND_ROBIN:
        chosen, why = _round_robin(eligible, state)
    elif strategy.name is StrategyName.CAPACITY_WEIGHTED:
        chosen, why = _capacity_weighted(eligible, state)
    else:
        chosen, why = _least_loaded(eligible, state)
    return Assignment(
        item_id=item.id,
        assignee_id=chosen.id,
        state=AssignmentState(cursor=chosen.id),
        reason=f"{why} among {len(eligible)} available{_skipped(pool)}{scope}",
    )


def assign_many(
    items: Iterable[Item],
    candidates: Sequence[Candidate],
    strategy: Strategy,
    state: AssignmentState = AssignmentState(),
) -> BatchAssignment:
    """Assign items in the order given, counting each assignment in the assignee's load for the next."""
    current = list(candidates)
    position = {candidate.id: index for index, candidate in enumerate(current)}
    outcomes: list[Outcome] = []
    for item in items:
        outcome = assign(item, current, strategy, state)
        if isinstance(outcome, Assignment):
            index = position[outcome.assignee_id]
            current[index] = replace(current[index], open_load=current[index].open_load + 1)
            state = outcome.state
        outcomes.append(outcome)
    return BatchAssignment(outcomes=tuple(outcomes), state=state, candidates=tuple(current))


def relaxed_requirements(required_skills: Mapping[str, int], steps: int) -> dict[str, int]:
    """The requirement after `steps` relaxation steps (see the rule at the top of this module)."""
    relaxed = {skill: level for skill, level in required_skills.items() if level > 0}
    for _ in range(steps):
        if not relaxed:
            break
        least_important = next(reversed(relaxed))
        if relaxed[least_important] > 1:
            relaxed[least_important] -= 1
        else:
            del relaxed[least_important]
    return relaxed


def relaxation_steps_earned(waited: timedelta, relax_after: timedelta | None) -> int:
    """How many relaxation steps an item that has waited this long has earned."""
    if relax_after is None:
        return 0
    return waited // relax_after


def _skills_based(
    item: Item, pool: list[Candidate], strategy: Strategy, state: AssignmentState, scope: str
) -> Outcome:
    # Every step lowers one level by one, so the sum of the levels is the number of steps to "anyone".
    most_steps = sum(item.required_skills.values())
    steps = min(relaxation_steps_earned(item.waited, strategy.relax_after), most_steps)
    for step in range(steps + 1):
        required = relaxed_requirements(item.required_skills, step)
        skilled = [candidate for candidate in pool if candidate.meets(required)]
        eligible = _can_take_it_now(skilled)
        if eligible:
            chosen, why = _least_loaded(eligible, state)
            relaxed = ""
            if step:
                relaxed = f", relaxed {_count(step, 'step')} after waiting {_duration(item.waited)}"
            return Assignment(
                item_id=item.id,
                assignee_id=chosen.id,
                state=AssignmentState(cursor=chosen.id),
                reason=f"{why} among {len(eligible)} available{_skipped(skilled)}{scope} with {_skills(required)}"
                f"{relaxed}",
                relaxed_steps=step,
            )
    next_relaxation_in = None
    if strategy.relax_after is not None and steps < most_steps:
        next_relaxation_in = strategy.relax_after * (steps + 1) - item.waited
    later = ""
    if next_relaxation_in is not None:
        later = f"; the requirement loosens in {_duration(next_relaxation_in)}"
    elif steps:
        later = f" even after relaxing {_count(steps, 'step')}"
    if not skilled:
        return NoAssignee(
            item.id,
            NoAssigneeCode.NONE_WITH_SKILLS,
            f"no candidate{scope} has {_skills(required)} (of {_count(len(pool), 'candidate')}){later}",
            next_relaxation_in,
        )
    refusal = _why_nobody_can_take_it_now(item, skilled, f"{scope} with {_skills(required)}")
    return replace(refusal, reason=refusal.reason + later, next_relaxation_in=next_relaxation_in)


def _can_take_it_now(pool: list[Candidate]) -> list[Candidate]:
    return [candidate for candidate in pool if candidate.available and not candidate.at_capacity]


def _why_nobody_can_take_it_now(item: Item, pool: list[Candidate], scope: str) -> NoAssignee:
    # Called only when _can_take_it_now(pool) is empty: everyone is away, or at capacity.
    if not any(candidate.available for candidate in pool):
        return NoAssignee(
            item.id, NoAssigneeCode.NONE_AVAILABLE, f"no candidate{scope} is available{_skipped(pool)}"
        )
    return NoAssignee(
        item.id, NoAssigneeCode.ALL_AT_CAPACITY, f"every available candidate{scope} is at capacity{_skipped(pool)}"
    )


def _rotation_key(candidate: Candidate, state: AssignmentState) -> tuple[bool, str]:
    # Ids after the cursor come first, in id order, then the wrap-around from the smallest id.
    return (state.cursor is not None and candidate.id <= state.cursor, candidate.id)


def _round_robin(eligible: list[Candidate], state: AssignmentState) -> tuple[Candidate, str]:
    chosen = min(eligible, key=lambda candidate: _rotation_key(candidate, state))
    if state.cursor is None:
        return chosen, "first in rotation"
    return chosen, f"next in rotation after {state.cursor}"


def _least_loaded(eligible: list[Candidate], state: AssignmentState) -> tuple[Candidate, str]:
    chosen = min(eligible, key=lambda candidate: (candidate.open_load, _rotation_key(candidate, state)))
    tied = sum(1 for candidate in eligible if candidate.open_load == chosen.open_load) - 1
    return chosen, f"least loaded ({chosen.open_load} open{_tie(tied)})"


@lru_cache(maxsize=1024)
def _share(weight: float, capacity: int | None) -> tuple[int, int]:
    """capacity x weight as an exact (numerator, denominator); a float weight's denominator is a power of 2."""
    numerator, denominator = weight.as_integer_ratio()
    return numerator * (capacity if capacity is not None else 1), denominator


def _fill_keys(eligible: list[Candidate]) -> dict[str, int]:
    # (load + 1) / share is the D'Hondt rule: over many items each candidate's share of them tends to
    # its capacity x weight, and a candidate with twice the share gets twice the items. The fills are
    # compared exactly, as integers on one common scale (Fractions cost most of a large batch's time):
    # with every share written as P / D over a common D, fill = (load + 1) * D / P, and scaling all by
    # lcm(P) / D gives (load + 1) * (lcm(P) // P), an integer.
    shares = [_share(candidate.weight, candidate.capacity) for candidate in eligible]
    common_denominator = math.lcm(*(denominator for _, denominator in shares))
    scaled = [numerator * (common_denominator // denominator) for numerator, denominator in shares]
    common_multiple = math.lcm(*scaled)
    return {
        candidate.id: (candidate.open_load + 1) * (common_multiple // share)
        for candidate, share in zip(eligible, scaled)
    }


def _capacity_weighted(eligible: list[Candidate], state: AssignmentState) -> tuple[Candidate, str]:
    fills = _fill_keys(eligible)
    chosen = min(eligible, key=lambda candidate: (fills[candidate.id], _rotation_key(candidate, state)))
    tied = sum(1 for fill in fills.values() if fill == fills[chosen.id]) - 1
    weight = f", weight {chosen.weight:g}" if chosen.weight != 1.0 else ""
    if chosen.capacity is None:
        return chosen, f"lowest weighted load ({chosen.open_load + 1} after taking it{weight}{_tie(tied)})"
    return chosen, (
        f"lowest load for capacity ({chosen.open_load + 1} of {chosen.capacity} after taking it{weight}{_tie(tied)})"
    )


def _levels(levels: Mapping[str, int], owner: str) -> Mapping[str, int]:
    for skill, level in levels.items():
        if not isinstance(level, int) or level < 0:
            raise ValueError(f"{owner}: level of skill {skill!r} must be an int >= 0, got {level!r}")
    return MappingProxyType(dict(levels))


def _check_unique_ids(candidates: Sequence[Candidate]) -> None:
    seen: set[str] = set()
    for candidate in candidates:
        if candidate.id in seen:
            raise ValueError(f"candidate {candidate.id} is listed twice")
        seen.add(candidate.id)


def _tie(others: int) -> str:
    if not others:
        return ""
    return f", tied with {_count(others, 'other')}, next in rotation"


def _skipped(pool: list[Candidate]) -> str:
    away = sum(1 for candidate in pool if not candidate.available)
    full = sum(1 for candidate in pool if candidate.available and candidate.at_capacity)
    notes = [text for number, text in ((away, f"{away} away"), (full, f"{full} at capacity")) if number]
    return f" ({', '.join(notes)})" if notes else ""


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _markets(markets: frozenset[str]) -> str:
    return ("market " if len(markets) == 1 else "markets ") + ", ".join(sorted(markets))


def _skills(required: Mapping[str, int]) -> str:
    if not required:
        return "no skills required"
    return ", ".join(f"{skill}>={level}" for skill, level in required.items())


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return " ".join(part for part in parts if part) or "0s"
