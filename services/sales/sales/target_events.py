"""The events of targets and expenses: names and payloads (see contracts/events/ for examples).

Reporting keeps expense-to-revenue ratios from these: every target set or changed and every expense recorded
or decided is published, with the facts needed to count it without calling sales.
"""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from sales.config import SERVICE
from sales.expenses import ExpenseChanged
from sales.money_rules import money
from sales.targets import MONEY_METRICS, TargetSet

# Set for the first time or changed: `previous_value` is null for a new target.
TARGET_SET = "sales.target.set.v1"
EXPENSE_RECORDED = "sales.expense.recorded.v1"
EXPENSE_APPROVED = "sales.expense.approved.v1"
EXPENSE_REJECTED = "sales.expense.rejected.v1"

EXPENSE_TRANSITIONS = {"recorded": EXPENSE_RECORDED, "approved": EXPENSE_APPROVED, "rejected": EXPENSE_REJECTED}


def _figure(metric: str, value) -> str | None:
    if value is None:
        return None
    return money(value) if metric in MONEY_METRICS else str(int(value))


def target_envelope(event) -> Envelope:
    """The wire form of a target or expense event: ids and the facts consumers need."""
    if isinstance(event, TargetSet):
        target = event.target
        name = TARGET_SET
        payload = {
            "target_id": target.id,
            "subject_kind": target.subject_kind,
            "subject_id": target.subject_id,
            "period": target.period,
            "period_start": target.period_start.isoformat(),
            "period_end": target.period_end.isoformat(),
            "metric": target.metric,
            "value": _figure(target.metric, target.value),
            "currency": target.currency,
            "previous_value": _figure(target.metric, event.previous_value),
            "previous_currency": event.previous_currency,
            "set_by": event.actor_id,
            "at": format_time(event.at),
        }
    elif isinstance(event, ExpenseChanged):
        expense = event.expense
        name = EXPENSE_TRANSITIONS[event.verb]
        payload = {
            "expense_id": expense.id,
            "rep_id": expense.rep_id,
            "spent_on": expense.spent_on.isoformat(),
            "category": expense.category,
            "amount": money(expense.amount),
            "currency": expense.currency,
            "customer_id": expense.customer_id,
            "opportunity_id": expense.opportunity_id,
            "status": expense.status,
            "actor_id": event.actor_id,
            "at": format_time(event.at),
        }
    else:
        raise TypeError(f"no wire form for {type(event).__name__}")
    return Envelope.new(name, payload, producer=SERVICE)
