"""What a batch of events does to the read models, gathered in memory and written set-based.

Projections describe each event's effect here instead of writing it: fact rows are folded per table and
key (projections/facts.py), rows inserted once are kept per primary key (the first one wins, as a
second INSERT ... ON CONFLICT DO NOTHING would), and `write` sends one multi-row statement per table
and shape (shapes that one update can serve share a statement: facts.merge_shapes). Tables, and the rows
within a statement, go in a fixed order (WRITE_FIRST, then table name; rows by key), so two workers
writing overlapping rows take their locks in the same order.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from sqlalchemy import Table
from sqlalchemy.orm import Session

from reporting.projections.facts import EMPTY, Fold, fact_groups, insert_ignoring_statement, merge_shapes, upsert_statement


# Leads, then customers, before the rest: the database derives a record's credit and owner from its lead
# and customer as it writes it (rollup_sql.py), so written in this order a batch's new records find theirs
# already there, instead of being updated again when their lead or customer comes after them.
WRITE_FIRST = ("fact_leads", "fact_customers")


class Changes:
    """The read-model writes of a batch of events, in the order the events were applied."""

    def __init__(self) -> None:
        # table -> key values -> folds of that row, one per statement it needs (usually one).
        self._folds: dict[Table, dict[tuple, list[Fold]]] = {}
        self._key_columns: dict[Table, tuple[str, ...]] = {}
        # table -> primary key -> the row to insert unless the table has one with that key.
        self._inserts: dict[Table, dict[tuple, dict[str, Any]]] = {}
        # Writes that are not folded (the user directory), run in the order they came.
        self._steps: list[Callable[[Session], object]] = []

    def upsert(
        self,
        table: Table,
        key: Mapping[str, Any],
        at,
        *,
        state: Mapping[str, Any] = EMPTY,
        first: Mapping[str, Any] = EMPTY,
        earliest: Mapping[str, Any] = EMPTY,
        latest: Mapping[str, Any] = EMPTY,
        add: Mapping[str, Any] = EMPTY,
        guarded: Mapping[str, Mapping[str, Any]] = EMPTY,
        defaults: Mapping[str, Any] = EMPTY,
    ) -> None:
        """Insert the fact row or combine the event into it, by the rules of projections/facts.py."""
        groups = fact_groups(table, state, guarded)
        rows = self._folds.get(table)
        if rows is None:
            rows = self._folds[table] = {}
            self._key_columns[table] = tuple(key)
        key_values = tuple(key.values())
        folds = rows.get(key_values)
        if folds is None:
            rows[key_values] = [Fold(table, key, at, groups, first, earliest, latest, add, defaults)]
        elif not folds[-1].absorb(at, groups, first, earliest, latest, add):
            folds.append(Fold(table, key, at, groups, first, earliest, latest, add, defaults))

    def insert_ignoring_duplicates(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert the rows, skipping any whose primary key the table (or this batch) already holds."""
        kept = self._inserts.setdefault(table, {})
        key = [column.name for column in table.primary_key.columns]
        for row in rows:
            kept.setdefault(tuple(row[column] for column in key), row)

    def run(self, step: Callable[[Session], object]) -> None:
        """Run `step` with the session when the batch is written (for writes that do not fold)."""
        self._steps.append(step)

    def write(self, session: Session) -> None:
        """Send every change to the database, in the caller's transaction."""
        dialect = session.get_bind().dialect.name
        for step in self._steps:
            step(session)
        for table in sorted(self._inserts, key=_write_order):
            for columns, rows in _by_columns(self._inserts[table]).items():
                statement, bulk = insert_ignoring_statement(dialect, table, columns)
                session.execute(statement, bulk.parameters(rows))
        for table in sorted(self._folds, key=_write_order):
            key = self._key_columns[table]
            rounds: list[dict[tuple, list[dict[str, Any]]]] = []
            for _, folds in sorted(self._folds[table].items(), key=_sort_key):
                for number, fold in enumerate(folds):
                    if number == len(rounds):
                        rounds.append({})
                    rounds[number].setdefault(fold.shape(), []).append(fold.row)
            # A row folded twice is written twice: its second fold only after the first.
            for shapes in rounds:
                for (columns, guards, ops), rows in merge_shapes(table, key, shapes):
                    statement, bulk = upsert_statement(dialect, table, key, columns, guards, ops)
                    session.execute(statement, bulk.parameters(rows))


def _write_order(table: Table) -> tuple[int, str]:
    first = WRITE_FIRST.index(table.name) if table.name in WRITE_FIRST else len(WRITE_FIRST)
    return first, table.name


def _sort_key(item: tuple[tuple, Any]) -> tuple:
    return tuple("" if value is None else str(value) for value in item[0])


def _by_columns(rows: dict[tuple, dict[str, Any]]) -> dict[tuple, list[dict[str, Any]]]:
    # One statement needs the same columns in every row.
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for _, row in sorted(rows.items(), key=_sort_key):
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups
