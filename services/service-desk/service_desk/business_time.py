"""Business-time arithmetic over a working calendar: add business time to an instant, count it between two."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Mapping
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# A calendar with no working time at all would make `add_business_time` search forever; ten years is plenty.
SEARCH_DAYS = 3660
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Minutes since local midnight: (start, end), end up to 1440 (24:00).
Interval = tuple[int, int]


@dataclass(frozen=True)
class Calendar:
    """When the desk works: hours per weekday (Monday = 0) in a time zone, closed holidays, extra working days.

    An extra working day (调休: a weekend day worked instead of a holiday) has Monday's hours."""

    timezone: str
    weekly: Mapping[int, tuple[Interval, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        ZoneInfo(self.timezone)  # refuse an unknown zone now rather than at the first sum
        for weekday, intervals in self.weekly.items():
            if weekday not in range(7):
                raise ValueError(f"a weekday is 0 (Monday) to 6 (Sunday), not {weekday!r}")
            previous_end = 0
            for start, end in intervals:
                if not 0 <= start < end <= MINUTES_PER_DAY or start < previous_end:
                    raise ValueError(f"working hours of {WEEKDAYS[weekday]} must be sorted, non-overlapping "
                                     "intervals within the day")
                previous_end = end

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of a local date."""
        if day in self.holidays:
            return ()
        if day in self.extra_working_days:
            return self.weekly.get(0, ())
        return self.weekly.get(day.weekday(), ())


# Around the clock, every day: the calendar of a policy that names none.
ALWAYS = Calendar("UTC", {weekday: ((0, MINUTES_PER_DAY),) for weekday in range(7)})


def _local_instant(zone: ZoneInfo, day: date, minute: int) -> datetime:
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    # In UTC at once: arithmetic between two datetimes of one zone ignores a DST change between them.
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(timezone.utc)


def _working_spans(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working spans (aware instants, in order) that end after `start`, clipped to begin no earlier."""
    zone = calendar.zone
    start = start.astimezone(timezone.utc)
    day = start.astimezone(zone).date() - timedelta(days=1)  # yesterday's 24:00 may lie after start in UTC terms
    for _ in range(SEARCH_DAYS):
        for begin_minute, end_minute in calendar.hours_on(day):
            begin, end = _local_instant(zone, day, begin_minute), _local_instant(zone, day, end_minute)
            if end > start:
                yield max(begin, start), end
        day += timedelta(days=1)


def add_business_time(calendar: Calendar, start: datetime, amount: timedelta) -> datetime:
    """The instant at which `amount` of working time has passed since `start` (an aware datetime), in UTC."""
    if amount <= timedelta(0):
        return start
    remaining = amount
    for begin, end in _working_spans(calendar, start):
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
    raise ValueError("the calendar has no working time within ten years")


def business_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time between two aware instants; zero when end is not after start."""
    total = timedelta(0)
    end = end.astimezone(timezone.utc)
    if end <= start:
        return total
    for begin, finish in _working_spans(calendar, start):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total


def add_business_minutes(calendar: Calendar, start: datetime, minutes: int) -> datetime:
    """`add_business_time` in whole minutes."""
    return add_business_time(calendar, start, timedelta(minutes=minutes))


def business_minutes_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Whole working minutes between two instants (seconds left over are dropped)."""
    return int(business_time_between(calendar, start, end).total_seconds() // 60)


def parse_clock(text: str) -> int:
    """Minutes since midnight of "HH:MM" ("24:00" allowed as an end)."""
    hours, _, minutes = text.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"a time of day is written HH:MM, not {text!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time of day")
    return value


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
