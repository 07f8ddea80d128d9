"""When scheduled reports run next: local times of day across month ends and daylight-saving changes, and cron."""
from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from reporting.schedules import InvalidSchedule, Recurrence, check_cron, recurrence_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def runs(recurrence: Recurrence, start: datetime, count: int) -> list[datetime]:
    moments, moment = [], start
    for _ in range(count):
        moment = recurrence.next_after(moment)
        moments.append(moment)
    return moments


def test_a_daily_shanghai_report_runs_at_eight_local_that_is_midnight_utc_across_the_month_end():
    daily = Recurrence("daily", SHANGHAI, time_of_day=time(8, 0))
    assert runs(daily, utc(2026, 1, 30, 1), 3) == [utc(2026, 1, 31, 0), utc(2026, 2, 1, 0), utc(2026, 2, 2, 0)]


def test_the_next_run_is_strictly_after_the_moment_given():
    daily = Recurrence("daily", SHANGHAI, time_of_day=time(8, 0))
    assert daily.next_after(utc(2026, 1, 31, 0)) == utc(2026, 2, 1, 0)
    assert daily.next_after(utc(2026, 1, 30, 23, 59)) == utc(2026, 1, 31, 0)


def test_a_daily_berlin_report_keeps_its_local_time_when_the_clocks_change():
    daily = Recurrence("daily", BERLIN, time_of_day=time(8, 0))
    # Summer time starts on 29 March 2026: 08:00 is 07:00 UTC before and 06:00 UTC after.
    assert runs(daily, utc(2026, 3, 27, 12), 3) == [utc(2026, 3, 28, 7), utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)]
    # It ends on 25 October 2026.
    assert runs(daily, utc(2026, 10, 23, 12), 3) == [utc(2026, 10, 24, 6), utc(2026, 10, 25, 7), utc(2026, 10, 26, 7)]


def test_a_local_time_skipped_in_spring_runs_once_just_after_the_jump_and_a_repeated_one_runs_once():
    nightly = Recurrence("daily", BERLIN, time_of_day=time(2, 30))
    # 29 March 02:30 does not exist: 01:30 UTC is 03:30 summer time.
    assert runs(nightly, utc(2026, 3, 28, 12), 2) == [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]
    # 25 October 02:30 happens twice: the first (summer time, 00:30 UTC) only.
    assert runs(nightly, utc(2026, 10, 24, 12), 2) == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_a_weekly_report_runs_on_its_weekday_only():
    weekly = Recurrence("weekly", SHANGHAI, time_of_day=time(9, 30), weekday="monday")
    # 27 November 2026 is a Friday; the Mondays after are 30 November and 7 December.
    assert runs(weekly, utc(2026, 11, 27, 0), 2) == [utc(2026, 11, 30, 1, 30), utc(2026, 12, 7, 1, 30)]
    on_berlin_mondays = Recurrence("weekly", BERLIN, time_of_day=time(9, 0), weekday="monday")
    assert runs(on_berlin_mondays, utc(2026, 3, 25), 2) == [utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)]


def test_a_monthly_report_runs_on_its_day_each_month_through_february_and_the_year_end():
    monthly = Recurrence("monthly", SHANGHAI, time_of_day=time(7, 0), day_of_month=28)
    assert runs(monthly, utc(2026, 12, 1), 3) == [utc(2026, 12, 27, 23), utc(2027, 1, 27, 23), utc(2027, 2, 27, 23)]
    first = Recurrence("monthly", BERLIN, time_of_day=time(6, 0), day_of_month=1)
    assert runs(first, utc(2026, 2, 15), 2) == [utc(2026, 3, 1, 5), utc(2026, 4, 1, 4)]


def test_a_cron_report_runs_in_its_own_zone_across_a_month_end_and_a_clock_change():
    weekdays_at_eight = Recurrence("cron", SHANGHAI, cron="0 8 * * 1-5")
    # Friday 30 January 2026, then Monday 2 February.
    assert runs(weekdays_at_eight, utc(2026, 1, 29, 1), 2) == [utc(2026, 1, 30, 0), utc(2026, 2, 2, 0)]
    berlin_mornings = Recurrence("cron", BERLIN, cron="0 8 * * *")
    assert runs(berlin_mornings, utc(2026, 3, 28, 12), 2) == [utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)]
    quarter_hours = Recurrence("cron", BERLIN, cron="*/15 * * * *")
    assert runs(quarter_hours, utc(2026, 3, 31, 23, 50), 2) == [utc(2026, 4, 1, 0, 0), utc(2026, 4, 1, 0, 15)]


@pytest.mark.parametrize("expression", ["*/10 * * * *", "0,5 9 * * *", "0,50 * * * *", "* * * * *"])
def test_cron_expressions_running_more_often_than_every_fifteen_minutes_are_refused(expression):
    with pytest.raises(InvalidSchedule) as refused:
        check_cron(expression)
    assert "at most every 15 minutes" in refused.value.message
    assert list(refused.value.errors) == ["cron"]


@pytest.mark.parametrize("expression", ["61 * * * *", "0 8 * *", "0 0 8 * * *", "@daily", "not cron at all", "0 0 31 2 *"])
def test_expressions_that_are_not_five_field_cron_are_refused_naming_the_field(expression):
    with pytest.raises(InvalidSchedule) as refused:
        check_cron(expression)
    assert refused.value.status == 400
    assert list(refused.value.errors) == ["cron"]


def test_every_fifteen_minutes_and_working_days_are_accepted():
    assert check_cron("*/15  * * * *") == "*/15 * * * *"
    assert check_cron("0 8 * * mon-fri") == "0 8 * * mon-fri"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"frequency": "hourly"}, "frequency"),
        ({"frequency": "daily", "time_of_day": "25:00"}, "time_of_day"),
        ({"frequency": "daily", "time_of_day": "8:00"}, "time_of_day"),
        ({"frequency": "daily", "time_of_day": None}, "time_of_day"),
        ({"frequency": "daily", "time_of_day": "08:00", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"frequency": "weekly", "time_of_day": "08:00"}, "weekday"),
        ({"frequency": "daily", "time_of_day": "08:00", "weekday": "monday"}, "weekday"),
        ({"frequency": "monthly", "time_of_day": "08:00", "day_of_month": 31}, "day_of_month"),
        ({"frequency": "monthly", "time_of_day": "08:00", "day_of_month": 0}, "day_of_month"),
        ({"frequency": "weekly", "time_of_day": "08:00", "weekday": "monday", "day_of_month": 3}, "day_of_month"),
        ({"frequency": "daily", "time_of_day": "08:00", "cron": "0 8 * * *"}, "cron"),
        ({"frequency": "cron", "cron": None}, "cron"),
    ],
)
def test_each_refused_recurrence_names_its_field(values, field):
    with pytest.raises(InvalidSchedule) as refused:
        recurrence_of({"time_zone": "Asia/Shanghai", **values})
    assert list(refused.value.errors) == [field]


def test_a_valid_recurrence_keeps_its_fields():
    weekly = recurrence_of({"frequency": "weekly", "time_of_day": "18:05", "weekday": "friday", "time_zone": "Europe/Berlin"})
    assert weekly == Recurrence("weekly", BERLIN, time_of_day=time(18, 5), weekday="friday")
