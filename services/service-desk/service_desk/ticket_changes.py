"""The changes workflow rules make to a ticket, through the ticket's own methods so history rows carry the rule."""
from __future__ import annotations

from datetime import datetime
from typing import Any

# Changes made by a rule or a timed job have no person behind them.
SYSTEM = None


def assign(ticket, assignee_id: str | None, group_id: str | None, now: datetime, *, rule_id: str | None) -> None:
    ticket.assign(assignee_id, group_id, SYSTEM, now, rule_id=rule_id)


def set_priority(ticket, priority: str, now: datetime, *, rule_id: str | None) -> None:
    if ticket.priority != priority:
        ticket.edit({"priority": priority}, SYSTEM, now, rule_id=rule_id)


def set_status(ticket, status: str, now: datetime, *, rule_id: str | None, customer=None) -> None:
    """Move the ticket on; `customer` names the owner in the closed event the lead pool reads."""
    if ticket.status != status:
        ticket.change_status(status, SYSTEM, now, customer=customer, rule_id=rule_id)


def add_tag(ticket, tag: str, now: datetime, *, rule_id: str | None) -> None:
    if tag not in (ticket.tags or []):
        ticket.add_tags([tag], SYSTEM, now, rule_id=rule_id)


def record(ticket, kind: str, now: datetime, *, rule_id: str | None, detail: dict[str, Any]) -> None:
    """A history row that is no field change (escalated, notified, handed_back)."""
    ticket.note_history(kind, SYSTEM, now, rule_id=rule_id, detail=detail)
