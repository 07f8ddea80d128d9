"""Periods of the dashboards: named periods, explicit days, the previous period, and refused parameters."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from reporting.periods import InvalidParameter, Period, named_period, period_from_query, today_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 27)


def days(period: Period) -> tuple[date, date]:
    return period.first, period.last


@pytest.mark.parametrize(
    "name, first, last",
    [
        ("this_month", date(2026, 11, 1), date(2026, 11, 30)),
        ("last_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("this_quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("last_quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("this_year", date(2026, 1, 1), date(2026, 12, 31)),
        ("last_year", date(2025, 1, 1), date(2025, 12, 31)),
        ("last_7_days", date(2026, 11, 21), date(2026, 11, 27)),
        ("last_30_days", date(2026, 10, 29), date(2026, 11, 27)),
    ],
)
def test_each_named_period_covers_its_calendar_days(name, first, last):
    assert days(named_period(name, TODAY, SHANGHAI)) == (first, last)


def test_last_month_and_last_quarter_reach_back_over_the_new_year():
    assert days(named_period("last_month", date(2027, 1, 15), SHANGHAI)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert days(named_period("last_quarter", date(2027, 2, 1), SHANGHAI)) == (date(2026, 10, 1), date(2026, 12, 31))


def test_no_parameter_means_this_month():
    assert days(period_from_query({}, TODAY, SHANGHAI)) == (date(2026, 11, 1), date(2026, 11, 30))


def test_explicit_days_are_both_included_and_begin_at_midnight_in_the_zone():
    period = period_from_query({"from": "2026-10-01", "to": "2026-10-31"}, TODAY, SHANGHAI)
    assert days(period) == (date(2026, 10, 1), date(2026, 10, 31))
    assert period.start == datetime(2026, 9, 30, 16, tzinfo=timezone.utc)
    assert period.end == datetime(2026, 10, 31, 16, tzinfo=timezone.utc)


def test_the_previous_period_is_as_many_days_just_before():
    period = period_from_query({"from": "2026-10-01", "to": "2026-10-31"}, TODAY, SHANGHAI)
    assert days(period.previous) == (date(2026, 8, 31), date(2026, 9, 30))
    assert days(Period(date(2026, 3, 1), date(2026, 3, 1), SHANGHAI).previous) == (date(2026, 2, 28), date(2026, 2, 28))


def test_three_years_is_the_longest_period():
    longest = period_from_query({"from": "2024-01-01", "to": "2026-12-31"}, TODAY, SHANGHAI)
    assert longest.days == 1096
    with pytest.raises(InvalidParameter) as refused:
        period_from_query({"from": "2024-01-01", "to": "2027-01-01"}, TODAY, SHANGHAI)
    assert list(refused.value.errors) == ["to"]


def test_a_period_from_the_29th_of_february_may_run_three_years():
    assert period_from_query({"from": "2024-02-29", "to": "2027-02-28"}, TODAY, SHANGHAI).days == 1096
    with pytest.raises(InvalidParameter):
        period_from_query({"from": "2024-02-29", "to": "2027-03-01"}, TODAY, SHANGHAI)


@pytest.mark.parametrize(
    "args, parameter",
    [
        ({"period": "next_month"}, "period"),
        ({"period": ""}, "period"),
        ({"period": "this_month", "from": "2026-10-01"}, "period"),
        ({"from": "2026-10-01"}, "to"),
        ({"to": "2026-10-31"}, "from"),
        ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"from": "20261001", "to": "2026-10-31"}, "from"),
        ({"from": "2026-W40-1", "to": "2026-10-31"}, "from"),
        ({"from": "2026-10-01", "to": "yesterday"}, "to"),
        ({"from": "2026-10-31", "to": "2026-10-01"}, "to"),
    ],
)
def test_a_bad_period_is_refused_naming_the_parameter(args, parameter):
    with pytest.raises(InvalidParameter) as refused:
        period_from_query(args, TODAY, SHANGHAI)
    error = refused.value
    assert (error.status, error.code, list(error.errors)) == (400, "invalid_parameter", [parameter])
    assert parameter in error.message


def test_today_is_the_day_in_the_zone_not_in_utc():
    late_evening_utc = datetime(2026, 11, 27, 16, 30, tzinfo=timezone.utc)
    assert today_in(SHANGHAI, late_evening_utc) == date(2026, 11, 28)
    assert today_in(ZoneInfo("UTC"), late_evening_utc) == date(2026, 11, 27)
