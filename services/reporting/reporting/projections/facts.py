"""How a fact row takes events: rules that are right whatever order the events of a record arrive in,
and the fold that applies a whole batch of them per row in one statement.

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
Duplicates never reach here twice: the archive takes each event once (handlers.record_all).

A batch folds the events of one row in memory (`Fold`) into the row an INSERT would write and one
`ON CONFLICT DO UPDATE` whose SET reads only that row (`excluded`) and the stored one, so a single
multi-row statement per table does what applying the events one after the other would. Where two events
of a row cannot be folded into one such update (a column one event takes as `latest` and another as
`earliest`, or two `state` events naming different columns), the later one starts a second fold of
that row, written by a second statement after the first.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any, Mapping

from sqlalchemy import Table, and_, case, or_

from crm_shared.bulk import BulkInsert
from crm_shared.envelope import parse_time

EMPTY: Mapping[str, Any] = {}

# The kinds an update applies per column, besides the guarded groups.
FIRST, EARLIEST, LATEST, ADD = "first", "earliest", "latest", "add"

# A column the fold cannot know the stored default of (not a plain literal): never folded into.
_UNKNOWN = object()


def fact_groups(table: Table, state: Mapping[str, Any], guarded: Mapping[str, Mapping[str, Any]]) -> dict:
    """The guarded groups of one event: its `guarded` ones, and `state` under `state_at` where the table has it."""
    return {**guarded, "state_at": state} if "state_at" in table.c else dict(guarded)


class Fold:
    """The events of one fact row, folded: the row they write into an empty table one after another
    (`row`), and what the one update that does what they did to a stored row is made of.

    Invariant: for every column the update sets, `row` holds the value the update takes from `excluded`
    (the winning event's values and time for a guarded group, the first, least, greatest value or the sum
    for the other kinds), so the statement needs nothing but the row.
    """

    __slots__ = ("table", "row", "guards", "ops", "kinds")

    def __init__(self, table: Table, key: Mapping[str, Any], at: datetime, groups: Mapping[str, Mapping[str, Any]],
                 first: Mapping[str, Any], earliest: Mapping[str, Any], latest: Mapping[str, Any],
                 add: Mapping[str, Any], defaults: Mapping[str, Any]):
        self.table = table
        row = {**defaults, **first, **earliest, **latest, **add, **key}
        self.guards: dict[str, tuple[str, ...]] = {}
        # Column -> how the update sets it: a guard's name for a group's columns, else FIRST, EARLIEST...
        self.kinds: dict[str, str] = {}
        for guard, columns in groups.items():
            row.update(columns)
            if columns:
                row[guard] = at
                self.guards[guard] = tuple(columns)
                self.kinds.update(dict.fromkeys(columns, guard))
            else:
                row[guard] = None
        self.ops: dict[str, str] = {}
        for kind, values in ((FIRST, first), (EARLIEST, earliest), (LATEST, latest), (ADD, add)):
            for column, value in values.items():
                if value is not None:
                    self.ops[column] = self.kinds[column] = kind
        self.row = row

    def absorb(self, at: datetime, groups: Mapping[str, Mapping[str, Any]], first: Mapping[str, Any],
               earliest: Mapping[str, Any], latest: Mapping[str, Any], add: Mapping[str, Any]) -> bool:
        """Fold a later event of the same row in; False (and nothing changed) if one update cannot do both."""
        if not self._can_absorb(groups, ((FIRST, first), (EARLIEST, earliest), (LATEST, latest), (ADD, add))):
            return False
        row, kinds = self.row, self.kinds
        for guard, columns in groups.items():
            if not columns:
                continue
            held = row.get(guard)
            if held is None or at >= held:
                row.update(columns)
                row[guard] = at
                if guard not in self.guards:
                    self.guards[guard] = tuple(columns)
                    kinds.update(dict.fromkeys(columns, guard))
        for kind, values in ((FIRST, first), (EARLIEST, earliest), (LATEST, latest), (ADD, add)):
            for column, value in values.items():
                if value is not None:
                    row[column] = _COMBINE[kind](row[column] if column in row else self._absent(column), value)
                    self.ops[column] = kinds[column] = kind
        return True

    def _can_absorb(self, groups, changes) -> bool:
        kinds = self.kinds
        for guard, columns in groups.items():
            if not columns:
                continue
            held = self.guards.get(guard)
            if held is not None:
                # Different columns under one guard: which columns a stored row takes depends on its own
                # time, so no single update matches.
                if held != tuple(columns):
                    return False
            elif any(column in kinds for column in columns):
                return False
        for kind, values in changes:
            for column, value in values.items():
                if value is None:
                    continue
                held = kinds.get(column)
                if held == kind:
                    continue
                if held is not None:
                    return False
                # A column the update does not set yet: the row's value must be what this kind makes of it
                # (the value itself), or the row and the update would part.
                current = self.row[column] if column in self.row else self._absent(column)
                if current is _UNKNOWN or not _STARTS[kind](current, value):
                    return False
        return True

    def _absent(self, column: str) -> Any:
        return absent_values(self.table).get(column)

    def shape(self) -> tuple:
        """What the statement writing this fold depends on: its columns and its update."""
        return tuple(sorted(self.row)), tuple(sorted(self.guards.items())), tuple(sorted(self.ops.items()))


def _first(current, value):
    return current if current is not None else value


def _earliest(current, value):
    return value if current is None or value < current else current


def _latest(current, value):
    return value if current is None or value > current else current


def _add(current, value):
    return None if current is None else current + value


_COMBINE = {FIRST: _first, EARLIEST: _earliest, LATEST: _latest, ADD: _add}

# Whether the kind applied to `current` gives `value` back, the condition for a column to join an update.
_STARTS = {
    FIRST: lambda current, value: current is None or current == value,
    EARLIEST: lambda current, value: current is None or value <= current,
    LATEST: lambda current, value: current is None or value >= current,
    ADD: lambda current, value: current is not None and current == 0,
}


@cache
def absent_values(table: Table) -> dict[str, Any]:
    """What a column not written by an INSERT holds: its literal server default, else NULL."""
    values: dict[str, Any] = {}
    for column in table.c:
        if column.default is not None:
            values[column.name] = _UNKNOWN
        elif column.server_default is not None:
            literal = getattr(column.server_default, "arg", None)
            if not isinstance(literal, str):
                values[column.name] = _UNKNOWN
            else:
                try:
                    values[column.name] = int(literal)
                except ValueError:
                    values[column.name] = literal
    return values


# What a row passes for a column it does not touch, so that the update leaves the stored value as it is.
_NEUTRAL = {FIRST: None, EARLIEST: None, LATEST: None, ADD: 0}


def merge_shapes(table: Table, key: tuple[str, ...], shapes: Mapping[tuple, list[dict[str, Any]]]) -> list[tuple[tuple, list[dict]]]:
    """Fewer statements for the same rows: shapes whose updates one wider update can do, written together.

    Each statement on a fact table costs a round trip and a run of the table's triggers, whatever its rows,
    and a batch of lead events folds into a dozen shapes or more (which facts each event carried). Two
    shapes go together when no column is set one way by one and another way by the other; each row then
    passes, for what only the other shape updates, a value that changes nothing (NULL for the first,
    earliest, latest value, 0 for a sum, NULL for a guard's time) and that an INSERT leaving the column
    out would store as well. `shapes` are those of one round (no key twice); the rows come back in key order.
    """
    absent = absent_values(table)
    statements: list[_Statement] = []
    for shape, rows in sorted(shapes.items(), key=lambda item: -len(item[1])):
        if not any(statement.take(shape, rows, absent) for statement in statements):
            statements.append(_Statement(shape, rows))
    return [statement.written(key, absent) for statement in statements]


class _Statement:
    """Shapes written by one upsert: the union of their columns, guards and per-column kinds."""

    def __init__(self, shape: tuple, rows: list[dict[str, Any]]):
        columns, guards, ops = shape
        self.columns = set(columns)
        self.guards = dict(guards)
        self.ops = dict(ops)
        self.members = [(shape, rows)]

    def take(self, shape: tuple, rows: list[dict[str, Any]], absent: Mapping[str, Any]) -> bool:
        """Add the shape if one update can do both its rows' and the others' work; False, and nothing changed, if not."""
        columns, guards, ops = shape
        guards, ops = dict(guards), dict(ops)
        # A plain INSERT .. DO NOTHING stays one: padded into an update, its rows would be rewritten for nothing.
        if bool(guards or ops) != bool(self.guards or self.ops):
            return False
        if not _agree(self.guards, self.ops, guards, ops) or not _agree(guards, ops, self.guards, self.ops):
            return False
        if any(absent.get(column) is _UNKNOWN for column in self.columns.symmetric_difference(columns)):
            return False
        new_guards = [guard for guard in guards if guard not in self.guards]
        new_ops = {column: kind for column, kind in ops.items() if column not in self.ops}
        if not all(_left_alone(member, member_rows, new_guards, new_ops, absent) for member, member_rows in self.members):
            return False
        old_guards = [guard for guard in self.guards if guard not in guards]
        old_ops = {column: kind for column, kind in self.ops.items() if column not in ops}
        if not _left_alone(shape, rows, old_guards, old_ops, absent):
            return False
        self.columns.update(columns)
        self.guards.update(guards)
        self.ops.update(ops)
        self.members.append((shape, rows))
        return True

    def written(self, key: tuple[str, ...], absent: Mapping[str, Any]) -> tuple[tuple, list[dict[str, Any]]]:
        columns = tuple(sorted(self.columns))
        shape = (columns, tuple(sorted(self.guards.items())), tuple(sorted(self.ops.items())))
        if len(self.members) == 1:
            return shape, self.members[0][1]
        rows = []
        for (member_columns, _, _), member_rows in self.members:
            missing = [column for column in columns if column not in member_columns]
            rows.extend({**row, **{column: absent.get(column) for column in missing}} for row in member_rows)
        rows.sort(key=lambda row: tuple("" if row[column] is None else str(row[column]) for column in key))
        return shape, rows


def _agree(guards: Mapping[str, tuple], ops: Mapping[str, str], other_guards: Mapping[str, tuple], other_ops: Mapping[str, str]) -> bool:
    # Every column the other shape updates is updated the same way here, or not at all.
    guarded = {column: guard for guard, columns in guards.items() for column in columns}
    for guard, columns in other_guards.items():
        if set(guards.get(guard, columns)) != set(columns):
            return False
        if any(column in ops or guarded.get(column, guard) != guard for column in columns):
            return False
    return all(column not in guarded and ops.get(column, kind) == kind for column, kind in other_ops.items())


def _left_alone(shape: tuple, rows: list[dict[str, Any]], guards: list[str], ops: Mapping[str, str], absent: Mapping[str, Any]) -> bool:
    # Whether the rows of `shape` carry, for updates it does not make itself, values that change nothing.
    columns = shape[0]
    for column, kind in [*((guard, LATEST) for guard in guards), *ops.items()]:
        neutral = _NEUTRAL[kind]
        if column not in columns:
            if not _same(absent.get(column), neutral):
                return False
        elif not all(_same(row[column], neutral) for row in rows):
            return False
    return True


def _same(value: Any, neutral: Any) -> bool:
    return value is None if neutral is None else value is not None and value == neutral


# Bounded: merged shapes vary with a batch's mix of events.
@lru_cache(maxsize=1024)
def upsert_statement(dialect: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...], guards: tuple,
                     ops: tuple) -> tuple[Any, BulkInsert]:
    """The one INSERT ... ON CONFLICT of rows folded to this shape, built once and run with each batch's rows."""
    bulk = BulkInsert(dialect, table, columns)
    statement = bulk.statement
    new = statement.excluded
    current = table.c
    updates: dict[str, Any] = {}
    for guard, guarded in guards:
        # A row without this guard's columns (written with another shape's, see merge_shapes) has no time.
        newer = and_(new[guard].is_not(None), or_(new[guard] >= current[guard], current[guard].is_(None)))
        for column in guarded:
            updates[column] = case((newer, new[column]), else_=current[column])
        updates[guard] = case((newer, new[guard]), else_=current[guard])
    for column, kind in ops:
        if kind == FIRST:
            updates[column] = case((current[column].is_(None), new[column]), else_=current[column])
        elif kind == EARLIEST:
            updates[column] = _pick(current[column], new[column], lambda a, b: b < a)
        elif kind == LATEST:
            updates[column] = _pick(current[column], new[column], lambda a, b: b > a)
        else:
            updates[column] = current[column] + new[column]
    if updates:
        statement = statement.on_conflict_do_update(index_elements=list(key), set_=updates)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    # RETURNING the key: on SQLite it makes SQLAlchemy send the rows as one multi-row VALUES.
    return statement.returning(*(table.c[column] for column in key)), bulk


@cache
def insert_ignoring_statement(dialect: str, table: Table, columns: tuple[str, ...]) -> tuple[Any, BulkInsert]:
    """INSERT rows, skipping any that clash with a row already there."""
    bulk = BulkInsert(dialect, table, columns)
    return bulk.statement.on_conflict_do_nothing().returning(*table.primary_key.columns), bulk


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


def day(value: Any) -> date | None:
    """A calendar date from a payload ("2026-11-27"), or None."""
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
