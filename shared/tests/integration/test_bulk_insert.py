"""BulkInsert stores exactly the rows it is given, on PostgreSQL (binary arrays) and on SQLite (VALUES)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, Numeric, String, Table, Text, event, select
from sqlalchemy.dialects import postgresql

from crm_shared import testing
from crm_shared.bulk import BinaryArray, BulkInsert
from crm_shared.db import UtcDateTime, make_engine

metadata = MetaData()
things = Table(
    "bulk_things",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("note", Text),
    Column("count", Integer),
    Column("amount", Numeric(14, 2)),
    Column("flag", Boolean),
    Column("at", UtcDateTime()),
    Column("body", JSON().with_variant(postgresql.JSONB(), "postgresql")),
)
COLUMNS = [column.name for column in things.c]
START = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
# Quotes, backslashes, braces, commas, NULL-looking text and non-ASCII: what text-format arrays must escape.
AWKWARD = ['plain', 'say "hi"', 'back\\slash', '{braces},', 'NULL', 'Grüße — 東京', '', ' spaced ']


def _rows():
    return [
        {"id": f"id-{n}", "note": text if n % 3 else None, "count": {5: 70_000, 6: -3}.get(n, n),
         "amount": Decimal(n) / 4 if n % 2 else None, "flag": n % 2 == 0, "at": START + timedelta(microseconds=n),
         "body": {"text": text, "nested": {"list": [n, None, "x\"y"]}, "n": n}}
        for n, text in enumerate(AWKWARD)
    ]


def _engine(backend: str, tmp_path: Path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'bulk.db'}"
        engine = make_engine(url)
        metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    with testing.scratch_database("shared_bulk", tmp_path, backend="postgresql") as url:
        engine = make_engine(url)
        metadata.create_all(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request, tmp_path: Path):
    yield from _engine(request.param, tmp_path)


@pytest.fixture
def postgresql_engine(tmp_path: Path):
    # Only PostgreSQL takes the rows as arrays; SQLite gets a multi-row VALUES.
    yield from _engine("postgresql", tmp_path)


def test_bulk_insert_stores_every_value_as_given_and_returns_only_new_rows(engine):
    bulk = BulkInsert(engine.dialect.name, things, COLUMNS)
    statement = bulk.statement.on_conflict_do_nothing(index_elements=["id"]).returning(things.c.id)
    rows = _rows()
    with engine.begin() as connection:
        inserted = set(connection.execute(statement, bulk.parameters(rows[:5])).scalars())
    with engine.begin() as connection:
        again = set(connection.execute(statement, bulk.parameters(rows)).scalars())
    assert inserted == {row["id"] for row in rows[:5]}
    assert again == {row["id"] for row in rows[5:]}
    with engine.connect() as connection:
        stored = [dict(row._mapping) for row in connection.execute(select(things).order_by(things.c.at))]
    assert stored == rows


def test_on_postgresql_every_array_is_sent_in_binary(postgresql_engine):
    engine = postgresql_engine
    sent = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, _sql, parameters, *_: sent.append(parameters))
    bulk = BulkInsert(engine.dialect.name, things, COLUMNS)
    with engine.begin() as connection:
        connection.execute(bulk.statement, bulk.parameters(_rows()))
    (parameters,) = sent
    assert set(parameters) == {f"{column}_values" for column in COLUMNS}
    transformer = Transformer()
    for name, value in parameters.items():
        assert isinstance(value, BinaryArray), name
        # "%s" is the placeholder SQLAlchemy writes: psycopg's automatic choice must be the binary dumper.
        assert transformer.get_dumper(value, PyFormat.AUTO).format == pq.Format.BINARY, name
