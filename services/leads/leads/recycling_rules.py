"""The recycle rules of a pool: which owned leads go back to the public pool, which are warned first, and why."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from crm_shared.errors import APIError
from leads.domain import CLAIMED, CONVERTED

# How days are counted (the one rule every number below follows):
# - A clock starts at an instant and counts whole calendar days in the business time zone: the day it
#   started is day 0, the next local midnight begins day 1, and so on, whatever the hour of the start.
# - A limit of N is reached on day N, so the deadline is the start (00:00 local) of day N, never mid-day:
#   a nightly job that runs after local midnight sees every lead due that day. A lead claimed at 23:59
#   loses that minute's day, one claimed at 00:01 keeps it; both are recycled at the same midnight.
# - A tier "day D" is due from the start of day D on the same clock.
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")

ANY = "any"
ALL = "all"
COMBINES = (ANY, ALL)

NO_FOLLOW_UP = "no_follow_up_days"
NOT_CONVERTED = "not_converted_days"
CONDITIONS = (NO_FOLLOW_UP, NOT_CONVERTED)

REMIND_REP = "remind_rep"
REMIND_REP_AND_MANAGER = "remind_rep_and_manager"
REASSIGN = "reassign"
RECYCLE = "recycle"
ACTIONS = (REMIND_REP, REMIND_REP_AND_MANAGER, REASSIGN, RECYCLE)
REMINDERS = (REMIND_REP, REMIND_REP_AND_MANAGER)
TERMINAL = (REASSIGN, RECYCLE)

# Why a lead is left out of recycling, whatever its clocks say.
NOT_OWNED = "not_owned"
ALREADY_CONVERTED = "converted"
LOCKED = "locked"
OPEN_OPPORTUNITY = "open_opportunity"
OPEN_TICKET = "open_ticket"

DEFAULT_BASIS = "default"
_WORDING = {NO_FOLLOW_UP: "no follow-up", NOT_CONVERTED: "not converted"}


class InvalidRecyclePolicy(APIError):
    """A recycle policy that cannot be used; `key` is the dotted path of the offending setting."""

    def __init__(self, key: str, message: str):
        super().__init__(422, "validation_failed", f"The recycle policy is not valid. {key}: {message}",
                         {key: [message]})
        self.key = key


# -- the policy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """A limit in days: a default, overridden by the lead's customer level or industry (the larger wins)."""

    default: int
    by_level: Mapping[str, int] = field(default_factory=dict)
    by_industry: Mapping[str, int] = field(default_factory=dict)

    def for_lead(self, level: str | None, industry: str | None) -> tuple[int, str]:
        """The limit for a lead and where it comes from; with both a level and an industry limit, the more lenient."""
        candidates = []
        if level is not None and level in self.by_level:
            candidates.append((self.by_level[level], f"level {level}"))
        if industry is not None and industry in self.by_industry:
            candidates.append((self.by_industry[industry], f"industry {industry}"))
        if not candidates:
            return self.default, DEFAULT_BASIS
        # Ties go to the level, listed first: max() keeps the first of equal keys.
        return max(candidates, key=lambda candidate: candidate[0])

    def to_dict(self) -> int | dict:
        if not self.by_level and not self.by_industry:
            return self.default
        return {"default": self.default, "by_level": dict(self.by_level), "by_industry": dict(self.by_industry)}


@dataclass(frozen=True)
class Tier:
    """One step of an escalation: from day `day` of the clock, do `action`."""

    day: int
    action: str

    @property
    def label(self) -> str:
        return f"day{self.day}:{self.action}"

    def to_dict(self) -> dict:
        return {"day": self.day, "action": self.action}


@dataclass(frozen=True)
class RecyclePolicy:
    """How a pool takes leads back from reps who sit on them; build it with `from_dict`, which validates."""

    combine: str = ANY
    no_follow_up_days: Threshold | None = None
    not_converted_days: Threshold | None = None
    warn_days_before: int = 0
    tiers: tuple[Tier, ...] = ()
    max_locked_per_rep: int = 0

    @classmethod
    def from_dict(cls, data: Any) -> "RecyclePolicy":
        """Parse and validate a JSON-able dict; unknown keys and bad values raise `InvalidRecyclePolicy`."""
        _require_mapping("recycle_policy", data)
        _refuse_unknown("", data, ("combine", *CONDITIONS, "warn_days_before", "tiers", "max_locked_per_rep"))
        combine = data.get("combine", ANY)
        if combine not in COMBINES:
            raise InvalidRecyclePolicy("combine", f"Must be one of: {', '.join(COMBINES)}.")
        thresholds = {name: _threshold(name, data[name]) for name in CONDITIONS if data.get(name) is not None}
        if not thresholds:
            raise InvalidRecyclePolicy(NO_FOLLOW_UP, f"Set at least one of {' or '.join(CONDITIONS)}.")
        warn_days_before = _days("warn_days_before", data.get("warn_days_before", 0), minimum=0)
        tiers = _tiers(data.get("tiers") or [])
        if tiers and warn_days_before:
            raise InvalidRecyclePolicy("warn_days_before", "Use either warn_days_before or tiers, not both.")
        return cls(
            combine=combine,
            no_follow_up_days=thresholds.get(NO_FOLLOW_UP),
            not_converted_days=thresholds.get(NOT_CONVERTED),
            warn_days_before=warn_days_before,
            tiers=tiers,
            max_locked_per_rep=_days("max_locked_per_rep", data.get("max_locked_per_rep", 0), minimum=0),
        )

    def to_dict(self) -> dict:
        """The JSON-able form `from_dict` reads back."""
        data: dict[str, Any] = {"combine": self.combine}
        for name in CONDITIONS:
            threshold = getattr(self, name)
            if threshold is not None:
                data[name] = threshold.to_dict()
        data["warn_days_before"] = self.warn_days_before
        data["tiers"] = [tier.to_dict() for tier in self.tiers]
        data["max_locked_per_rep"] = self.max_locked_per_rep
        return data


def _require_mapping(key: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise InvalidRecyclePolicy(key, "Must be an object.")


def _refuse_unknown(prefix: str, data: Mapping, known: Sequence[str]) -> None:
    for key in data:
        if key not in known:
            raise InvalidRecyclePolicy(f"{prefix}{key}", f"Unknown setting; expected one of: {', '.join(known)}.")


def _days(key: str, value: Any, minimum: int) -> int:
    # bool is an int in Python; `true` in a JSON policy is a mistake, not a 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecyclePolicy(key, "Must be a whole number.")
    if value < minimum:
        raise InvalidRecyclePolicy(key, f"Must be at least {minimum}.")
    return value


def _threshold(name: str, value: Any) -> Threshold:
    if not isinstance(value, Mapping):
        return Threshold(_days(name, value, minimum=1))
    _refuse_unknown(f"{name}.", value, ("default", "by_level", "by_industry"))
    if "default" not in value:
        raise InvalidRecyclePolicy(f"{name}.default", "Required: the limit for leads no other entry matches.")
    overrides = {}
    for group in ("by_level", "by_industry"):
        entries = value.get(group) or {}
        _require_mapping(f"{name}.{group}", entries)
        for key, days in entries.items():
            if not isinstance(key, str) or not key:
                raise InvalidRecyclePolicy(f"{name}.{group}", "Keys must be non-empty strings.")
            _days(f"{name}.{group}.{key}", days, minimum=1)
        overrides[group] = dict(entries)
    return Threshold(_days(f"{name}.default", value["default"], minimum=1), **overrides)


def _tiers(value: Any) -> tuple[Tier, ...]:
    if not isinstance(value, list):
        raise InvalidRecyclePolicy("tiers", "Must be a list of {day, action}.")
    tiers: list[Tier] = []
    for index, entry in enumerate(value):
        key = f"tiers.{index}"
        _require_mapping(key, entry)
        _refuse_unknown(f"{key}.", entry, ("day", "action"))
        if "day" not in entry or "action" not in entry:
            raise InvalidRecyclePolicy(key, "Each tier needs a day and an action.")
        day = _days(f"{key}.day", entry["day"], minimum=1)
        if entry["action"] not in ACTIONS:
            raise InvalidRecyclePolicy(f"{key}.action", f"Must be one of: {', '.join(ACTIONS)}.")
        if tiers and day <= tiers[-1].day:
            raise InvalidRecyclePolicy(f"{key}.day", f"Tiers must go up by day; {day} follows {tiers[-1].day}.")
        if tiers and tiers[-1].action in TERMINAL:
            raise InvalidRecyclePolicy(key, f"Nothing can follow {tiers[-1].action!r}: the lead has left its owner.")
        tiers.append(Tier(day, entry["action"]))
    return tuple(tiers)


def may_lock(policy: RecyclePolicy, locked_by_rep: int) -> bool:
    """Whether a rep who has `locked_by_rep` leads locked may lock one more against recycling."""
    return locked_by_rep < policy.max_locked_per_rep


# -- the facts and the decisions -------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFacts:
    """What the rules need to know about one lead, read by the caller; times are timezone-aware."""

    lead_id: str
    owner_id: str | None
    status: str
    got_at: datetime | None  # when the current owner claimed it or was given it
    last_followed_up_at: datetime | None = None
    converted: bool = False
    level: str | None = None
    industry: str | None = None
    locked: bool = False
    has_open_opportunity: bool = False
    has_open_ticket: bool = False


@dataclass(frozen=True)
class Keep:
    """Nothing to do yet; `days_left` until the policy would recycle it."""

    reason: str
    days_left: int


@dataclass(frozen=True)
class Excluded:
    """Left out of recycling whatever its clocks say."""

    reason_code: str


@dataclass(frozen=True)
class Warn:
    """A warning tier is due (or, for `reassign`, the lead goes to another rep); deduplicate with `warning_key`."""

    action: str
    days_left: int
    rule: str
    reason: str
    clock_started_at: datetime
    tier: Tier | None = None  # None: the plain warning `warn_days_before` days ahead


@dataclass(frozen=True)
class Finding:
    """One condition that has been met: how many days against which limit, and where the limit comes from."""

    rule: str
    days: int
    limit: int
    basis: str

    @property
    def text(self) -> str:
        """`no follow-up for 9 days (limit 7 for level C)`, or `(limit 7 by default)`."""
        source = "by default" if self.basis == DEFAULT_BASIS else f"for {self.basis}"
        return f"{_WORDING[self.rule]} for {_plural(self.days)} (limit {self.limit} {source})"


@dataclass(frozen=True)
class Recycle:
    """Back to the public pool; `rule` names the condition(s) that fired (joined by '+') or the tier."""

    rule: str
    reason: str
    findings: tuple[Finding, ...] = ()


Decision = Keep | Excluded | Warn | Recycle


@dataclass(frozen=True)
class Clock:
    """One condition's count for a lead: since when, how many days so far, the limit and the deadline."""

    rule: str
    started_at: datetime
    days: int
    limit: int
    basis: str
    deadline: datetime  # 00:00 local on day `limit`, in UTC

    @property
    def days_left(self) -> int:
        return self.limit - self.days

    @property
    def reached(self) -> bool:
        return self.days >= self.limit

    def finding(self) -> Finding:
        return Finding(self.rule, self.days, self.limit, self.basis)


# -- evaluation ----------------------------------------------------------------------------------


def days_between(start: datetime, now: datetime, tz: tzinfo = BUSINESS_TZ) -> int:
    """Local midnights crossed from `start` to `now` in `tz`: 0 on the same local day, never negative."""
    return max(0, (_local_date(now, tz) - _local_date(start, tz)).days)


def clocks(policy: RecyclePolicy, facts: LeadFacts, now: datetime, tz: tzinfo = BUSINESS_TZ) -> list[Clock]:
    """The clock of each condition the policy sets, in the order no follow-up, not converted."""
    if facts.got_at is None:
        raise ValueError(f"lead {facts.lead_id} is owned but has no got_at")
    starts = {
        # A follow-up logged before the current owner got the lead (by a previous owner) does not count.
        NO_FOLLOW_UP: max(_aware(facts.got_at), _aware(facts.last_followed_up_at or facts.got_at)),
        NOT_CONVERTED: _aware(facts.got_at),
    }
    result = []
    for rule in CONDITIONS:
        threshold: Threshold | None = getattr(policy, rule)
        if threshold is None:
            continue
        limit, basis = threshold.for_lead(facts.level, facts.industry)
        start = starts[rule]
        deadline_day = _local_date(start, tz) + timedelta(days=limit)
        deadline = datetime.combine(deadline_day, time(0), tzinfo=tz).astimezone(timezone.utc)
        result.append(Clock(rule, start, days_between(start, _aware(now), tz), limit, basis, deadline))
    return result


def exclusion(facts: LeadFacts) -> str | None:
    """Why the lead is out of recycling's reach, or None; the first that applies, in a fixed order."""
    if facts.converted or facts.status == CONVERTED:
        return ALREADY_CONVERTED
    if facts.status != CLAIMED or facts.owner_id is None:
        return NOT_OWNED
    if facts.locked:
        return LOCKED
    if facts.has_open_opportunity:
        return OPEN_OPPORTUNITY
    if facts.has_open_ticket:
        return OPEN_TICKET
    return None


def evaluate(policy: RecyclePolicy, facts: LeadFacts, now: datetime, tz: tzinfo = BUSINESS_TZ) -> Decision:
    """What the policy says about one lead at `now`, counting days in `tz` (pass the business time zone)."""
    excluded = exclusion(facts)
    if excluded:
        return Excluded(excluded)
    counted = clocks(policy, facts, now, tz)
    lead = _leading(policy, counted)
    step = _latest_step(policy, lead)
    if step is None:
        return Keep(_describe(lead) + f": {_plural(lead.days_left)} left", lead.days_left)
    day, action, tier = step
    if action == RECYCLE and tier is None:
        met = tuple(clock.finding() for clock in counted if clock.reached)
        return Recycle("+".join(f.rule for f in met), " and ".join(f.text for f in met), met)
    if action == RECYCLE:
        return Recycle("tiers", f"{_describe(lead)}: the tier of day {day} recycles", (lead.finding(),))
    wording = {REMIND_REP: "remind the rep", REMIND_REP_AND_MANAGER: "remind the rep and their manager",
               REASSIGN: "reassign to another rep"}[action]
    reason = f"{_describe(lead)}: {wording}" + (f", {_plural(lead.days_left)} left" if lead.days_left > 0 else "")
    return Warn(action, max(0, lead.days_left), lead.rule, reason, lead.started_at, tier)


def preview(policy: RecyclePolicy, facts_list: Iterable[LeadFacts], now: datetime,
            tz: tzinfo = BUSINESS_TZ) -> list[tuple[LeadFacts, Decision]]:
    """What the policy says about each lead now, changing nothing: the answer to "what would go, and why"."""
    return [(facts, evaluate(policy, facts, now, tz)) for facts in facts_list]


def to_recycle(results: Iterable[tuple[LeadFacts, Decision]]) -> list[tuple[LeadFacts, Recycle]]:
    """The leads the job takes back; record `facts.owner_id` as the previous owner and `decision.rule`."""
    return [(facts, decision) for facts, decision in results if isinstance(decision, Recycle)]


def to_reassign(results: Iterable[tuple[LeadFacts, Decision]]) -> list[tuple[LeadFacts, Warn]]:
    """The leads whose `reassign` tier is due: the job gives them to another rep."""
    return [(facts, decision) for facts, decision in results
            if isinstance(decision, Warn) and decision.action == REASSIGN]


def to_remind(results: Iterable[tuple[LeadFacts, Decision]]) -> list[tuple[LeadFacts, Warn]]:
    """The reminders due; send each once, keyed by `warning_key`."""
    return [(facts, decision) for facts, decision in results
            if isinstance(decision, Warn) and decision.action in REMINDERS]


def warning_key(facts: LeadFacts, warning: Warn) -> str:
    """Sends each warning once per clock: the lead, the start of the clock that warned, the rule and the tier.

    A clock restarts when the lead changes hands (got_at) and, for no follow-up, after a follow-up, so the same
    step warns again only for a new period; running the job twice a night sends nothing twice.
    """
    step = warning.tier.label if warning.tier else f"warn:{warning.action}"
    started = _aware(warning.clock_started_at).astimezone(timezone.utc).isoformat()
    return f"{facts.lead_id}:{started}:{warning.rule}:{step}"


def _leading(policy: RecyclePolicy, counted: Sequence[Clock]) -> Clock:
    # The clock that decides when the lead goes: the first to run out for "any", the last for "all".
    # Ties go to the condition listed first (no follow-up): min/max keep the first of equal keys.
    if policy.combine == ANY:
        return min(counted, key=lambda clock: clock.days_left)
    return max(counted, key=lambda clock: clock.days_left)


def _latest_step(policy: RecyclePolicy, lead: Clock) -> tuple[int, str, Tier | None] | None:
    # The steps on the leading clock: the tiers (or the plain warning) and the limit itself. The latest due
    # step wins; on the same day a reassign or recycle tier beats the limit, which beats a reminder. Tiers
    # after this lead's limit never come: the limit recycles the lead first.
    steps: list[tuple[int, int, str, Tier | None]] = [(lead.limit, 1, RECYCLE, None)]
    for tier in policy.tiers:
        if tier.day <= lead.limit:
            steps.append((tier.day, 2 if tier.action in TERMINAL else 0, tier.action, tier))
    if policy.warn_days_before:
        steps.append((max(0, lead.limit - policy.warn_days_before), 0, REMIND_REP, None))
    due = [step for step in steps if step[0] <= lead.days]
    if not due:
        return None
    day, _, action, tier = max(due, key=lambda step: (step[0], step[1]))
    return day, action, tier


def _describe(clock: Clock) -> str:
    return clock.finding().text


def _plural(days: int) -> str:
    return f"{days} day" if days == 1 else f"{days} days"


def _local_date(moment: datetime, tz: tzinfo) -> date:
    return _aware(moment).astimezone(tz).date()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the recycle rules need timezone-aware times")
    return moment
