"""Periods, target figures, expenses and achievement percentages: the rules, without a database."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from sales.expenses import Expense
from sales.targets import (
    NEW_CUSTOMERS,
    REP,
    WON_AMOUNT,
    Period,
    Target,
    TargetRuleViolation,
    TargetSet,
    achievement_percent,
)

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, kind, start, end", [
    ("2026-11", "month", date(2026, 11, 1), date(2026, 12, 1)),
    ("2026-12", "month", date(2026, 12, 1), date(2027, 1, 1)),
    ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 4, 1)),
    ("2026-Q4", "quarter", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026", "year", date(2026, 1, 1), date(2027, 1, 1)),
])
def test_a_period_runs_from_its_first_day_up_to_the_first_day_after_it(text, kind, start, end):
    assert Period.parse(text) == Period(text, kind, start, end)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-11", "2026/11", "2026-11-01", ""])
def test_anything_but_a_month_a_quarter_or_a_year_is_not_a_period(text):
    with pytest.raises(ValueError):
        Period.parse(text)


def test_a_money_target_needs_a_currency_and_a_customer_count_is_a_whole_number_without_one():
    period = Period.parse("2026-Q4")
    target = Target.set(REP, "rep-1", period, WON_AMOUNT, Decimal("300000"), "CNY", "boss", NOW)
    assert (target.value, target.currency) == (Decimal("300000.00"), "CNY")
    for metric, value, currency in ((WON_AMOUNT, "1", None), (NEW_CUSTOMERS, "5", "CNY"), (NEW_CUSTOMERS, "2.5", None),
                                    (WON_AMOUNT, "-1", "CNY"), ("calls", "5", None)):
        with pytest.raises(ValueError):
            Target.set(REP, "rep-1", period, metric, Decimal(value), currency, "boss", NOW)


def test_setting_and_changing_a_target_records_the_previous_figure():
    target = Target.set(REP, "rep-1", Period.parse("2026-11"), NEW_CUSTOMERS, Decimal("10"), None, "boss", NOW)
    target.change(Decimal("12"), None, "boss-2", NOW)
    first, second = target.events
    assert isinstance(first, TargetSet) and first.previous_value is None
    assert (second.previous_value, target.value, target.set_by) == (Decimal("10"), Decimal("12"), "boss-2")


def test_achievement_is_a_percent_to_one_decimal_and_none_for_a_zero_target():
    assert achievement_percent(Decimal("1"), Decimal("3")) == Decimal("33.3")
    assert achievement_percent(Decimal("150.00"), Decimal("100.00")) == Decimal("150.0")
    assert achievement_percent(Decimal("5"), Decimal("0")) is None


def test_an_expense_is_decided_once_and_never_by_its_own_rep():
    expense = Expense.record("rep-1", date(2026, 11, 20), "travel", Decimal("120.5"), "CNY", None, None, None,
                             "rep-1", NOW)
    assert (expense.status, expense.amount) == ("submitted", Decimal("120.50"))
    with pytest.raises(TargetRuleViolation) as own:
        expense.decide("approved", "rep-1", None, NOW)
    assert own.value.code == "own_expense"
    expense.decide("rejected", "boss", "no receipt", NOW)
    with pytest.raises(TargetRuleViolation) as again:
        expense.decide("approved", "boss", None, NOW)
    assert again.value.code == "expense_already_decided" and expense.status == "rejected"
    assert [e.verb for e in expense.events] == ["recorded", "rejected"]


@pytest.mark.parametrize("category, amount, spent_on", [
    ("yacht", "10", date(2026, 11, 20)), ("travel", "0", date(2026, 11, 20)), ("travel", "10", date(2026, 11, 28))])
def test_an_expense_has_a_known_category_a_positive_amount_and_a_date_not_in_the_future(category, amount, spent_on):
    with pytest.raises(ValueError):
        Expense.record("rep-1", spent_on, category, Decimal(amount), "CNY", None, None, None, "rep-1", NOW)
