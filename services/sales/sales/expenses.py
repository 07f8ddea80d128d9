"""Sales expenses (费用): what a rep spent to sell, by date and category, approved or rejected by their manager.

    submitted -> approved | rejected (by a manager of one of the rep's teams or an admin, never the rep)
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sales.money_rules import CENT, MONEY_MAX
from sales.targets import TargetRuleViolation

SUBMITTED = "submitted"
APPROVED = "approved"
REJECTED = "rejected"
STATUSES = (SUBMITTED, APPROVED, REJECTED)
CATEGORIES = ("travel", "accommodation", "meals", "entertainment", "gifts", "transport", "marketing",
              "communication", "other")
NOTE_MAX = 1000


@dataclass(frozen=True)
class ExpenseChanged:
    """`verb`: recorded, approved, rejected."""

    expense: "Expense"
    verb: str
    actor_id: str
    at: datetime


@dataclass(eq=False)
class Expense:
    id: str
    rep_id: str
    spent_on: date
    category: str
    amount: Decimal
    currency: str
    customer_id: str | None
    opportunity_id: str | None
    note: str | None
    status: str
    recorded_by: str
    recorded_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    version: int = 1
    events: list = field(default_factory=list)

    @classmethod
    def record(cls, rep_id: str, spent_on: date, category: str, amount: Decimal, currency: str,
               customer_id: str | None, opportunity_id: str | None, note: str | None, actor_id: str,
               now: datetime) -> "Expense":
        if category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}")
        if amount <= 0 or amount > MONEY_MAX:
            raise ValueError("the amount must be more than 0")
        if spent_on > now.date():
            raise ValueError("an expense is recorded once spent: its date cannot be in the future")
        expense = cls(str(uuid.uuid4()), rep_id, spent_on, category, amount.quantize(CENT), currency,
                      customer_id, opportunity_id, note, SUBMITTED, actor_id, now)
        expense.events.append(ExpenseChanged(expense, "recorded", actor_id, now))
        return expense

    def decide(self, verb: str, actor_id: str, note: str | None, now: datetime) -> None:
        """Approve or reject a submitted expense, once; a rep never decides their own."""
        if actor_id == self.rep_id:
            raise TargetRuleViolation("own_expense", "You cannot approve or reject your own expense.")
        if self.status != SUBMITTED:
            raise TargetRuleViolation("expense_already_decided", f"This expense was already {self.status}.")
        self.status = APPROVED if verb == "approved" else REJECTED
        self.decided_by, self.decided_at, self.decision_note = actor_id, now, note
        self.events.append(ExpenseChanged(self, verb, actor_id, now))
