"""Searching leads page by page, the duplicate match keys, import jobs and the bulk writes of an import."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import JSON, Table, Text, any_, cast, delete, exists, func, insert, literal, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from crm_shared.db import UtcDateTime
from leads.db import leads, metadata
from leads.db_search import insert_match_keys, lead_imports, lead_match_keys
from leads.domain import MERGED, POOL, Lead
from leads.repository import LeadQuery, lead_conditions
from leads.search import CONTACT_SEPARATOR, SORTS, TextQuery

COUNT_CAP = 10_000
# Keys per IN (...) list: well under SQLite's bound-parameter limit.
KEYS_PER_QUERY = 900


@dataclass(frozen=True)
class SearchFilters:
    """What a search narrows by besides visibility; merged leads only when asked for by status."""

    text: TextQuery | None = None
    region: str | None = None
    industry: str | None = None
    campaign: str | None = None
    tag: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # Pools whose contacts this reader sees masked: their pool leads are not found by phone or e-mail.
    masked_pools: tuple[str, ...] = ()


class LeadSearch:
    def __init__(self, session: Session):
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def conditions(self, query: LeadQuery, filters: SearchFilters) -> list:
        conditions = lead_conditions(query)
        if not query.status:
            conditions.append(leads.c.status != MERGED)
        for column, value in ((leads.c.region, filters.region), (leads.c.industry, filters.industry),
                              (leads.c.campaign, filters.campaign)):
            if value:
                conditions.append(column == value)
        if filters.created_from:
            conditions.append(leads.c.created_at >= filters.created_from)
        if filters.created_to:
            conditions.append(leads.c.created_at < filters.created_to)
        if filters.tag:
            conditions.append(self._has_tag(filters.tag))
        if filters.text:
            conditions.extend(self._matches(filters.text, filters.masked_pools))
        return conditions

    def _has_tag(self, tag: str):
        if self._postgres:
            return cast(leads.c.tags, postgresql.JSONB).contains([tag])
        each = func.json_each(leads.c.tags).table_valued("value")
        return exists(select(1).select_from(each).where(each.c.value == tag))

    def _matches(self, query: TextQuery, masked_pools: Sequence[str]) -> list:
        conditions = []
        if query.pair and self._postgres:
            # Written exactly as the expression index is, so the planner uses it.
            grams = func.string_to_array(leads.c.search_grams, " ")
            conditions.append(grams.op("@>")(cast(postgresql.array([query.text]), postgresql.ARRAY(Text))))
        conditions.append(leads.c.search_text.contains(query.text, autoescape=True))
        if masked_pools:
            if self._postgres:
                named = func.split_part(leads.c.search_text, CONTACT_SEPARATOR, 1)
            else:
                named = func.substr(leads.c.search_text, 1, func.instr(leads.c.search_text, CONTACT_SEPARATOR) - 1)
            hidden = (leads.c.status == POOL) & leads.c.pool_id.in_(masked_pools)
            conditions.append(or_(~hidden, named.contains(query.text, autoescape=True)))
        return conditions

    def page(self, conditions: list, sort: str, after: tuple[Any, str] | None, limit: int) -> tuple[list[Lead], bool]:
        """One page in (sort key, id) order after the cursor, and whether there is more."""
        name, descending = SORTS[sort]
        column = leads.c[name]
        where = list(conditions)
        if after is not None:
            key = literal(after[0], UtcDateTime()) if name == "created_at" else literal(after[0])
            position = tuple_(column, leads.c.id)
            boundary = tuple_(key, literal(after[1]))
            where.append(position < boundary if descending else position > boundary)
        order = (column.desc(), leads.c.id.desc()) if descending else (column.asc(), leads.c.id.asc())
        rows = list(self.session.scalars(select(Lead).where(*where).order_by(*order).limit(limit + 1)))
        return rows[:limit], len(rows) > limit

    def count(self, conditions: list) -> tuple[int, bool]:
        """Exact up to COUNT_CAP; beyond it PostgreSQL's planner estimate (or the cap) and True."""
        capped = select(leads.c.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
        total = self.session.execute(select(func.count()).select_from(capped)).scalar_one()
        if total <= COUNT_CAP:
            return total, False
        if self._postgres:
            statement = select(leads.c.id).where(*conditions)
            compiled = statement.compile(dialect=self.session.get_bind().dialect,
                                         compile_kwargs={"render_postcompile": True})
            plan = self.session.connection().exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + compiled.string, compiled.params
            ).scalar_one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            return max(COUNT_CAP + 1, int(plan[0]["Plan"]["Plan Rows"])), True
        return COUNT_CAP + 1, True


class MatchKeys:
    """Which leads each duplicate key points at."""

    def __init__(self, session: Session):
        self.session = session

    def leads_by_key(self, keys: Iterable[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        wanted = sorted(set(keys))
        postgres = self.session.get_bind().dialect.name == "postgresql"
        # PostgreSQL gets one array parameter: psycopg prepares a statement run five times, and the generic
        # plan of `IN` with 900 parameters took 0.7 s where `= ANY(array)` takes milliseconds.
        step = (len(wanted) or 1) if postgres else KEYS_PER_QUERY
        for start in range(0, len(wanted), step):
            chunk = wanted[start:start + step]
            if postgres:
                matching = lead_match_keys.c.key == any_(cast(literal(chunk, postgresql.ARRAY(Text)), postgresql.ARRAY(Text)))
            else:
                matching = lead_match_keys.c.key.in_(chunk)
            for key, lead_id in self.session.execute(select(lead_match_keys.c.key, lead_match_keys.c.lead_id).where(matching)):
                found.setdefault(key, []).append(lead_id)
        return found

    def of_lead(self, lead_id: str) -> set[str]:
        return set(self.session.scalars(select(lead_match_keys.c.key).where(lead_match_keys.c.lead_id == lead_id)))

    def add(self, rows: list[dict]) -> None:
        insert_match_keys(self.session.connection(), rows)

    def move(self, from_lead: str, to_lead: str) -> int:
        """Give `to_lead` the keys of `from_lead`, so the merged lead's phone and e-mail still find the survivor."""
        keys = self.of_lead(from_lead)
        self.add([{"key": key, "lead_id": to_lead} for key in keys])
        self.session.execute(delete(lead_match_keys).where(lead_match_keys.c.lead_id == from_lead))
        return len(keys)


class LeadRows:
    """Rows of other tables that belong to a lead, and bulk writes of new leads (imports)."""

    def __init__(self, session: Session):
        self.session = session

    def repoint(self, table_names: Iterable[str], from_lead: str, to_lead: str) -> dict[str, int]:
        """Move the rows of each named table (those that exist) from one lead to another; counts per table."""
        moved = {}
        for name in table_names:
            table = metadata.tables.get(name)
            if table is None or "lead_id" not in table.c:
                continue
            result = self.session.execute(update(table).where(table.c.lead_id == from_lead).values(lead_id=to_lead))
            moved[name] = result.rowcount
        return moved

    def bulk_insert(self, table: Table, rows: list[dict]) -> None:
        """Many new rows at once, in this transaction: COPY on PostgreSQL, one executemany on SQLite.

        Only for rows that cannot conflict (new ids): COPY has no ON CONFLICT.
        """
        if not rows:
            return
        if self.session.get_bind().dialect.name != "postgresql":
            self.session.execute(insert(table), rows)
            return
        names = list(rows[0])
        as_json = {name for name in names if isinstance(table.c[name].type, JSON)}
        columns = ", ".join(f'"{name}"' for name in names)
        cursor = self.session.connection().connection.driver_connection.cursor()
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([
                    json.dumps(row[name], ensure_ascii=False) if name in as_json and row[name] is not None else row[name]
                    for name in names
                ])


class ImportJobs:
    def __init__(self, session: Session):
        self.session = session

    def add(self, row: dict) -> None:
        self.session.execute(insert(lead_imports).values(**row))

    def update(self, import_id: str, **values) -> None:
        self.session.execute(update(lead_imports).where(lead_imports.c.id == import_id).values(**values))

    def get(self, import_id: str) -> dict | None:
        row = self.session.execute(select(lead_imports).where(lead_imports.c.id == import_id)).mappings().first()
        return dict(row) if row else None
