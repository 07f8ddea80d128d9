"""SLA calendars and policies, and a ticket's SLA state computed from its history: pure, no database.

The state is derived from the ticket's history every time (never from counters kept in place), so
pauses, reopens and priority changes recorded in any order of events give the same answer:
- first response: from opening to the first public reply by an agent;
- next response: each customer public reply after the first response starts a cycle, ended by the next
  agent public reply (more customer replies while waiting do not restart it);
- resolution: from opening until resolved or closed; a reopen resumes the clock where it stood (the time
  spent resolved does not count), and each reopen starts a new cycle for warnings and breaches;
- resolving or closing also stops the response clocks;
- while the status is one of the policy's pause statuses the clock stops, which moves the deadline later;
- the policy is selected by the ticket's priority, category and customer level in force at each moment:
  after a change the new policy's target is measured from the cycle's start, a breach that already
  happened stays, and a target the ticket has already exceeded is breached at the moment of the change;
- when several policies match, each metric takes the earliest deadline among them (ties: lower position).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from service_desk.business_time import (
    ALWAYS,
    WEEKDAYS,
    Calendar,
    add_business_time,
    business_time_between,
    parse_clock,
)

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
RESOLUTION = "resolution"
METRICS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)

RUNNING = "running"
PAUSED = "paused"
WARNING = "warning"
MET = "met"
BREACHED = "breached"
# Worst first: the state a ticket shows when its metrics differ.
STATE_ORDER = (BREACHED, WARNING, RUNNING, PAUSED, MET)

WARNING_KIND = "warning"
BREACH_KIND = "breach"

DEFAULT_PAUSE_STATUSES = ("pending_customer", "on_hold")
DEFAULT_WARNING_PERCENT = 80
# Statuses in which the ticket is done with: the resolution clock stops, and so do the response clocks.
STOP_STATUSES = ("resolved", "closed")
OPENING_STATUS = "new"

AGENT = "agent"
CUSTOMER = "customer"


@dataclass(frozen=True)
class SlaCalendar:
    """A named working calendar as managers edit it; `calendar()` is what the arithmetic uses."""

    id: str
    name: str
    timezone: str
    # "mon".."sun" -> [(start "HH:MM", end "HH:MM"), ...]
    weekly_hours: Mapping[str, Sequence[tuple[str, str]]]
    holidays: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    version: int = 1

    def calendar(self) -> Calendar:
        weekly = {
            WEEKDAYS.index(day): tuple((parse_clock(start), parse_clock(end)) for start, end in intervals)
            for day, intervals in self.weekly_hours.items()
        }
        return Calendar(self.timezone, weekly, frozenset(self.holidays), frozenset(self.extra_working_days))


# Escalation levels of a policy: at a share of a target, or at its breach, some actions, once per ticket, target
# and cycle. The actions reuse the workflow rules' escalation (escalation.py).
BREACH_AT = "breach"
ESCALATION_TARGETS = (FIRST_RESPONSE, RESOLUTION)
NOTIFY_ASSIGNEE = "notify_assignee"
NOTIFY_TEAM_LEAD = "notify_team_lead"
NOTIFY_MANAGER = "notify_manager"
RAISE_PRIORITY = "raise_priority"
REASSIGN_TO_GROUP = "reassign_to_group:"  # followed by the group's id
ESCALATION_ACTIONS = (NOTIFY_ASSIGNEE, NOTIFY_TEAM_LEAD, NOTIFY_MANAGER, RAISE_PRIORITY)


@dataclass(frozen=True)
class EscalationLevel:
    """`at`: a percentage of the target's time (75) or "breach"; `target`: first_response or resolution."""

    at: int | str
    target: str
    actions: tuple[str, ...]

    @property
    def key(self) -> str:
        """What identifies the level within its target, whatever else of the policy changes: "75", "breach"."""
        return str(self.at)

    def reached(self, metric: "MetricSla") -> bool:
        if self.at == BREACH_AT:
            return metric.breached_at is not None
        return metric.elapsed.total_seconds() * 100 >= self.at * metric.target_minutes * 60

    def as_dict(self) -> dict:
        return {"at": self.at, "target": self.target, "actions": list(self.actions)}


@dataclass(frozen=True)
class SlaPolicy:
    """Which tickets it covers (empty condition = any), its targets in business minutes, and its clock rules."""

    id: str
    name: str
    position: int
    targets: Mapping[str, int | None]
    active: bool = True
    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    customer_levels: tuple[str, ...] = ()
    calendar_id: str | None = None
    pause_statuses: tuple[str, ...] = DEFAULT_PAUSE_STATUSES
    warning_percent: int = DEFAULT_WARNING_PERCENT
    escalation_levels: tuple[EscalationLevel, ...] = ()
    version: int = 1

    def matches(self, priority: str | None, category: str | None, customer_level: str | None) -> bool:
        return self.active and all(
            not wanted or value in wanted
            for wanted, value in ((self.priorities, priority), (self.categories, category),
                                  (self.customer_levels, customer_level))
        )

    def target(self, metric: str) -> timedelta | None:
        minutes = self.targets.get(metric)
        return None if minutes is None else timedelta(minutes=minutes)


@dataclass(frozen=True)
class HistoryFact:
    """What the SLA needs of one ticket history entry."""

    at: datetime
    kind: str
    to_status: str | None = None
    field: str | None = None
    old_value: Any = None
    new_value: Any = None
    public: bool = False
    author_kind: str | None = None


def fact_of(entry: Any) -> HistoryFact:
    """A history entry (a row object or a mapping with the ticket_history columns) as a fact."""
    get = entry.get if isinstance(entry, Mapping) else (lambda name, default=None: getattr(entry, name, default))
    detail = get("detail") or {}
    return HistoryFact(
        at=get("at"), kind=get("kind"), to_status=get("to_status"), field=get("field"),
        old_value=get("old_value"), new_value=get("new_value"), public=bool(get("public")),
        author_kind=detail.get("author_kind") if isinstance(detail, Mapping) else None,
    )


@dataclass(frozen=True)
class MetricSla:
    """One metric of one ticket at `now`, in its latest cycle."""

    metric: str
    policy_id: str
    policy_name: str
    cycle: int
    target_minutes: int
    started_at: datetime
    deadline: datetime | None
    warning_at: datetime | None
    elapsed: timedelta
    state: str
    met_at: datetime | None = None
    breached_at: datetime | None = None
    completed_at: datetime | None = None
    # The cycle in which the warning and the breach happened (a reopen may come after them).
    warning_cycle: int | None = None
    breach_cycle: int | None = None

    @property
    def elapsed_minutes(self) -> int:
        return int(self.elapsed.total_seconds() // 60)

    @property
    def remaining_minutes(self) -> int:
        return self.target_minutes - self.elapsed_minutes

    @property
    def share(self) -> float:
        return round(self.elapsed.total_seconds() / 60 / self.target_minutes, 4)


@dataclass(frozen=True)
class TicketSla:
    computed_at: datetime
    metrics: Mapping[str, MetricSla] = field(default_factory=dict)

    @property
    def state(self) -> str | None:
        states = {metric.state for metric in self.metrics.values()}
        return next((state for state in STATE_ORDER if state in states), None)

    @property
    def next_deadline(self) -> datetime | None:
        running = [m.deadline for m in self.metrics.values()
                   if m.deadline is not None and m.completed_at is None and m.state != PAUSED]
        return min(running, default=None)


def due_escalations(sla: TicketSla, policies: Mapping[str, SlaPolicy]) -> list[tuple[SlaPolicy, EscalationLevel, int]]:
    """(policy, level, cycle) of each escalation level the ticket has reached in a metric still running, by the
    policy that measures the metric now; whether it fired already is the caller's to check."""
    due = []
    for metric in sla.metrics.values():
        policy = policies.get(metric.policy_id)
        if policy is None or metric.completed_at is not None:
            continue
        for level in policy.escalation_levels:
            if level.target == metric.metric and level.reached(metric):
                due.append((policy, level, metric.cycle))
    return due


def condition_facts(sla: TicketSla) -> dict[str, dict]:
    """The SLA as workflow-rule conditions see it: `sla.<metric>.state|share|cycle` and `sla.any.state`."""
    facts: dict[str, dict] = {
        name: {"state": metric.state, "share": metric.share, "cycle": metric.cycle}
        for name, metric in sla.metrics.items()
    }
    facts["any"] = {"state": sla.state}
    return facts


# -- the computation ---------------------------------------------------------------------------------------

Span = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class _Cycle:
    number: int
    spans: tuple[Span, ...]  # when the clock may run (before pauses); the last may be open
    completed_at: datetime | None


def _status_periods(facts: Sequence[HistoryFact], opened_at: datetime) -> list[tuple[datetime, str]]:
    periods = [(opened_at, OPENING_STATUS)]
    for fact in facts:
        if fact.to_status and fact.to_status != periods[-1][1]:
            periods.append((max(fact.at, opened_at), fact.to_status))
    return periods


def _status_at(periods: list[tuple[datetime, str]], at: datetime) -> str:
    status = periods[0][1]
    for since, value in periods:
        if since > at:
            break
        status = value
    return status


def _first_stop_after(periods, start: datetime) -> datetime | None:
    return next((since for since, status in periods if since > start and status in STOP_STATUSES), None)


def _is_reply(fact: HistoryFact, author_kind: str) -> bool:
    return fact.kind == "public_reply" and fact.author_kind == author_kind


def _cycles(facts: Sequence[HistoryFact], periods, opened_at: datetime) -> dict[str, _Cycle]:
    cycles: dict[str, _Cycle] = {}
    first_reply = next((f.at for f in facts if _is_reply(f, AGENT)), None)
    stop = _first_stop_after(periods, opened_at)
    first_end = min((t for t in (first_reply, stop) if t is not None), default=None)
    cycles[FIRST_RESPONSE] = _Cycle(1, ((opened_at, first_end),), first_end)
    if first_reply is not None and (stop is None or first_reply <= stop):
        number, waiting_since = 0, None
        for fact in facts:
            if fact.at <= first_reply:
                continue
            if waiting_since is None and _is_reply(fact, CUSTOMER):
                number, waiting_since = number + 1, fact.at
                cycles[NEXT_RESPONSE] = _Cycle(number, ((fact.at, None),), None)
            elif waiting_since is not None and (_is_reply(fact, AGENT) or fact.to_status in STOP_STATUSES):
                cycles[NEXT_RESPONSE] = _Cycle(number, ((waiting_since, fact.at),), fact.at)
                waiting_since = None
    spans: list[list] = []
    for since, status in periods:
        working = status not in STOP_STATUSES
        if working and (not spans or spans[-1][1] is not None):
            spans.append([since, None])
        elif not working and spans and spans[-1][1] is None:
            spans[-1][1] = since
    cycles[RESOLUTION] = _Cycle(len(spans), tuple((a, b) for a, b in spans), spans[-1][1] if spans else opened_at)
    return cycles


def _running(spans: Sequence[Span], periods, pause_statuses: Sequence[str], until: datetime) -> list[Span]:
    """The parts of the spans, up to `until`, in which the status does not pause the clock."""
    running: list[Span] = []
    for start, end in spans:
        end = until if end is None or end > until else end
        for index, (since, status) in enumerate(periods):
            next_since = periods[index + 1][0] if index + 1 < len(periods) else None
            a, b = max(start, since), end if next_since is None else min(end, next_since)
            if a < b and status not in pause_statuses:
                running.append((a, b))
    return running


def _reach(calendar: Calendar, running: Sequence[Span], amount: timedelta, tail_from: datetime) -> datetime:
    """When the clock, running in `running` and again from `tail_from` on, has counted `amount`."""
    remaining = amount
    for start, end in running:
        counted = business_time_between(calendar, start, end)
        if counted >= remaining:
            return add_business_time(calendar, start, remaining)
        remaining -= counted
    return add_business_time(calendar, tail_from, remaining)


def _attributes_timeline(facts, opened_at, priority, category) -> list[tuple[datetime, str | None, str | None]]:
    """(since, priority, category), the first at opening; the values before a change are its old values."""
    changes = [f for f in facts if f.kind in ("priority_changed", "category_changed")]
    current = {"priority": priority, "category": category}
    for fact in reversed(changes):
        current["priority" if fact.kind == "priority_changed" else "category"] = fact.old_value
    timeline = [(opened_at, current["priority"], current["category"])]
    for fact in changes:
        current["priority" if fact.kind == "priority_changed" else "category"] = fact.new_value
        timeline.append((max(fact.at, opened_at), current["priority"], current["category"]))
    return timeline


def compute_sla(
    entries: Iterable[Any],
    *,
    priority: str | None,
    category: str | None,
    customer_level: str | None,
    policies: Sequence[SlaPolicy],
    calendars: Mapping[str, SlaCalendar],
    now: datetime,
) -> TicketSla:
    """The SLA of a ticket at `now` from its history entries (oldest first) and its current priority and category."""
    every_fact = [entry if isinstance(entry, HistoryFact) else fact_of(entry) for entry in entries]
    facts = [fact for fact in every_fact if fact.at <= now]
    opened = next((f for f in facts if f.kind == "opened"), facts[0] if facts else None)
    if opened is None:
        return TicketSla(now)
    ordered = sorted(policies, key=lambda p: (p.position, p.name))
    periods = _status_periods(facts, opened.at)
    # From every entry: the current priority and category are known, earlier ones are read back from the changes.
    timeline = [point for point in _attributes_timeline(every_fact, opened.at, priority, category) if point[0] <= now]
    cycles = _cycles(facts, periods, opened.at)
    metrics = {}
    for metric in METRICS:
        cycle = cycles.get(metric)
        if cycle is None:
            continue
        measured = _metric(metric, cycle, periods, timeline, customer_level, ordered, calendars, now)
        if measured is not None:
            metrics[metric] = measured
    return TicketSla(now, metrics)


def _calendar_of(policy: SlaPolicy, calendars: Mapping[str, SlaCalendar]) -> Calendar:
    if policy.calendar_id is None or policy.calendar_id not in calendars:
        return ALWAYS
    return calendars[policy.calendar_id].calendar()


def _cycle_number(cycle: _Cycle, metric: str, at: datetime) -> int:
    if metric != RESOLUTION:
        return cycle.number
    return max(1, sum(1 for start, _ in cycle.spans if start <= at))


def _metric(metric, cycle: _Cycle, periods, timeline, customer_level, policies, calendars, now) -> MetricSla | None:
    started_at = cycle.spans[0][0]
    until = cycle.completed_at if cycle.completed_at is not None else now
    # The policy in force changes with the ticket's attributes: segments of the cycle between changes.
    points = [started_at] + [since for since, _, _ in timeline if started_at < since < until] + [until]
    attributes_at = lambda at: next(  # noqa: E731
        ((p, c) for since, p, c in reversed(timeline) if since <= at), timeline[0][1:])
    warning_at = breached_at = None
    winner = None
    for index in range(len(points) - 1):
        begin, end = points[index], points[index + 1]
        priority, category = attributes_at(begin)
        candidates = []
        for policy in policies:
            target = policy.target(metric)
            if target is None or not policy.matches(priority, category, customer_level):
                continue
            calendar = _calendar_of(policy, calendars)
            running = _running(cycle.spans, periods, policy.pause_statuses, until)
            deadline = _reach(calendar, running, target, until)
            warn = _reach(calendar, running, target * policy.warning_percent / 100, until)
            candidates.append((deadline, policy.position, policy, calendar, running, warn))
        if not candidates:
            winner = None
            continue
        winner = min(candidates, key=lambda c: (c[0], c[1]))
        deadline, _, _, _, _, warn = winner
        last = index == len(points) - 2
        crossed = (lambda t: t < end) if (not last or cycle.completed_at is not None) else (lambda t: t <= end)
        if breached_at is None and crossed(deadline):
            breached_at = max(deadline, begin)
        if warning_at is None and crossed(warn):
            warning_at = max(warn, begin)
    if winner is None:
        return None
    deadline, _, policy, calendar, running, _ = winner
    elapsed = sum((business_time_between(calendar, a, b) for a, b in running), timedelta(0))
    paused = cycle.completed_at is None and _status_at(periods, now) in policy.pause_statuses
    if cycle.completed_at is not None:
        state = BREACHED if breached_at is not None else MET
    elif breached_at is not None:
        state = BREACHED
    elif paused:
        state = PAUSED
    elif warning_at is not None:
        state = WARNING
    else:
        state = RUNNING
    return MetricSla(
        metric=metric, policy_id=policy.id, policy_name=policy.name,
        cycle=cycle.number if metric != RESOLUTION else max(1, len(cycle.spans)),
        target_minutes=policy.targets[metric], started_at=started_at,
        deadline=None if paused else deadline, warning_at=warning_at, elapsed=elapsed, state=state,
        met_at=cycle.completed_at if state == MET else None, breached_at=breached_at,
        completed_at=cycle.completed_at,
        warning_cycle=_cycle_number(cycle, metric, warning_at) if warning_at else None,
        breach_cycle=_cycle_number(cycle, metric, breached_at) if breached_at else None,
    )
