"""Business-time arithmetic with the expected instants written out: weekends, lunch breaks, holidays, DST."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from service_desk.business_time import (
    ALWAYS,
    Calendar,
    add_business_minutes,
    business_minutes_between,
    parse_clock,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = ((9 * 60, 18 * 60),)
OFFICE = Calendar("Asia/Shanghai", {day: NINE_TO_SIX for day in range(5)})
WITH_LUNCH = Calendar("Asia/Shanghai", {day: ((9 * 60, 12 * 60), (13 * 60, 18 * 60)) for day in range(5)})


def sh(*parts) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def add(calendar, start, minutes) -> datetime:
    return add_business_minutes(calendar, start, minutes).astimezone(SHANGHAI)


def test_four_business_hours_from_friday_evening_end_on_monday_at_half_past_twelve():
    assert add(OFFICE, sh(2026, 12, 4, 17, 30), 240) == sh(2026, 12, 7, 12, 30)


def test_the_result_is_in_utc():
    assert add_business_minutes(OFFICE, sh(2026, 12, 4, 17, 30), 240) == datetime(2026, 12, 7, 4, 30, tzinfo=timezone.utc)


def test_time_starting_on_a_weekend_counts_from_monday_morning():
    assert add(OFFICE, sh(2026, 12, 5, 10, 0), 60) == sh(2026, 12, 7, 10, 0)


def test_a_deadline_at_the_end_of_the_day_stays_at_six_rather_than_moving_to_the_next_morning():
    assert add(OFFICE, sh(2026, 12, 7, 17, 0), 60) == sh(2026, 12, 7, 18, 0)


def test_the_lunch_break_is_not_counted():
    assert add(WITH_LUNCH, sh(2026, 12, 7, 11, 0), 120) == sh(2026, 12, 7, 14, 0)
    assert business_minutes_between(WITH_LUNCH, sh(2026, 12, 7, 11, 0), sh(2026, 12, 7, 14, 0)) == 120


def test_a_holiday_is_skipped_like_a_weekend():
    new_year = Calendar("Asia/Shanghai", {day: NINE_TO_SIX for day in range(5)}, holidays=frozenset({date(2027, 1, 1)}))
    # Thursday 16:00-18:00, Friday 1 January off, the weekend, then Monday 09:00-15:00.
    assert add(new_year, sh(2026, 12, 31, 16, 0), 480) == sh(2027, 1, 4, 15, 0)
    assert add(OFFICE, sh(2026, 12, 31, 16, 0), 480) == sh(2027, 1, 1, 15, 0)


def test_an_extra_working_day_on_a_saturday_is_worked_with_mondays_hours():
    swapped = Calendar("Asia/Shanghai", {day: NINE_TO_SIX for day in range(5)},
                       extra_working_days=frozenset({date(2026, 12, 5)}))
    assert add(swapped, sh(2026, 12, 4, 17, 30), 240) == sh(2026, 12, 5, 12, 30)


def test_business_minutes_between_friday_evening_and_monday_morning_are_ninety():
    assert business_minutes_between(OFFICE, sh(2026, 12, 4, 17, 30), sh(2026, 12, 7, 10, 0)) == 90
    assert business_minutes_between(OFFICE, sh(2026, 12, 7, 10, 0), sh(2026, 12, 4, 17, 30)) == 0


def test_around_the_clock_every_minute_counts():
    start = datetime(2026, 12, 5, 23, 30, tzinfo=timezone.utc)
    assert add_business_minutes(ALWAYS, start, 90) == start + timedelta(minutes=90)
    assert business_minutes_between(ALWAYS, start, start + timedelta(days=2)) == 2880


def test_a_day_that_loses_an_hour_to_daylight_saving_counts_twenty_three_hours():
    new_york = Calendar("America/New_York", {day: ((0, 24 * 60),) for day in range(7)})
    zone = ZoneInfo("America/New_York")
    start, end = datetime(2026, 3, 8, 0, 0, tzinfo=zone), datetime(2026, 3, 9, 0, 0, tzinfo=zone)
    assert business_minutes_between(new_york, start, end) == 23 * 60
    assert add_business_minutes(new_york, start, 23 * 60).astimezone(zone) == end


def test_a_calendar_refuses_overlapping_hours_and_unknown_zones():
    with pytest.raises(ValueError):
        Calendar("Asia/Shanghai", {0: ((9 * 60, 12 * 60), (11 * 60, 18 * 60))})
    with pytest.raises(Exception):
        Calendar("Mars/Olympus", {0: NINE_TO_SIX})
    with pytest.raises(ValueError):
        parse_clock("24:30")


def test_a_calendar_without_working_time_cannot_reach_a_deadline():
    with pytest.raises(ValueError):
        add_business_minutes(Calendar("UTC", {}), datetime(2026, 1, 1, tzinfo=timezone.utc), 1)
