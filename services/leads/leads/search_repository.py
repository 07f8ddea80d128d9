"""Searching leads page by page, the duplicate match keys, import jobs and the bulk writes of an import."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from operator import itemgetter
from typing import Any, Iterable, Sequence

from sqlalchemy import (
    JSON,
    Table,
    Text,
    and_,
    any_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from crm_shared.db import UtcDateTime
from leads.db import leads, metadata
from leads.db_search import insert_match_keys, lead_imports, lead_match_keys
from leads.domain import MERGED, POOL, Lead
from leads.repository import LeadQuery, VisibilityBranch, lead_conditions, members_of_teams, visibility_branches
from leads.search import CONTACT_SEPARATOR, SORTS, TextQuery

COUNT_CAP = 10_000
# How long an exact count may take before the planner's estimate answers instead (PostgreSQL).
COUNT_BUDGET_MS = 15
# Past this many expected matches the estimate answers without an attempt to count (PostgreSQL).
COUNT_NOT_TRIED_ABOVE = 2 * COUNT_CAP
# Past this planner cost a count with free text is not tried (PostgreSQL): it rechecks the text of every
# candidate the trigram or pair index gives, and on 1,000,000 leads no such count costing 16,000 or more
# (an English word: 3,000-20,000 matches from 18,000 candidates) finished within COUNT_BUDGET_MS, where
# those that did cost under 3,000 (docs/performance.md).
TEXT_COUNT_NOT_TRIED_COSTLIER = 10_000
# How long a page may take the way the planner chose before it is fetched the other way (LeadSearch.page).
PAGE_BUDGET_MS = 25
# How long a first page read by fetching and sorting every match may take, counting them as it goes,
# before it is read the planner's other way: a bad guess of how many match can mean 100,000s to sort.
SORTED_PAGE_BUDGET_MS = 150
QUERY_CANCELED = "57014"
# The savepoint a page or count runs in with its own settings (a time budget, a planner setting off).
BUDGET_SAVEPOINT = "search_budget"
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


@dataclass(frozen=True)
class Matching:
    """What a search matches: conditions every lead meets, and disjoint visibility branches it meets one of.

    No branches: the reader sees every lead. Several: pool leads of their pools, their own, their teams'
    (leads/repository.py `visibility_branches`), which PostgreSQL fetches one by one on their own indexes.
    """

    common: tuple
    branches: tuple[VisibilityBranch, ...] = ()
    # Whether free text is among the conditions: every candidate the text index gives is read and its text checked.
    reads_text: bool = False

    def where(self) -> list:
        """All of it as one WHERE."""
        if not self.branches:
            return list(self.common)
        return [*self.common, or_(*(and_(*branch.conditions) for branch in self.branches))]


@dataclass(frozen=True)
class SearchPage:
    leads: list[Lead]
    more: bool
    # Every match, when reading the page counted them (a first page fetched by sorting all matches).
    total: int | None = None

    @classmethod
    def of(cls, rows: list[Lead], limit: int) -> "SearchPage":
        return cls(rows[:limit], len(rows) > limit)


class LeadSearch:
    def __init__(self, session: Session):
        self.session = session
        self._custom_plans = False

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def matching(self, query: LeadQuery, filters: SearchFilters, sort: str = "-created_at") -> Matching:
        """The search's conditions with the reader's visibility split into its branches.

        A team's members' leads in date order without free text are a branch per member, each walking
        `ix_leads_owner_created` (fetching the 27,500 leads of a team of ten and sorting them took 110 ms).
        A sales manager's search with free text stays one WHERE with the page's time budget: one branch
        for the whole team walked the date index past all 1,000,000 leads when a pool filter ruled the
        team's leads out, and one per member read the text index ten times. So does any search in
        company order: the pool's branch walked `ix_leads_company_id` for 100-300 ms with no time
        budget to stop it, where the one WHERE is stopped at 25 ms and fetched the other way.
        """
        branches = None
        in_date_order = SORTS[sort][0] == "created_at"
        by_member = filters.text is None and in_date_order
        if query.visible_to_owner and in_date_order and (by_member or not query.visible_teams):
            members = self.session.scalars(members_of_teams(query.visible_teams)) if query.visible_teams else ()
            branches = visibility_branches(query, list(members), member_by_member=by_member)
            query = LeadQuery(**{**query.__dict__, "visible_to_owner": None, "visible_pools": None,
                                 "visible_teams": ()})
        return Matching(tuple(self.conditions(query, filters)), tuple(branches or ()), filters.text is not None)

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
            # Written exactly as the expression index is, so the planner uses it. No LIKE besides: every
            # pair in `search_grams` is in `search_text` too (both are made of the same normalised names),
            # and the planner, multiplying the two as if unrelated, took 4,542 matches for 193.
            grams = func.string_to_array(leads.c.search_grams, " ")
            conditions.append(grams.op("@>")(cast(postgresql.array([query.text]), postgresql.ARRAY(Text))))
        else:
            conditions.append(leads.c.search_text.contains(query.text, autoescape=True))
        if masked_pools:
            if self._postgres:
                named = func.split_part(leads.c.search_text, CONTACT_SEPARATOR, 1)
            else:
                named = func.substr(leads.c.search_text, 1, func.instr(leads.c.search_text, CONTACT_SEPARATOR) - 1)
            hidden = (leads.c.status == POOL) & leads.c.pool_id.in_(masked_pools)
            conditions.append(or_(~hidden, named.contains(query.text, autoescape=True)))
        return conditions

    def page(self, matching: Matching, sort: str, after: tuple[Any, str] | None, limit: int) -> SearchPage:
        """One page in (sort key, id) order after the cursor, whether there is more, and on a first page
        the number of matches when reading the page meant reading every match anyway."""
        name, descending = SORTS[sort]
        keyset = []
        if after is not None:
            key = literal(after[0], UtcDateTime()) if name == "created_at" else literal(after[0])
            position = tuple_(leads.c[name], leads.c.id)
            boundary = tuple_(key, literal(after[1]))
            keyset.append(position < boundary if descending else position > boundary)
        statement = self._page_statement(matching, name, descending, keyset, limit + 1)
        if not self._postgres:
            return SearchPage.of(list(self.session.scalars(statement)), limit)
        # Asked of the planner on a first page (to count as it sorts) and, on later pages, only if the
        # page ran out of its budget and the other way must be chosen.
        walks = _walks_in_order(self._plan(statement)) if after is None else None
        if after is None and not walks:
            # The planner fetches every match and sorts them: count them in the same pass.
            counted = self._counted_statement(matching, name, descending, limit + 1)
            page = self._within_budget(lambda: self._counted_page(counted, limit), SORTED_PAGE_BUDGET_MS)
            if page is not None:
                return page
        rows = self._within_budget(lambda: list(self.session.scalars(statement)), PAGE_BUDGET_MS)
        if rows is not None:
            return SearchPage.of(rows, limit)
        if len(matching.branches) < 2:
            if walks is None:
                walks = _walks_in_order(self._plan(statement))
            if walks and after is None:
                # The walk down the sort order's index met too few matches in its budget: sort them all.
                counted = self._counted_statement(matching, name, descending, limit + 1)
                return self._with(["enable_indexscan"], lambda: self._counted_page(counted, limit))
            setting = "enable_indexscan" if walks else "enable_sort"
            return SearchPage.of(self._with([setting], lambda: list(self.session.scalars(statement))), limit)
        # A team's branch walked the date index for leads the other filters ruled out (a pool filter):
        # fetch each owners' branch through the owner index instead, bounded by the owners' leads.
        bounded = self._page_statement(matching, name, descending, keyset, limit + 1, bounded=True)
        return SearchPage.of(list(self.session.scalars(bounded)), limit)

    def _counted_statement(self, matching: Matching, name: str, descending: bool, limit: int):
        """A first page's ids with the number of matches beside each: per visibility branch, every match
        counted as it is read (`count(*) OVER ()`), the branch's first `limit` kept; then the page's top.

        With free text there is one part, the whole WHERE: the text index is read once and what the
        reader sees filters its candidates. A part per branch read a common word's 41,000 trigram
        candidates once for each (a rep's `trading` in the public pool: 63 against 51 ms, `software`
        with region and industry 21 against 13 ms, the same pages and totals).
        """
        def ordered(column, id_column):
            return _ordered(column, id_column, descending)

        one_part = not matching.branches or matching.reads_text
        branches = (VisibilityBranch(conditions=(), owners=0),) if one_part else matching.branches
        common = tuple(matching.where()) if one_part else matching.common
        parts = [
            select(literal(number).label("branch"), leads.c.id, leads.c[name].label("sort_key"),
                   func.count().over().label("matches"))
            .where(*common, *branch.conditions)
            .order_by(*ordered(leads.c[name], leads.c.id))
            .limit(limit)
            for number, branch in enumerate(branches)
        ]
        found = (union_all(*parts) if len(parts) > 1 else parts[0]).cte("visible_matches")
        top = select(found.c.id, found.c.sort_key).order_by(*ordered(found.c.sort_key, found.c.id)).limit(limit)
        top = top.subquery("page_ids")
        per_branch = select(found.c.branch, found.c.matches).distinct().subquery("branch_matches")
        total = select(func.sum(per_branch.c.matches)).scalar_subquery()
        return (select(Lead, total.label("matches")).join(top, Lead.id == top.c.id)
                .order_by(*ordered(top.c.sort_key, top.c.id)))

    def _counted_page(self, statement, limit: int) -> SearchPage:
        rows = self.session.execute(statement).all()
        page = SearchPage.of([lead for lead, _ in rows], limit)
        return replace(page, total=int(rows[0][1]) if rows else 0)

    def _page_statement(self, matching: Matching, name: str, descending: bool, keyset: list, limit: int,
                        bounded: bool = False):
        """The page's SELECT: on PostgreSQL each visibility branch ordered and limited on its own, then merged.

        One WHERE with `pool leads of my pools OR mine OR my teams'` left the planner to guess how many
        leads the OR lets through, and it guessed 184 where 11,891 matched (docs/performance.md). Each
        branch alone has an index that serves it, and the top `limit` of the whole is among the top
        `limit` of each branch. An owners' branch in company order (and, when `bounded`, in any order) is
        fetched through the owner index and sorted: OFFSET 0 keeps the planner from walking a sort index
        of the whole table, which read all 1,000,000 leads when none of the team's leads matched (a
        status of pool, a pool filter). One owner's leads in date order walk `ix_leads_owner_created`.
        """
        def ordered(table):
            return _ordered(table.c[name], table.c.id, descending)

        if not self._postgres or len(matching.branches) < 2:
            return select(Lead).where(*matching.where(), *keyset).order_by(*ordered(leads)).limit(limit)
        parts = []
        for branch in matching.branches:
            part = select(leads).where(*matching.common, *branch.conditions, *keyset)
            if branch.owners and (bounded or name != "created_at"):
                fenced = part.offset(0).subquery()
                part = select(fenced).order_by(*ordered(fenced))
            else:
                part = part.order_by(*ordered(leads))
            parts.append(part.limit(limit))
        merged = union_all(*parts).subquery("visible_leads")
        return select(aliased(Lead, merged)).order_by(*ordered(merged)).limit(limit)

    def _with(self, settings: list[str], run):
        """`run()` with the planner's `settings` off for it alone.

        A page is either read by walking the sort order's index until enough leads match, or by fetching
        every match through the filters' indexes and sorting them. The planner picks by how many leads it
        expects to match, and a wrong guess is costly both ways: a phone fragment it took for 1 % of
        1,000,000 leads matched 61 (the walk read 800,000 leads: 1 s), and a sales manager's visibility
        it took for 184 leads let 11,891 through (fetching and sorting them all: 0.26 s, walking: 10 ms).
        After the way it chose ran out of its time budget, the other way is forced by turning this off.
        """
        return self._in_savepoint({setting: "off" for setting in settings}, run)

    def _in_savepoint(self, settings: dict[str, str], run):
        """`run()` in a savepoint with `settings` SET LOCAL for it alone, in one round trip before and one after.

        A search sends these around its pages and counts; one statement each for the savepoint, every
        setting, its reset and the release made up to 16 statements a search (docs/performance.md). A `run()`
        that fails is rolled back to the savepoint, which undoes the settings too, and its error raised.
        """
        sets = "".join(f"; SET LOCAL {name} = {value}" for name, value in settings.items())
        resets = "".join(f"SET LOCAL {name} TO DEFAULT; " for name in settings)
        self.session.execute(text(f"{self._custom_plans_first()}SAVEPOINT {BUDGET_SAVEPOINT}{sets}"))
        try:
            result = run()
        except Exception:
            self.session.execute(text(f"ROLLBACK TO SAVEPOINT {BUDGET_SAVEPOINT}; RELEASE SAVEPOINT {BUDGET_SAVEPOINT}"))
            raise
        self.session.execute(text(f"{resets}RELEASE SAVEPOINT {BUDGET_SAVEPOINT}"))
        return result

    def _plan_for_each_query(self) -> None:
        """Have PostgreSQL plan this transaction's searches for the words searched, never once for all words.

        psycopg prepares a statement it has run five times, and PostgreSQL may then switch to a generic
        plan that does not know the text: on 1,000,000 leads the generic plan of a 2-character search
        took 8.5 s where the plan for `锦佳` takes 0.7 ms (docs/performance.md).
        """
        setting = self._custom_plans_first()
        if setting:
            self.session.execute(text(setting.rstrip("; ")))

    def _custom_plans_first(self) -> str:
        """The SET that `_plan_for_each_query` sends, to send ahead of a statement if not sent yet; else ''.

        Outside any savepoint, so that a savepoint rolled back does not undo it.
        """
        if not self._postgres or self._custom_plans:
            return ""
        self._custom_plans = True
        return "SET LOCAL plan_cache_mode = force_custom_plan; "

    def count(self, matching: Matching, at_least: int = 0) -> tuple[int, bool]:
        """Exact up to COUNT_CAP if PostgreSQL counts it within COUNT_BUDGET_MS; else its planner's estimate, and True.

        Counting even 10,001 rows can mean reading far more: a filter no index serves (region and
        industry, a tag, a date range with a channel) matches its few thousand leads only after a scan
        of every pool lead, 0.6 s on 1,000,000 leads. Past the budget the answer is the estimate, never
        below `at_least` (what the caller has seen already). The estimate comes first: when it is far
        above the cap, or the planner's cost of a count with free text says it cannot finish in its
        budget, the count is not tried at all (it would only spend its budget to say "more").
        """
        matches = select(leads.c.id).where(*matching.where())
        capped = select(func.count()).select_from(matches.limit(COUNT_CAP + 1).subquery())
        if not self._postgres:
            total = self.session.execute(capped).scalar_one()
            return (total, False) if total <= COUNT_CAP else (COUNT_CAP + 1, True)
        # The planner guesses better for the branches one by one than for their OR (`科技`: 3,294 against
        # 199 for 4,755 matches), but counts faster through the one WHERE (channel + three months: the
        # pool's branch intersected 380,000 pool leads from `ix_leads_pool_status`, 46 ms against 15).
        if len(matching.branches) > 1:
            plan = self._plan(union_all(
                *(select(leads.c.id).where(*matching.common, *branch.conditions) for branch in matching.branches)))
        else:
            plan = self._plan(matches)
        estimate = max(at_least, int(plan["Plan Rows"]))
        too_costly = matching.reads_text and plan["Total Cost"] > TEXT_COUNT_NOT_TRIED_COSTLIER
        if estimate > COUNT_NOT_TRIED_ABOVE or too_costly:
            return estimate, True
        total = self._within_budget(lambda: self.session.execute(capped).scalar_one(), COUNT_BUDGET_MS)
        if total is not None and total <= COUNT_CAP:
            return total, False
        return (max(COUNT_CAP + 1, estimate) if total is not None else estimate), True

    def _within_budget(self, run, budget_ms: int):
        """What `run()` gives, or None if PostgreSQL takes longer than `budget_ms` and cancels it."""
        try:
            return self._in_savepoint({"statement_timeout": str(int(budget_ms))}, run)
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != QUERY_CANCELED:
                raise
            return None  # the savepoint's rollback undid the SET LOCAL too

    def _plan(self, statement) -> dict:
        """PostgreSQL's plan of `statement` (EXPLAIN, not run)."""
        self._plan_for_each_query()
        plan = self.session.execute(Explain(statement)).scalar_one()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return plan[0]["Plan"]


def _ordered(column, id_column, descending: bool) -> tuple:
    """ORDER BY the sort key, then the id, both the same way (the keyset cursor's order)."""
    return (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())


def _walks_in_order(plan: dict) -> bool:
    """Whether the plan reads some part of a page by walking an index in the page's order (an index scan
    with no sort above it), stopping when it has enough: else it fetches every match and sorts them."""
    if plan["Node Type"] == "Sort":
        return False
    if plan["Node Type"] in ("Index Scan", "Index Only Scan"):
        return True
    return any(_walks_in_order(child) for child in plan.get("Plans", ()))


class Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON)` of a statement, compiled once per shape like the statement itself.

    Compiling the search's SELECT by hand for each EXPLAIN took 3 ms of every search; through the
    statement cache it is a lookup, and the parameters go with their column types (a tag list as JSON).
    """

    inherit_cache = True
    _traverse_internals = [("statement", InternalTraversal.dp_clauseelement)]

    def __init__(self, statement):
        self.statement = statement

    @property
    def _all_selected_columns(self):
        # The compiled form names the statement's columns (its SELECT is the outermost one the compiler
        # met); a cached compiled form is matched to a new Explain through them. The plan is read by position.
        return self.statement._all_selected_columns


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler, **kw) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


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
        as_json = [index for index, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
        # One C-level call per row picks its values in column order (an import writes six tables of them).
        values_of = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        columns = ", ".join(f'"{name}"' for name in names)
        cursor = self.session.connection().connection.driver_connection.cursor()
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = values_of(row)
                if as_json:
                    values = list(values)
                    for index in as_json:
                        if values[index] is not None:
                            values[index] = json.dumps(values[index], ensure_ascii=False)
                copy.write_row(values)


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
