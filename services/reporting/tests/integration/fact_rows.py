"""Every row of the fact tables, by table and primary key: what two ways of projecting one stream must agree on."""
from __future__ import annotations

from sqlalchemy import select

from reporting.db import metadata

FACT_TABLES = [table for name, table in sorted(metadata.tables.items()) if name.startswith("fact_")]


def fact_rows(engine) -> dict[tuple[str, tuple], dict]:
    """Every row of every fact table, by table name and primary key."""
    rows = {}
    with engine.connect() as connection:
        for table in FACT_TABLES:
            key = [column.name for column in table.primary_key.columns]
            for row in connection.execute(select(table)).mappings():
                rows[(table.name, tuple(row[column] for column in key))] = dict(row)
    return rows


def rows_that_differ(first: dict, second: dict, names: tuple[str, str]) -> list[str]:
    """Each row that one of two `fact_rows` lacks or holds otherwise, named with both versions."""
    return [f"{table} {key}: {names[0]} {first.get((table, key))} {names[1]} {second.get((table, key))}"
            for table, key in sorted(set(first) | set(second), key=repr)
            if first.get((table, key)) != second.get((table, key))]
