"""Sales targets (业绩目标): a figure a rep, a team or a department is to reach in a month, a quarter or a year."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from crm_shared.errors import APIError

REP = "rep"
TEAM = "team"
# A named set of teams, kept in sales by admins (the directory knows users and teams, not departments).
DEPARTMENT = "department"
SUBJECT_KINDS = (REP, TEAM, DEPARTMENT)

WON_AMOUNT = "won_amount"
PAYMENTS_COLLECTED = "payments_collected"
NEW_CUSTOMERS = "new_customers"
METRICS = (WON_AMOUNT, PAYMENTS_COLLECTED, NEW_CUSTOMERS)
MONEY_METRICS = (WON_AMOUNT, PAYMENTS_COLLECTED)

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")
VALUE_MAX = Decimal("9999999999999999.99")

TARGET_RULE_STATUS = {
    "target_exists": 409,
    "not_your_subject": 403,
    "unknown_department": 422,
    "department_name_taken": 409,
    "team_in_other_department": 409,
    "department_conflict": 409,
    "expense_already_decided": 409,
    "own_expense": 403,
    "not_your_rep": 403,
}


class TargetRuleViolation(APIError):
    """A rule of targets, expenses or departments refused the action; the code names the rule."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(TARGET_RULE_STATUS[code], code, message, errors)


@dataclass(frozen=True)
class Period:
    """A calendar month (2026-11), quarter (2026-Q4) or year (2026): from `start` up to, not including, `end`."""

    key: str
    kind: str
    start: date
    end: date

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = PERIOD_PATTERN.match(text or "")
        if match is None:
            raise ValueError(f"period {text!r} is not a month (2026-11), a quarter (2026-Q4) or a year (2026)")
        year = int(match["year"])
        if match["month"]:
            first_month, months, kind = int(match["month"]), 1, MONTH
        elif match["quarter"]:
            first_month, months, kind = 3 * int(match["quarter"]) - 2, 3, QUARTER
        else:
            first_month, months, kind = 1, 12, YEAR
        after = first_month - 1 + months
        return cls(text, kind, date(year, first_month, 1), date(year + after // 12, after % 12 + 1, 1))

    @classmethod
    def month_of(cls, day: date) -> "Period":
        return cls.parse(day.strftime("%Y-%m"))


def checked_value(metric: str, value: Decimal, currency: str | None) -> tuple[Decimal, str | None]:
    """The target's figure as stored: money to the cent with a currency; a count of customers as a whole number."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    if value < 0 or value > VALUE_MAX:
        raise ValueError("the value must be between 0 and 9999999999999999.99")
    if metric in MONEY_METRICS:
        if not currency:
            raise ValueError(f"a {metric} target needs a currency")
        return value.quantize(Decimal("0.01")), currency
    if currency:
        raise ValueError("a new_customers target counts customers: it has no currency")
    if value != value.to_integral_value():
        raise ValueError("a new_customers target is a whole number of customers")
    return value.quantize(Decimal("1")), None


@dataclass(frozen=True)
class TargetSet:
    """A target was set or changed; `previous_value` is None when it is new."""

    target: "Target"
    previous_value: Decimal | None
    previous_currency: str | None
    actor_id: str
    at: datetime


@dataclass(eq=False)
class Target:
    id: str
    subject_kind: str
    subject_id: str
    period: str
    period_kind: str
    period_start: date
    period_end: date
    metric: str
    value: Decimal
    currency: str | None
    set_by: str
    set_at: datetime
    created_at: datetime
    version: int = 1
    events: list = field(default_factory=list)

    @classmethod
    def set(cls, subject_kind: str, subject_id: str, period: Period, metric: str, value: Decimal,
            currency: str | None, actor_id: str, now: datetime) -> "Target":
        if subject_kind not in SUBJECT_KINDS:
            raise ValueError(f"subject_kind must be one of {', '.join(SUBJECT_KINDS)}")
        value, currency = checked_value(metric, value, currency)
        target = cls(str(uuid.uuid4()), subject_kind, subject_id, period.key, period.kind, period.start, period.end,
                     metric, value, currency, actor_id, now, now)
        target.events.append(TargetSet(target, None, None, actor_id, now))
        return target

    def change(self, value: Decimal, currency: str | None, actor_id: str, now: datetime) -> None:
        """A new figure (and currency, for money); the previous one travels in the event."""
        previous_value, previous_currency = self.value, self.currency
        self.value, self.currency = checked_value(self.metric, value, currency)
        self.set_by, self.set_at = actor_id, now
        self.events.append(TargetSet(self, previous_value, previous_currency, actor_id, now))


def achievement_percent(actual: Decimal, target: Decimal) -> Decimal | None:
    """actual / target in percent, to one decimal; None for a target of zero (nothing to reach)."""
    if target == 0:
        return None
    return (actual * 100 / target).quantize(Decimal("0.1"))
