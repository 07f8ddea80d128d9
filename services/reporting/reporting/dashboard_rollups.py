"""The dashboards' grouped sums read from the roll-ups PostgreSQL keeps per day (db.py, rollup_sql.py).

Each function returns what its twin in dashboards.py gathers from the facts, in the same shape and with the
same types (counts int, money Decimal to the cent, seconds float), for the shaping there to finish. A period
is a range of the roll-ups' `day`s; a scope filters the owner of a `*_by_owner` roll-up or, when it sees every
owner, reads the twin summed over owners. A roll-up row whose measures went back to 0 stays in its table, so
every query keeps only the groups the facts would show (HAVING a shown measure that is not 0).
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import FromClause, Float, Numeric, Table, and_, case, func, or_, select, true, type_coerce, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from crm_shared.db import ExactDecimal
from reporting.db import (
    rollup_acquisition,
    rollup_acquisition_by_owner,
    rollup_open_tickets_by_owner,
    rollup_overdue_by_owner,
    rollup_overdue_by_owner_month,
    rollup_pipeline_by_owner,
    rollup_pool_moves,
    rollup_pool_moves_by_owner,
    rollup_sales,
    rollup_sales_by_owner,
    rollup_sales_by_owner_month,
    rollup_service,
    rollup_service_by_owner,
)
from reporting.periods import Period
from reporting.scopes import ALL, Scope, owned_by_scope

CENT = Decimal("0.01")


class _Cents(TypeDecorator):
    """A sum of money as a Decimal with 2 places, as the facts' sums come back."""

    impl = Numeric
    cache_ok = True

    def process_result_value(self, value, dialect):
        return Decimal(value).quantize(CENT)


class _FloatSeconds(TypeDecorator):
    """A sum of seconds as a float, as the facts' sums come back."""

    impl = Float
    cache_ok = True

    def process_result_value(self, value, dialect):
        return float(value)


def _sum(table: FromClause, measure: str, where: ColumnElement | None = None) -> ColumnElement:
    column = table.c[measure]
    total = func.coalesce(func.sum(column if where is None else case((where, column))), 0)
    if isinstance(column.type, ExactDecimal):
        return type_coerce(total, _Cents())
    if isinstance(column.type, Numeric):
        return type_coerce(total, _FloatSeconds())
    return total


def _on_days(table: Table, first: date, last: date) -> ColumnElement:
    return and_(table.c.day >= first, table.c.day <= last)


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _per_owner_over_days(daily: Table, monthly: Table, first: date | None, last: date) -> FromClause:
    """The rows of (owner_id, measures...) that add up to the days `first` (None: the beginning) to `last`:
    the monthly rows of the whole months within, the daily rows of the days at either end."""
    whole_from = None if first is None else first if first.day == 1 else _month_after(first)
    whole_until = _month_after(last)  # the first day after the whole months
    if last + timedelta(days=1) != whole_until:
        whole_until = last.replace(day=1)
    measures = [column.name for column in daily.columns if column.name not in ("owner_id", "day")]
    if whole_from is not None and whole_from >= whole_until:
        days = select(daily.c.owner_id, *(daily.c[m] for m in measures)).where(daily.c.day >= first, daily.c.day <= last)
        return days.subquery()
    months = select(monthly.c.owner_id, *(monthly.c[m] for m in measures)).where(monthly.c.month < whole_until)
    odd_days = [and_(daily.c.day >= whole_until, daily.c.day <= last)]
    if whole_from is not None:
        months = months.where(monthly.c.month >= whole_from)
        odd_days.append(and_(daily.c.day >= first, daily.c.day < whole_from))
    days = select(daily.c.owner_id, *(daily.c[m] for m in measures)).where(or_(*odd_days))
    return union_all(months, days).subquery()


def _read_by(scope: Scope, by_owner: Table, twin: Table, *, tickets: bool = False) -> tuple[Table, ColumnElement]:
    """The roll-up a scope reads and the condition on its rows: the twin when the scope sees every owner."""
    if scope.level == ALL or (tickets and scope.sees_all_tickets):
        return twin, true()
    return by_owner, owned_by_scope(scope, by_owner.c.owner_id, tickets=tickets)


def _grouped(
    session: Session, table: FromClause, keys: tuple[str, ...], measures: tuple[str, ...], *conditions: ColumnElement,
    shown: tuple[str, ...] | None = None,
) -> list[tuple[tuple, dict[str, Any]]]:
    """[(key values, {measure: sum})] per group of `keys`, for the groups where a `shown` measure is not 0."""
    key_columns = [table.c[key] for key in keys]
    query = (
        select(*key_columns, *(_sum(table, measure) for measure in measures))
        .where(*conditions)
        .group_by(*key_columns)
        .having(or_(*(func.sum(table.c[measure]) != 0 for measure in shown or measures)))
    )
    return [(tuple(row[:len(keys)]), dict(zip(measures, row[len(keys):]))) for row in session.execute(query)]


def _by_key(rows: Iterable[tuple[tuple, dict]]) -> dict[tuple, dict]:
    groups: dict[tuple, dict] = {}
    for key, sums in rows:
        groups.setdefault(key, {}).update(sums)
    return groups


# ---------------------------------------------------------------- acquisition

# The counts that put a channel and campaign on the dashboard (a fact of the period was counted in one).
ACQUISITION_SHOWN = ("leads_acquired", "leads_claimed", "leads_converted", "customers_created",
                     "opportunities_opened", "deals_won", "tickets_opened")
ACQUISITION_SUMS = (*ACQUISITION_SHOWN, "acquired_converted", "won_amount")


def acquisition_sums(session: Session, scope: Scope, period: Period) -> dict[tuple, dict]:
    """{(channel, campaign): sums} of the period's days, for each pair with something in the period."""
    table, in_scope = _read_by(scope, rollup_acquisition_by_owner, rollup_acquisition)
    ticket_table, tickets_in_scope = _read_by(scope, rollup_acquisition_by_owner, rollup_acquisition, tickets=True)
    keys = ("channel", "campaign")
    if ticket_table is table:
        return _by_key(_grouped(session, table, keys, ACQUISITION_SUMS, _on_days(table, period.first, period.last),
                                in_scope, shown=ACQUISITION_SHOWN))
    # A viewer who sees every ticket but not every lead: the tickets come from the twin, the rest by owner.
    without_tickets = tuple(measure for measure in ACQUISITION_SUMS if measure != "tickets_opened")
    return _by_key([
        *_grouped(session, table, keys, without_tickets, _on_days(table, period.first, period.last), in_scope,
                  shown=tuple(measure for measure in ACQUISITION_SHOWN if measure != "tickets_opened")),
        *_grouped(session, ticket_table, keys, ("tickets_opened",),
                  _on_days(ticket_table, period.first, period.last), tickets_in_scope),
    ])


# ---------------------------------------------------------------- sales

SALES_SUMS = ("follow_ups", "won_count", "won_amount", "planned_amount", "paid_on_planned", "collected_amount",
              "invoiced_amount", "refunded_amount")


def sales_sums(session: Session, scope: Scope, period: Period, today: date) -> tuple[list, list]:
    """([(owner_id, {figure: sum})], [(owner_id, stage, open count, open amount)]) in scope.

    Per owner in every scope, as the dashboard lists reps: the "all" scope simply does not filter owners.
    """
    sales = _per_owner_over_days(rollup_sales_by_owner, rollup_sales_by_owner_month, period.first, period.last)
    overdue = _per_owner_over_days(rollup_overdue_by_owner, rollup_overdue_by_owner_month, None,
                                   today - timedelta(days=1))
    pipeline = rollup_pipeline_by_owner
    figures = [
        *_grouped(session, sales, ("owner_id",), SALES_SUMS, owned_by_scope(scope, sales.c.owner_id)),
        *_grouped(session, overdue, ("owner_id",), ("overdue_count", "overdue_amount"),
                  owned_by_scope(scope, overdue.c.owner_id), shown=("overdue_count",)),
    ]
    stages = _grouped(session, pipeline, ("owner_id", "stage"), ("open_count", "open_amount"),
                      owned_by_scope(scope, pipeline.c.owner_id), shown=("open_count",))
    return ([(owner_id, sums) for (owner_id,), sums in figures],
            [(owner_id, stage, sums["open_count"], sums["open_amount"]) for (owner_id, stage), sums in stages])


# ---------------------------------------------------------------- service

SERVICE_SUMS = ("opened", "responded", "response_seconds", "resolved_of_opened", "resolution_seconds",
                "within_sla", "rated", "rating_sum", "resolved")


def service_sums(session: Session, scope: Scope, period: Period) -> dict[tuple, dict]:
    """{(channel, priority): sums} of the tickets opened or resolved in the period, or open now, in scope."""
    table, in_scope = _read_by(scope, rollup_service_by_owner, rollup_service, tickets=True)
    open_now = rollup_open_tickets_by_owner
    keys = ("channel", "priority")
    groups = _by_key(_grouped(session, table, keys, SERVICE_SUMS, _on_days(table, period.first, period.last),
                              in_scope, shown=("opened", "resolved")))
    for key, sums in _grouped(session, open_now, keys, ("open_count",),
                              owned_by_scope(scope, open_now.c.owner_id, tickets=True)):
        groups.setdefault(key, {})["open_now"] = sums["open_count"]
    return groups


# ---------------------------------------------------------------- pool

def pool_sums(
    session: Session, scope: Scope, period: Period, reason_kinds: tuple[str, ...],
) -> tuple[list, list, tuple]:
    """([(pool, direction, kind, moves)], [(kind, reason, entries) of `reason_kinds`], (claims followed up, seconds))."""
    moves, in_scope = _read_by(scope, rollup_pool_moves_by_owner, rollup_pool_moves)
    in_period = _on_days(moves, period.first, period.last)
    moved = _grouped(session, moves, ("pool_id", "direction", "kind"), ("moves",), in_period, in_scope)
    reasons = _grouped(session, moves, ("kind", "reason"), ("moves",), in_period, in_scope,
                       moves.c.direction == "in", moves.c.kind.in_(reason_kinds))
    leads, leads_in_scope = _read_by(scope, rollup_acquisition_by_owner, rollup_acquisition)
    claims = session.execute(
        select(_sum(leads, "claims_followed_up"), _sum(leads, "claim_wait_seconds"))
        .where(_on_days(leads, period.first, period.last), leads_in_scope)
    ).one()
    return ([(*key, sums["moves"]) for key, sums in moved], [(*key, sums["moves"]) for key, sums in reasons],
            tuple(claims))


# ---------------------------------------------------------------- executive

def executive_sums(session: Session, scope: Scope, period: Period) -> tuple[tuple, tuple, tuple]:
    """Revenue, payments collected and sales expenses, each (this period, the previous one), in scope."""
    table, in_scope = _read_by(scope, rollup_sales_by_owner, rollup_sales)
    previous = period.previous
    current_days, previous_days = _on_days(table, period.first, period.last), _on_days(table, previous.first,
                                                                                         previous.last)

    def both_periods(measure: str) -> list[ColumnElement]:
        return [type_coerce(func.coalesce(func.sum(case((days, table.c[measure]))), 0), _Cents())
                for days in (current_days, previous_days)]

    row = session.execute(
        select(*both_periods("revenue"), *both_periods("collected_amount"), *both_periods("expenses"))
        .where(_on_days(table, previous.first, period.last), in_scope)
    ).one()
    return (row[0], row[1]), (row[2], row[3]), (row[4], row[5])


# What each target metric (dashboards.TARGET_METRICS' figures) sums.
TARGET_MEASURES = {"won_amount": "won_amount", "payments": "collected_amount", "new_customers": "new_customers"}


def actuals_by_owner(
    session: Session, wanted: dict[tuple[str, date, date], list[str]],
) -> dict[tuple[str, date, date], dict[str, Any]]:
    """{owner_id: figure} of each (target metric, first day, end day excluded) in `wanted`, for its owners.

    One pass over the days all the targets cover, with a sum per target: a quarter's monthly targets of three
    metrics read the quarter once, not nine times.
    """
    if not wanted:
        return {}
    keys = list(wanted)
    # Targets of whole months (as sales sets them) read the monthly rows; any other span the daily ones.
    if all(first.day == 1 and end_day.day == 1 for _, first, end_day in keys):
        sales, day = rollup_sales_by_owner_month, rollup_sales_by_owner_month.c.month
    else:
        sales, day = rollup_sales_by_owner, rollup_sales_by_owner.c.day
    sums = [_sum(sales, TARGET_MEASURES[metric], and_(day >= first, day < end_day)) for metric, first, end_day in keys]
    rows = session.execute(
        select(sales.c.owner_id, *sums)
        .where(sales.c.owner_id.in_(sorted(set().union(*wanted.values()))),
               day >= min(first for _, first, _ in keys), day < max(end for _, _, end in keys))
        .group_by(sales.c.owner_id)
    ).all()
    owners_of = {key: set(owner_ids) for key, owner_ids in wanted.items()}
    actuals: dict[tuple, dict[str, Any]] = {key: {} for key in keys}
    for owner_id, *figures in rows:
        for key, figure in zip(keys, figures):
            if figure and owner_id in owners_of[key]:  # a 0 reads as no record, as with the facts
                actuals[key][owner_id] = figure
    return actuals
