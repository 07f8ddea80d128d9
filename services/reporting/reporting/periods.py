"""The period a dashboard covers: whole calendar days in the reporting time zone, and the period just before it.

A period is asked for by name (`period=this_month`) or by its first and last day (`from=2026-11-01&to=2026-11-30`,
both days included). "this_*" periods are the whole calendar month, quarter or year (days still to come
included); "last_7_days" and "last_30_days" end today. The previous period, for comparisons, is the same
number of days just before the first day.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping
from zoneinfo import ZoneInfo

from crm_shared.errors import APIError

NAMED_PERIODS = (
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "last_7_days",
    "last_30_days",
)
DEFAULT_PERIOD = "this_month"
MAX_YEARS = 3
DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidParameter(APIError):
    """A query parameter of a dashboard that cannot be used; names the parameter."""

    def __init__(self, parameter: str, message: str):
        super().__init__(400, "invalid_parameter", message, {parameter: [message]})


@dataclass(frozen=True)
class Period:
    """From the first to the last day (both included), as days of `zone`."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The UTC instant the first day begins."""
        return midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The UTC instant the day after the last begins (excluded)."""
        return midnight(self.last + timedelta(days=1), self.zone)

    @property
    def day_after(self) -> date:
        return self.last + timedelta(days=1)

    @property
    def previous(self) -> "Period":
        """The same number of days just before this period."""
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last, self.zone)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant `day` begins in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    """The calendar day it is now in `zone`."""
    return (now or datetime.now(timezone.utc)).astimezone(zone).date()


def named_period(name: str, today: date, zone: ZoneInfo) -> Period:
    """The period called `name` (one of NAMED_PERIODS) as of `today`."""
    if name == "last_7_days":
        return Period(today - timedelta(days=6), today, zone)
    if name == "last_30_days":
        return Period(today - timedelta(days=29), today, zone)
    unit, which = {
        "this_month": ("month", 0),
        "last_month": ("month", -1),
        "this_quarter": ("quarter", 0),
        "last_quarter": ("quarter", -1),
        "this_year": ("year", 0),
        "last_year": ("year", -1),
    }[name]
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    index = (today.year * 12 + today.month - 1) // months * months + which * months
    first = date(index // 12, index % 12 + 1, 1)
    after = index + months
    return Period(first, date(after // 12, after % 12 + 1, 1) - timedelta(days=1), zone)


def period_from_query(args: Mapping[str, str], today: date, zone: ZoneInfo) -> Period:
    """The period the query parameters `period`, or `from` and `to`, ask for; this month when none is given."""
    name = args.get("period")
    first_text, last_text = args.get("from"), args.get("to")
    if name is not None and (first_text is not None or last_text is not None):
        raise InvalidParameter("period", "Give either `period` or `from` and `to`, not both.")
    if first_text is None and last_text is None:
        name = DEFAULT_PERIOD if name is None else name
        if name not in NAMED_PERIODS:
            raise InvalidParameter("period", f"There is no period '{name}'; use one of: {', '.join(NAMED_PERIODS)}.")
        return named_period(name, today, zone)
    if first_text is None:
        raise InvalidParameter("from", "`from` is missing: give the first day of the period as YYYY-MM-DD.")
    if last_text is None:
        raise InvalidParameter("to", "`to` is missing: give the last day of the period as YYYY-MM-DD.")
    first, last = _day(first_text, "from"), _day(last_text, "to")
    if last < first:
        raise InvalidParameter("to", f"`to` ({last}) is before `from` ({first}).")
    if last >= _years_after(first, MAX_YEARS):
        latest = _years_after(first, MAX_YEARS) - timedelta(days=1)
        raise InvalidParameter("to", f"A period is at most {MAX_YEARS} years long: `to` may be {latest} at the latest.")
    return Period(first, last, zone)


def _day(text: str, parameter: str) -> date:
    try:
        if not DAY_PATTERN.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(parameter, f"`{parameter}` must be a day written YYYY-MM-DD, not '{text}'.") from None


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28) + timedelta(days=1)
