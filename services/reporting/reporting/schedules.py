"""When a scheduled report runs (frequencies, their checks, the next run after a moment, in UTC) and what it makes.

Times of day, weekdays and days of the month are read in the schedule's own time zone, so a daily 08:00
report arrives at 08:00 local time on both sides of a daylight-saving change. A local time that does not
exist that day (the hour skipped in spring) runs at the same distance past the jump (02:30 becomes 03:30);
one that happens twice (autumn) runs at its first occurrence only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from crm_shared.errors import APIError

DAILY, WEEKLY, MONTHLY, CRON = "daily", "weekly", "monthly", "cron"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY, CRON)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LAST_DAY_OF_MONTH = 28  # every month has it, so a monthly report never skips February
MIN_CRON_INTERVAL = timedelta(minutes=15)
# What a run makes for each recipient: spreadsheets of every row, or the chart of a report laid out as one.
SPREADSHEET_FORMATS = ("xlsx", "csv")
CHART_FORMATS = ("png", "svg")
FORMATS = SPREADSHEET_FORMATS + CHART_FORMATS
# Enough consecutive runs to meet every gap an expression's minute and hour lists can make.
_CRON_SAMPLE_RUNS = 500
_CRON_SAMPLE_START = datetime(2026, 1, 1)
_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class InvalidSchedule(APIError):
    """A schedule that cannot run as given; `where` names the field."""

    def __init__(self, where: str, message: str):
        super().__init__(400, "invalid_schedule", f"{where}: {message}", {where: [message]})


@dataclass(frozen=True)
class Recurrence:
    """How often a report runs: daily/weekly/monthly at a local time of day, or a cron expression, in `zone`."""

    frequency: str
    zone: ZoneInfo
    time_of_day: time | None = None
    weekday: str | None = None  # weekly: monday ... sunday
    day_of_month: int | None = None  # monthly: 1-28
    cron: str | None = None

    def next_after(self, moment: datetime) -> datetime:
        """The first run strictly after `moment` (timezone-aware), in UTC."""
        if self.frequency == CRON:
            local = moment.astimezone(self.zone)
            return croniter(self.cron, local).get_next(datetime).astimezone(timezone.utc)
        day = moment.astimezone(self.zone).date()
        while True:
            if self._runs_on(day):
                at = _utc(day, self.time_of_day, self.zone)
                if at > moment:
                    return at
            day += timedelta(days=1)

    def _runs_on(self, day: date) -> bool:
        if self.frequency == WEEKLY:
            return WEEKDAYS[day.weekday()] == self.weekday
        if self.frequency == MONTHLY:
            return day.day == self.day_of_month
        return True


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: the first of two equal local times, and the pre-jump offset for a skipped one.
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(timezone.utc)


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidSchedule("time_zone", f"{name!r} is not a time zone; use a name such as Asia/Shanghai") from error


def time_of_day(text: str) -> time:
    match = _TIME_OF_DAY.match(text or "")
    if match is None:
        raise InvalidSchedule("time_of_day", f"{text!r} is not a time of day; use HH:MM on a 24-hour clock, such as 08:30")
    return time(int(match.group(1)), int(match.group(2)))


def check_cron(expression: str) -> str:
    """A five-field cron expression that runs at most every 15 minutes, tidied; refused otherwise."""
    fields = (expression or "").split()
    if len(fields) != 5:
        raise InvalidSchedule("cron", "give five fields: minute hour day-of-month month day-of-week, such as '0 8 * * 1-5'")
    tidy = " ".join(fields)
    try:
        runs = croniter(tidy, _CRON_SAMPLE_START)
        previous = runs.get_next(datetime)
        for _ in range(_CRON_SAMPLE_RUNS):
            following = runs.get_next(datetime)
            if following - previous < MIN_CRON_INTERVAL:
                raise InvalidSchedule(
                    "cron", f"runs again {int((following - previous).total_seconds() // 60)} minutes after a run; a report may run at most every 15 minutes"
                )
            previous = following
    except (CroniterError, ValueError, KeyError) as error:
        raise InvalidSchedule("cron", f"{tidy!r} is not a cron expression: {error}") from error
    return tidy


def recurrence_of(values: dict) -> Recurrence:
    """The recurrence a schedule's fields describe, each checked; the field at fault is named."""
    frequency = values.get("frequency")
    if frequency not in FREQUENCIES:
        raise InvalidSchedule("frequency", f"choose one of {', '.join(FREQUENCIES)}")
    zone = time_zone(values["time_zone"])
    if frequency == CRON:
        return Recurrence(CRON, zone, cron=check_cron(values.get("cron") or ""))
    if values.get("cron"):
        raise InvalidSchedule("cron", f"a cron expression is for the cron frequency, not {frequency}")
    at = time_of_day(values.get("time_of_day") or "")
    weekday = values.get("weekday")
    day_of_month = values.get("day_of_month")
    if frequency == WEEKLY and weekday not in WEEKDAYS:
        raise InvalidSchedule("weekday", f"a weekly report needs its day: one of {', '.join(WEEKDAYS)}")
    if frequency != WEEKLY and weekday is not None:
        raise InvalidSchedule("weekday", f"a weekday is for weekly reports, not {frequency}")
    if frequency == MONTHLY and not (isinstance(day_of_month, int) and 1 <= day_of_month <= LAST_DAY_OF_MONTH):
        raise InvalidSchedule("day_of_month", f"a monthly report needs a day from 1 to {LAST_DAY_OF_MONTH} (every month has it)")
    if frequency != MONTHLY and day_of_month is not None:
        raise InvalidSchedule("day_of_month", f"a day of the month is for monthly reports, not {frequency}")
    return Recurrence(frequency, zone, time_of_day=at, weekday=weekday, day_of_month=day_of_month)
