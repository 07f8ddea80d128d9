"""How a fact row takes an event: one UPSERT that is right whatever order the events of a record arrive in.

Each event says, for the columns it knows, how they combine with what the row holds:
- `state`: the record's current state (status, owner, stage...): taken only from an event that happened
  at or after the one the row last took its state from (`state_at`), so a late old event changes nothing.
  Columns that only some events carry (a ticket's assignee, a deal's win probability) are guarded by a
  time of their own (`guarded={"assignment_at": {...}}`), so a newer event that does not mention them
  cannot shut out an older one that does;
- `first`: facts fixed when they first happened (created_at, company): the row keeps a value it has;
- `earliest` / `latest`: the minimum or maximum of all values seen (first response, last resolution);
- `add`: counters and sums added to (payments against an installment, breaches).
Every kind combines the same whichever event comes first, so a reordered stream gives the same row.
Duplicates never reach here twice: the archive takes each event once (handlers.record).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from sqlalchemy import Table, and_, case, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_shared.envelope import parse_time

EMPTY: Mapping[str, Any] = {}


def upsert_fact(
    session: Session,
    table: Table,
    key: Mapping[str, Any],
    at: datetime,
    *,
    state: Mapping[str, Any] = EMPTY,
    first: Mapping[str, Any] = EMPTY,
    earliest: Mapping[str, Any] = EMPTY,
    latest: Mapping[str, Any] = EMPTY,
    add: Mapping[str, Any] = EMPTY,
    guarded: Mapping[str, Mapping[str, Any]] = EMPTY,
    defaults: Mapping[str, Any] = EMPTY,
) -> None:
    """Insert the fact row or combine the event into it (see the module's docstring)."""
    build = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    groups = {**guarded, "state_at": state} if "state_at" in table.c else dict(guarded)
    values = {**defaults, **first, **earliest, **latest, **add, **key}
    for guard, columns in groups.items():
        values.update(columns)
        values[guard] = at if columns else None
    statement = build(table).values(values)
    new = statement.excluded
    current = table.c
    updates: dict[str, Any] = {}
    for guard, columns in groups.items():
        if not columns:
            continue
        newer = or_(new[guard] >= current[guard], current[guard].is_(None))
        for column in columns:
            updates[column] = case((newer, new[column]), else_=current[column])
        updates[guard] = case((newer, new[guard]), else_=current[guard])
    for column, value in first.items():
        if value is not None:
            updates[column] = case((current[column].is_(None), new[column]), else_=current[column])
    for column, value in earliest.items():
        if value is not None:
            updates[column] = _pick(current[column], new[column], lambda a, b: b < a)
    for column, value in latest.items():
        if value is not None:
            updates[column] = _pick(current[column], new[column], lambda a, b: b > a)
    for column, value in add.items():
        if value is not None:
            updates[column] = current[column] + new[column]
    if not updates:
        session.execute(statement.on_conflict_do_nothing())
        return
    session.execute(statement.on_conflict_do_update(index_elements=list(key), set_=updates))


def _pick(current, new, new_wins):
    # NULL-safe LEAST/GREATEST: SQLite's min()/max() return NULL if either side is NULL.
    return case((current.is_(None), new), (and_(new.is_not(None), new_wins(current, new)), new), else_=current)


def money(value: Any) -> Decimal | None:
    """An amount from a payload ("120000.00"), exact; None when absent or not a number."""
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def moment(value: Any) -> datetime | None:
    """A timestamp from a payload, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def day(value: Any):
    """A calendar date from a payload ("2026-11-27"), or None."""
    from datetime import date

    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def text(value: Any, limit: int) -> str | None:
    """A string column's value, cut to its length so one odd payload cannot dead-letter a fact."""
    if value is None:
        return None
    return str(value)[:limit]
