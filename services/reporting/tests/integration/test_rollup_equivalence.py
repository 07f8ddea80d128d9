"""The dashboards read from the roll-ups give exactly what summing the facts gives: for every dashboard, scope and
period, whatever order and however often the events arrive, after a rebuild, and with two workers at once.

The streams are random but seeded (event_streams.py); a failure names its seed, and `-k` with the seed runs it
again. Times are relative to today, so a stream is the same on the same day.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

import pytest
from sqlalchemy import select

from crm_shared.auth import Identity
from reporting import dashboards
from reporting.config import reporting_time_zone
from reporting.db import metadata
from reporting.periods import Period, named_period, today_in
from reporting.scopes import Scope, scope_of
from reporting.service import rebuild_read_models

from .event_streams import ADMIN, AGENT, MANAGER, REPS, Person, arrival_order, deliver, organisation_history
from .fact_rows import fact_rows, rows_that_differ

pytestmark = pytest.mark.integration

ROLLUP_TABLES = [table for name, table in sorted(metadata.tables.items())
                 if name.startswith("rollup_") and name != "rollup_settings"]
DERIVED = ("credited_channel", "credited_campaign", "customer_owner_id")
DERIVING_TABLES = [table for table in metadata.tables.values() if any(name in table.c for name in DERIVED)]
DASHBOARDS: dict[str, Callable[..., dict]] = {
    "acquisition": lambda session, scope, period, today, source: dashboards.acquisition(
        session, scope, period, source=source),
    "sales": lambda session, scope, period, today, source: dashboards.sales(
        session, scope, period, today, source=source),
    "service": lambda session, scope, period, today, source: dashboards.service(session, scope, period, source=source),
    "pool": lambda session, scope, period, today, source: dashboards.pool(session, scope, period, source=source),
    "executive": lambda session, scope, period, today, source: dashboards.executive(
        session, scope, period, source=source),
}
# Dashboards whose figures a viewer's scope may leave empty: an agent owns no leads, deals or money.
EMPTY_FOR = {"agent": {"sales", "pool", "executive"}}


def _viewer(person: Person) -> Scope:
    return scope_of(Identity(person.user_id, person.user_id, frozenset(person.roles), frozenset(person.team_ids)))


SCOPES = {"admin": _viewer(ADMIN), "manager": _viewer(MANAGER), "rep": _viewer(REPS[0]), "agent": _viewer(AGENT)}


def periods(today: date) -> dict[str, Period]:
    """this month, this and last quarter, two custom periods across a month's and a quarter's first day, and
    one of whole months with odd days at either end (the roll-ups read those from two resolutions)."""
    zone = reporting_time_zone()
    named = {name: named_period(name, today, zone) for name in ("this_month", "this_quarter", "last_quarter")}
    month_start, quarter_start = named["this_month"].first, named["this_quarter"].first
    return {
        **named,
        "across_a_month": Period(month_start - timedelta(days=10), month_start + timedelta(days=9), zone),
        "across_a_quarter": Period(quarter_start - timedelta(days=12), quarter_start + timedelta(days=3), zone),
        "months_and_odd_days": Period(named["last_quarter"].first + timedelta(days=5), month_start + timedelta(days=9),
                                      zone),
    }


def every_dashboard(uow_factory, source: str, today: date) -> dict[tuple[str, str, str], dict]:
    """Each dashboard in each scope and period, read from `source` ("facts" or "rollups")."""
    figures = {}
    with uow_factory() as uow:
        for period_name, period in periods(today).items():
            for scope_name, scope in SCOPES.items():
                for name, dashboard in DASHBOARDS.items():
                    figures[(name, scope_name, period_name)] = dashboard(uow.session, scope, period, today, source)
    return figures


def differences(first: Any, second: Any, path: str = "", names: tuple[str, str] = ("facts", "rollups")) -> list[str]:
    """Where two dashboards part: a path into them and both values."""
    if isinstance(first, dict) and isinstance(second, dict):
        found = []
        for key in sorted(set(first) | set(second), key=str):
            found += differences(first.get(key, "<missing>"), second.get(key, "<missing>"), f"{path}.{key}", names)
        return found
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [found for index, (a, b) in enumerate(zip(first, second))
                for found in differences(a, b, f"{path}[{index}]", names)]
    if first == second and (type(first) is type(second) or (_is_number(first) and _is_number(second))):
        return []  # a count may come back as int from one source and Decimal from the other: the same figure
    return [f"{path or '.'}: {names[0]}={first!r} {names[1]}={second!r}"]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def has_figures(value: Any) -> bool:
    """Any number in a dashboard that is not zero."""
    if isinstance(value, dict):
        return any(has_figures(item) for item in value.values())
    if isinstance(value, list):
        return any(has_figures(item) for item in value)
    return _is_number(value) and value != 0


def assert_rollups_read_like_facts(uow_factory, today: date, what: str) -> dict:
    """Every dashboard equal from both sources, and not empty where the stream put figures; returns the facts'."""
    facts = every_dashboard(uow_factory, "facts", today)
    rollups = every_dashboard(uow_factory, "rollups", today)
    mismatches = [f"{name} / {scope} / {period}{found}"
                  for (name, scope, period), figures in facts.items()
                  for found in differences(figures, rollups[(name, scope, period)])]
    assert not mismatches, f"{what}: {len(mismatches)} figures differ, e.g.\n" + "\n".join(mismatches[:25])
    for name in DASHBOARDS:
        for scope in SCOPES:
            if name not in EMPTY_FOR.get(scope, ()):
                assert any(has_figures(figures) for (n, s, _), figures in facts.items() if (n, s) == (name, scope)), \
                    f"{what}: the {name} dashboard is empty in the {scope} scope in every period"
        for period in periods(today):
            assert has_figures(facts[(name, "admin", period)]), f"{what}: the {name} dashboard is empty in {period}"
    return facts


def rollup_rows(engine) -> dict[str, set[tuple]]:
    """The roll-up rows with a figure that is not zero, per table, comparable (0.000 equals 0)."""
    rows = {}
    with engine.connect() as connection:
        for table in ROLLUP_TABLES:
            measures = [column.name for column in table.c if column.server_default is not None]
            rows[table.name] = {
                tuple(sorted(row.items()))
                for row in connection.execute(select(table)).mappings()
                if any(row[measure] != 0 for measure in measures)
            }
    return rows


def derived_columns(engine) -> dict[str, set[tuple]]:
    """The columns the database derives on facts (credited channel and campaign, customer's owner), per table."""
    values = {}
    with engine.connect() as connection:
        for table in DERIVING_TABLES:
            derived = [table.c[name] for name in DERIVED if name in table.c]
            query = select(*table.primary_key.columns, *derived)
            values[table.name] = {tuple(row) for row in connection.execute(query)}
    return values


def assert_rollups_equal_a_refill(engine, what: str) -> None:
    """The roll-ups and derived columns the triggers kept are what recomputing them from the facts gives
    (roll-up rows of zeros aside)."""
    from reporting.rollup_sql import refill

    kept, kept_derived = rollup_rows(engine), derived_columns(engine)
    assert any(kept.values()), f"{what}: the roll-ups are empty"
    with engine.begin() as connection:
        refill(connection)
    recomputed, derived = rollup_rows(engine), derived_columns(engine)
    stale = [f"{table} {row}" for table in derived for row in sorted(kept_derived[table] - derived[table], key=repr)]
    assert not stale, f"{what}: derived columns the triggers left stale (as kept)\n" + "\n".join(stale[:20])
    parted = []
    for table in kept:
        only_kept = sorted(map(repr, kept[table] - recomputed[table]))
        only_recomputed = sorted(map(repr, recomputed[table] - kept[table]))
        parted += [f"{table} kept by the triggers, not recomputed: {row}" for row in only_kept[:5]]
        parted += [f"{table} recomputed, not kept by the triggers: {row}" for row in only_recomputed[:5]]
    assert not parted, f"{what}: the roll-ups differ from a recomputation\n" + "\n".join(parted[:30])


def _now_and_today() -> tuple[datetime, date]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return now, today_in(reporting_time_zone(), now)


@pytest.mark.parametrize(("seed", "how"), [(101, "mixed"), (202, "batches"), (303, "mixed"), (404, "one_by_one")])
def test_every_dashboard_reads_from_the_rollups_what_the_facts_sum_to(
    postgresql_only, consumer, uow_factory, engine, seed, how
):
    now, today = _now_and_today()
    print(f"seed {seed}, delivered {how}, now {now.isoformat()}")
    history = organisation_history(seed, now, reporting_time_zone(), leads=80 if how == "one_by_one" else 110)
    deliver(consumer, arrival_order(history, seed), seed, how)
    assert consumer.duplicates > 0
    assert_rollups_read_like_facts(uow_factory, today, f"seed {seed}")
    assert_rollups_equal_a_refill(engine, f"seed {seed}")

    # Customers change hands after their payments were counted (and some transfers arrive twice).
    late = history.late + random.Random(seed).sample(history.late, len(history.late) // 2)
    deliver(consumer, late, seed, how)
    assert_rollups_read_like_facts(uow_factory, today, f"seed {seed}, after the late transfers")
    assert_rollups_equal_a_refill(engine, f"seed {seed}, after the late transfers")


def test_a_rebuild_from_the_archive_leaves_the_same_dashboards_and_rollups(
    postgresql_only, consumer, uow_factory, engine
):
    seed = 505
    now, today = _now_and_today()
    print(f"seed {seed}, now {now.isoformat()}")
    history = organisation_history(seed, now, reporting_time_zone())
    deliver(consumer, arrival_order(history, seed) + history.late, seed, "batches")
    live = assert_rollups_read_like_facts(uow_factory, today, f"seed {seed}, live")
    live_facts = fact_rows(engine)

    assert rebuild_read_models(uow_factory, batch_size=97) == len(history.events) + len(history.late)
    rebuilt = assert_rollups_read_like_facts(uow_factory, today, f"seed {seed}, rebuilt")
    assert_rollups_equal_a_refill(engine, f"seed {seed}, rebuilt")
    # Every fact row, not only what the dashboards read of them (a name, a pool) comes out the same.
    rebuilt_facts = fact_rows(engine)
    rows_changed = rows_that_differ(live_facts, rebuilt_facts, ("live", "rebuilt"))
    assert not rows_changed, f"the rebuild changed {len(rows_changed)} fact rows, e.g.\n" + "\n".join(rows_changed[:10])
    # Replayed in the order things happened, the facts must come out as the shuffled live stream left them.
    changed = [f"{' / '.join(key)}{found}" for key, figures in live.items()
               for found in differences(figures, rebuilt[key], names=("live", "rebuilt"))]
    assert not changed, f"the rebuild changed {len(changed)} figures, e.g.\n" + "\n".join(changed[:25])


def test_two_workers_projecting_halves_of_a_stream_at_once_keep_the_rollups_equal_to_the_facts(
    postgresql_only, settings, new_consumer, run_together, uow_factory, engine
):
    seed = 606
    now, today = _now_and_today()
    print(f"seed {seed}, now {now.isoformat()}")
    history = organisation_history(seed, now, reporting_time_zone())
    arriving = arrival_order(history, seed) + history.late
    # Alternate events: the records of one customer are touched by both workers, often in the same moment.
    halves = arriving[0::2], arriving[1::2]
    workers = [new_consumer(settings.database_url) for _ in halves]
    # The worker tries a failed delivery again (a deadlock is retried, not lost), and so does this test.
    errors = run_together(*[
        (lambda worker=worker, half=half, n=n: deliver(worker, half, seed + n, "batches", attempts=3))
        for n, (worker, half) in enumerate(zip(workers, halves))
    ])
    assert errors == []
    assert sum(worker.processed for worker in workers) == len({envelope.id for envelope in arriving})
    assert_rollups_read_like_facts(uow_factory, today, f"seed {seed}, two workers")
    assert_rollups_equal_a_refill(engine, f"seed {seed}, two workers")
