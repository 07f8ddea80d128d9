"""Exact sums of money columns in SQL, in cents, on PostgreSQL (NUMERIC) and SQLite (the decimal's text).

SQLite's SUM of text amounts would be a float; each amount is turned into whole cents first, which is exact
for any amount below 90 trillion, and whole numbers add up exactly.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

CENT = Decimal("0.01")


class cents_total(FunctionElement):
    """SUM(amount) in whole cents; 0 when there are no rows."""

    name = "cents_total"
    inherit_cache = True


class weighted_cents_total(FunctionElement):
    """SUM(amount × percent / 100, each rounded half up to the cent) in whole cents; 0 when there are no rows."""

    name = "weighted_cents_total"
    inherit_cache = True


@compiles(cents_total)
def _cents_total(element, compiler, **kw) -> str:
    return f"COALESCE(SUM({compiler.process(element.clauses, **kw)}), 0) * 100"


@compiles(cents_total, "sqlite")
def _cents_total_sqlite(element, compiler, **kw) -> str:
    return f"COALESCE(SUM(CAST(ROUND(CAST({compiler.process(element.clauses, **kw)} AS REAL) * 100) AS INTEGER)), 0)"


@compiles(weighted_cents_total)
def _weighted(element, compiler, **kw) -> str:
    amount, percent = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"COALESCE(SUM(ROUND({amount} * {percent} / 100, 2)), 0) * 100"


@compiles(weighted_cents_total, "sqlite")
def _weighted_sqlite(element, compiler, **kw) -> str:
    amount, percent = (compiler.process(clause, **kw) for clause in element.clauses)
    cents = f"ROUND(CAST({amount} AS REAL) * 100)"
    # cents × percent is a whole number; /100 is then exact at the half-cent, where ROUND goes up.
    return f"COALESCE(SUM(CAST(ROUND({cents} * {percent} / 100.0) AS INTEGER)), 0)"


def from_cents(value) -> Decimal:
    """A cents total as read from either backend, as money with two places."""
    return (Decimal(str(value or 0)) / 100).quantize(CENT)
