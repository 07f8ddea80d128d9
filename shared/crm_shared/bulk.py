"""Many rows in one INSERT: from one array per column on PostgreSQL, a multi-row VALUES elsewhere.

A multi-row VALUES of a few hundred rows carries thousands of placeholders, and psycopg parses a query
that long afresh each time (it caches only short ones): that parse cost more than the database's work.
`INSERT ... SELECT FROM unnest(:col1, :col2, ...)` takes one array per column instead, so the SQL text
is the same whatever the number of rows: parsed once, and prepared by the server after a few runs.

The arrays travel in PostgreSQL's binary format. In text format psycopg quotes and escapes every
element with a regular expression, which cost more than the database's work on these batches
(JSON payloads, full of quotes, the most); in binary each element is its length and its bytes.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from psycopg import adapters
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import Table, TypeDecorator, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite


class BinaryArray(list):
    """A list psycopg sends as a binary array, whatever the query's placeholder asks for."""


# A dumper registered in one format alone is also the one psycopg picks for a `%s` placeholder (the
# only kind SQLAlchemy writes); registered globally, so every connection, made before or after, has it.
adapters.register_dumper(BinaryArray, ListBinaryDumper)


class _BinaryArrayType(TypeDecorator):
    """ARRAY whose bound values reach psycopg as BinaryArray, after the element type's own processing.

    A decorator, not an ARRAY subclass: the dialect swaps ARRAY subclasses for its own ARRAY class.
    """

    impl = postgresql.ARRAY
    cache_ok = True

    def bind_processor(self, dialect):
        process = super().bind_processor(dialect)

        def to_binary(value):
            if value is None:
                return None
            return BinaryArray(process(value) if process else value)

        return to_binary


class BulkInsert:
    """An INSERT of many rows of `columns` into `table`; add ON CONFLICT / RETURNING to `statement`."""

    def __init__(self, dialect: str, table: Table, columns: Sequence[str]):
        self.columns = tuple(columns)
        self.arrays = dialect == "postgresql"
        if self.arrays:
            arrays = [bindparam(f"{column}_values", type_=_BinaryArrayType(table.c[column].type)) for column in self.columns]
            rows = func.unnest(*arrays).table_valued(*self.columns).render_derived()
            self.statement = postgresql.insert(table).from_select(self.columns, select(*rows.c))
        else:
            self.statement = sqlite.insert(table)

    def parameters(self, rows: Sequence[Mapping[str, Any]]):
        """What to execute `statement` with for `rows` (each with exactly `columns`)."""
        if self.arrays:
            return {f"{column}_values": [row[column] for row in rows] for column in self.columns}
        # SQLAlchemy sends an executemany with RETURNING as multi-row VALUES ("insertmanyvalues").
        return list(rows)
