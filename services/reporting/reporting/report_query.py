"""A report definition turned into one SQL query over a dataset, within the viewer's data scope.

The definition (checked for shape by report_schemas.ReportDefinitionSchema) names a dataset, optional
computed fields (expressions.py), dimensions (with date buckets), measures, filters (AND/OR trees, relative
dates) and run-time parameters. Without measures it is a list: one row per record, for exports.
Everything a user writes is checked against the dataset here, and every error says which part is wrong.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Numeric, and_, cast, func, or_, select, text, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String

from crm_shared.errors import APIError
from reporting import datasets
from reporting.datasets import DATE_KINDS, NUMBER_KINDS, Dataset, Query
from reporting.expressions import ExpressionError, ResolvedField, compile_expression
from reporting.periods import NAMED_PERIODS, Period, midnight, named_period, today_in
from reporting.scopes import Scope, owned_by_scope

BUCKETS = ("day", "week", "month", "quarter", "year")
AGGREGATES = ("count", "count_distinct", "sum", "avg", "min", "max")
OPERATORS = (
    "eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "between", "is_null", "not_null", "contains", "relative",
)
RELATIVE_DAYS = {"today": 0, "yesterday": 1}
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000
MAX_FILTER_DEPTH = 5
MAX_CONDITIONS = 50


class InvalidReport(APIError):
    """A report definition that cannot run; `where` points at the part (e.g. "measures[1].field")."""

    def __init__(self, where: str, message: str):
        super().__init__(400, "invalid_report", f"{where}: {message}", {where: [message]})


@dataclass(frozen=True)
class Column:
    """One column of a report's result."""

    key: str
    label: str
    kind: str  # a datasets.KINDS kind
    role: str  # dimension, measure


@dataclass
class CompiledReport:
    """The statement of a report run and the columns its rows carry, in order."""

    statement: Select
    columns: list[Column]
    limit: int
    compile_grouped: Any = None  # builds the same report grouped by fewer dimensions (pivot totals)


# --- date buckets ------------------------------------------------------------------------------------

class DateBucket(FunctionElement):
    """A date or timestamp as the label of its bucket ("2026-11-27", week's Monday, "2026-11", "2026-Q4", "2026")."""

    type = String()
    inherit_cache = True

    def __init__(self, moment, bucket: str, zone: str, is_date: bool):
        self.bucket = bucket
        self.zone = zone
        self.is_date = is_date
        super().__init__(moment)


_POSTGRESQL_FORMATS = {"day": "YYYY-MM-DD", "week": "YYYY-MM-DD", "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}


class DateBucketStart(FunctionElement):
    """What a report groups a DateBucket by: on PostgreSQL the bucket's first moment (date_trunc), which
    groups far faster than the text label; the label is then made once per group from it."""

    inherit_cache = True

    def __init__(self, bucket: DateBucket):
        self.bucket = bucket
        super().__init__(*bucket.clauses)


def _local_start_postgresql(element: DateBucket, compiler, **kw) -> str:
    moment = compiler.process(list(element.clauses)[0], **kw)
    zone = element.zone.replace("'", "''")
    local = f"({moment})::timestamp" if element.is_date else f"(({moment}) AT TIME ZONE '{zone}')"
    return f"date_trunc('{element.bucket}', {local})"


@compiles(DateBucket, "postgresql")
def _bucket_postgresql(element, compiler, **kw):
    return f"to_char({_local_start_postgresql(element, compiler, **kw)}, '{_POSTGRESQL_FORMATS[element.bucket]}')"


@compiles(DateBucketStart, "postgresql")
def _bucket_start_postgresql(element, compiler, **kw):
    return _local_start_postgresql(element.bucket, compiler, **kw)


@compiles(DateBucketStart)
def _bucket_start_default(element, compiler, **kw):
    return compiler.process(element.bucket, **kw)


def _grouping(element: ColumnElement) -> ColumnElement:
    """The expression a dimension is grouped by (its own, but a date bucket's start on PostgreSQL)."""
    return DateBucketStart(element) if isinstance(element, DateBucket) else element


@compiles(DateBucket, "sqlite")
def _bucket_sqlite(element, compiler, **kw):
    moment = compiler.process(list(element.clauses)[0], **kw)
    # SQLite knows no time zones: the zone's offset now (a fixed offset; PostgreSQL follows DST exactly).
    offset = 0 if element.is_date else int(datetime.now(ZoneInfo(element.zone)).utcoffset().total_seconds())
    local = f"datetime({moment}, '{offset:+d} seconds')"
    if element.bucket == "day":
        return f"strftime('%Y-%m-%d', {local})"
    if element.bucket == "week":
        return f"date({local}, '-6 days', 'weekday 1')"
    if element.bucket == "month":
        return f"strftime('%Y-%m', {local})"
    if element.bucket == "quarter":
        return f"(strftime('%Y', {local}) || '-Q' || ((CAST(strftime('%m', {local}) AS INTEGER) + 2) / 3))"
    return f"strftime('%Y', {local})"


# --- compiling a definition ---------------------------------------------------------------------------

class _Compiler:
    def __init__(self, definition: Mapping[str, Any], scope: Scope, zone: ZoneInfo, today: date):
        self.definition = definition
        self.scope = scope
        self.zone = zone
        self.today = today
        name = definition["dataset"]
        if name not in datasets.DATASETS:
            raise InvalidReport("dataset", f"no dataset {name!r}; choose one of {', '.join(datasets.DATASETS)}")
        self.dataset: Dataset = datasets.DATASETS[name]
        self.query = Query(self.dataset)
        self.computed: dict[str, ResolvedField] = {}
        self.keys: set[str] = set()
        # Measures that are one plain aggregate of one column: {key: (aggregate, column or None for count())}.
        self.plain_measures: dict[str, tuple[str, ColumnElement | None]] = {}

    def resolve(self, name: str) -> ResolvedField | None:
        return self.computed.get(name) or self.query.resolve(name)

    def close_matches(self, name: str) -> list[str]:
        """Field names like a misspelt one, for messages (the expression language asks for them too)."""
        return difflib.get_close_matches(name, sorted([*self.dataset.fields, *self.computed]), n=3, cutoff=0.6)

    def field(self, name: str, where: str) -> ResolvedField:
        found = self.resolve(name)
        if found is None:
            close = self.close_matches(name)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InvalidReport(where, f"no field {name!r} in dataset {self.dataset.name}{hint}")
        return found

    def expression(self, text: str, where: str, *, aggregates: bool):
        try:
            return compile_expression(text, _Resolver(self), allow_aggregates=aggregates)
        except ExpressionError as error:
            raise InvalidReport(where, str(error)) from error

    def claim_key(self, key: str, where: str) -> str:
        if key in self.keys:
            raise InvalidReport(where, f"the key {key!r} is used twice; give each column its own key")
        self.keys.add(key)
        return key

    def compile_computed(self) -> None:
        for index, item in enumerate(self.definition.get("computed") or []):
            where = f"computed[{index}]"
            key = item["key"]
            if self.query.resolve(key) is not None:
                raise InvalidReport(f"{where}.key", f"{key!r} is already a field of {self.dataset.name}; pick another key")
            if key in self.computed:
                raise InvalidReport(f"{where}.key", f"the computed field {key!r} is defined twice")
            compiled = self.expression(item["expression"], f"{where}.expression", aggregates=False)
            kind = {"number": "number"}.get(compiled.kind, compiled.kind)
            self.computed[key] = ResolvedField(compiled.column, kind)

    def label_of(self, name: str) -> str:
        for item in self.definition.get("computed") or []:
            if item["key"] == name:
                return item.get("label") or name
        found = self.dataset.fields.get(name)
        return found.label if found else name

    def dimension(self, index: int, item: Mapping[str, Any]) -> tuple[Column, ColumnElement]:
        where = f"dimensions[{index}]"
        resolved = self.field(item["field"], f"{where}.field")
        bucket = item.get("bucket")
        column, kind = resolved.column, resolved.kind
        if bucket:
            if kind not in DATE_KINDS:
                raise InvalidReport(f"{where}.bucket", f"only date fields have buckets; {item['field']!r} is {kind}")
            column = DateBucket(column, bucket, self.zone.key, kind == "date")
            kind = "text"
        key = self.claim_key(item.get("key") or (f"{item['field']}_{bucket}" if bucket else item["field"]).replace(".", "_"), f"{where}.key")
        label = item.get("label") or self.label_of(item["field"]) + (f" ({bucket})" if bucket else "")
        return Column(key, label, kind, "dimension"), column

    def measure(self, index: int, item: Mapping[str, Any]) -> tuple[Column, ColumnElement]:
        where = f"measures[{index}]"
        key = self.claim_key(item["key"], f"{where}.key")
        if item.get("expression"):
            compiled = self.expression(item["expression"], f"{where}.expression", aggregates=True)
            if not compiled.is_aggregate:
                raise InvalidReport(
                    f"{where}.expression", "a measure sums up many records: use an aggregate such as sum(amount) or count()"
                )
            return Column(key, item.get("label") or key, compiled.kind, "measure"), compiled.column
        aggregate = item.get("aggregate")
        if aggregate not in AGGREGATES:
            raise InvalidReport(f"{where}.aggregate", f"choose one of {', '.join(AGGREGATES)}, or give an expression")
        if aggregate == "count" and not item.get("field"):
            self.plain_measures[key] = ("count", None)
            return Column(key, item.get("label") or "Count", "integer", "measure"), func.count()
        if not item.get("field"):
            raise InvalidReport(f"{where}.field", f"{aggregate} needs a field")
        resolved = self.field(item["field"], f"{where}.field")
        column, kind = resolved.column, resolved.kind
        if aggregate in ("sum", "avg") and kind not in NUMBER_KINDS:
            raise InvalidReport(f"{where}.field", f"{aggregate} needs a number field; {item['field']!r} is {kind}")
        if kind == "money" or (kind in NUMBER_KINDS and aggregate in ("sum", "avg")):
            column = cast(column, Numeric(18, 4))  # money is text on SQLite: compare and add it as a number
        label = item.get("label") or f"{aggregate.replace('_', ' ')} of {self.label_of(item['field'])}"
        self.plain_measures[key] = (aggregate, column)
        if aggregate == "count":
            return Column(key, label, "integer", "measure"), func.count(column)
        if aggregate == "count_distinct":
            return Column(key, label, "integer", "measure"), func.count(column.distinct())
        if aggregate == "avg":
            return Column(key, label, "money" if kind == "money" else "number", "measure"), func.avg(column)
        function = {"sum": func.sum, "min": func.min, "max": func.max}[aggregate]
        return Column(key, label, kind, "measure"), function(column)

    # filters

    def condition(self, node: Mapping[str, Any], where: str, depth: int, counter: list[int]) -> ColumnElement:
        if depth > MAX_FILTER_DEPTH:
            raise InvalidReport(where, f"filters nest at most {MAX_FILTER_DEPTH} deep")
        for joiner, combine in (("all", and_), ("any", or_)):
            if joiner in node:
                items = node[joiner]
                if not isinstance(items, list) or not items:
                    raise InvalidReport(f"{where}.{joiner}", "give a non-empty list of conditions")
                parts = [self.condition(item, f"{where}.{joiner}[{i}]", depth + 1, counter) for i, item in enumerate(items)]
                return combine(*parts)
        counter[0] += 1
        if counter[0] > MAX_CONDITIONS:
            raise InvalidReport(where, f"at most {MAX_CONDITIONS} conditions")
        if not isinstance(node.get("field"), str):
            raise InvalidReport(where, 'a condition is {"field", "op", "value"}, a group {"all": [...]} or {"any": [...]}')
        op = node.get("op")
        if op not in OPERATORS:
            raise InvalidReport(f"{where}.op", f"choose one of {', '.join(OPERATORS)}")
        resolved = self.field(node["field"], f"{where}.field")
        return _comparison(resolved, op, node.get("value"), f"{where}.value", self.zone, self.today)

    def filters(self, parameters: Mapping[str, Any]) -> ColumnElement:
        counter = [0]
        parts = []
        if self.definition.get("filters"):
            parts.append(self.condition(self.definition["filters"], "filters", 1, counter))
        declared = {item["key"]: item for item in self.definition.get("parameters") or []}
        for key in parameters:
            if key not in declared:
                raise InvalidReport(f"parameters.{key}", f"the report has no run-time filter {key!r}")
        for index, (key, item) in enumerate(declared.items()):
            value = parameters.get(key, item.get("default"))
            if value is None or value == "":
                continue  # a run-time filter left empty filters nothing
            resolved = self.field(item["field"], f"parameters[{index}].field")
            parts.append(_comparison(resolved, item["op"], value, f"parameters.{key}", self.zone, self.today))
        return and_(true(), *parts)


class _Resolver:
    """The expression language's view of a report's fields: look one up, or suggest close names."""

    def __init__(self, compiler: _Compiler):
        self._compiler = compiler

    def __call__(self, name: str) -> ResolvedField | None:
        return self._compiler.resolve(name)

    def close_matches(self, name: str) -> list[str]:
        return self._compiler.close_matches(name)


def compile_report(
    definition: Mapping[str, Any],
    scope: Scope,
    *,
    zone: ZoneInfo,
    parameters: Mapping[str, Any] | None = None,
    today: date | None = None,
    limit: int | None = None,
) -> CompiledReport:
    """The statement for `definition`, run as the viewer whose scope is `scope`."""
    compiler = _Compiler(definition, scope, zone, today or today_in(zone))
    compiler.compile_computed()
    dimensions = [compiler.dimension(i, item) for i, item in enumerate(definition.get("dimensions") or [])]
    measures = [compiler.measure(i, item) for i, item in enumerate(definition.get("measures") or [])]
    if not dimensions and not measures:
        raise InvalidReport("dimensions", "pick at least one field to show or one measure")
    where = and_(compiler.filters(parameters or {}), owned_by_scope(scope, compiler.query.owner(), tickets=compiler.dataset.tickets))
    columns = [column for column, _ in dimensions + measures]
    by_key = {column.key: element for column, element in dimensions + measures}

    distinct_column = _splittable_distinct(compiler.plain_measures, [column.key for column, _ in measures])

    def build(kept_dimensions: Sequence[str] | None = None) -> Select:
        chosen = [(c, e) for c, e in dimensions if kept_dimensions is None or c.key in kept_dimensions]
        if distinct_column is not None:
            return _grouped_in_two_steps(chosen, measures, compiler, distinct_column, where)
        selected = [e.label(c.key) for c, e in chosen] + [e.label(c.key) for c, e in measures]
        statement = select(*selected).select_from(compiler.query.from_clause).where(where)
        if measures:
            statement = statement.group_by(*[_grouping(e) for _, e in chosen])
        return statement

    statement = build()
    if measures:
        # Grouped once, in full, before sorting and cutting: asked for the first rows of a grouping,
        # PostgreSQL would otherwise walk an index in group order and visit every row at random.
        grouped = statement.cte("report").prefix_with("MATERIALIZED", dialect="postgresql")
        statement = select(*grouped.c)
        by_key = {column.key: grouped.c[column.key] for column in columns}
    order = []
    for index, item in enumerate(definition.get("sort") or []):
        if item["key"] not in by_key:
            raise InvalidReport(f"sort[{index}].key", f"sort by a column of the report: {', '.join(by_key)}")
        element = by_key[item["key"]]
        order.append(element.desc() if item.get("direction") == "desc" else element.asc())
    if not order:
        order = [by_key[column.key].asc() for column, _ in dimensions]
    statement = statement.order_by(*order)
    chosen_limit = min(limit or definition.get("limit") or DEFAULT_LIMIT, MAX_LIMIT)
    return CompiledReport(statement, columns, chosen_limit, build)


# count(DISTINCT x) per group makes PostgreSQL sort every row of each group (spilling to disk past
# work_mem); grouped first by the dimensions and x it hashes instead, and a second, small grouping counts
# the x values of each group and adds up the other measures' partial figures. Only plain counts, sums,
# minimums and maximums split that way, beside distinct counts of one field; anything else (averages,
# expressions, distinct counts of two fields) is grouped once.
_PER_DISTINCT_VALUE = {"count": func.count, "sum": func.sum, "min": func.min, "max": func.max}
_COMBINED = {"count": func.sum, "sum": func.sum, "min": func.min, "max": func.max}


def _splittable_distinct(plain: Mapping[str, tuple[str, Any]], measure_keys: Sequence[str]) -> ColumnElement | None:
    """The one field every distinct count counts, if the report's measures can be grouped in two steps."""
    distinct = [plain[key][1] for key in measure_keys if key in plain and plain[key][0] == "count_distinct"]
    if not distinct or any(key not in plain for key in measure_keys):
        return None
    if any(aggregate not in _COMBINED and aggregate != "count_distinct" for aggregate, _ in plain.values()):
        return None
    if any(not column.compare(distinct[0]) for column in distinct[1:]):
        return None
    return distinct[0]


def _grouped_in_two_steps(chosen, measures, compiler: _Compiler, distinct_column: ColumnElement, where) -> Select:
    dimension_labels = [element.label(f"d{index}") for index, (_, element) in enumerate(chosen)]
    partials = []
    for index, (column, _) in enumerate(measures):
        aggregate, field = compiler.plain_measures[column.key]
        if aggregate != "count_distinct":
            partial = func.count() if field is None else _PER_DISTINCT_VALUE[aggregate](field)
            partials.append(partial.label(f"m{index}"))
    inner = (
        select(*dimension_labels, distinct_column.label("distinct_value"), *partials)
        .select_from(compiler.query.from_clause)
        .where(where)
        .group_by(*[_grouping(label.element) for label in dimension_labels], distinct_column)
        .subquery("per_distinct_value")
    )
    outer = [inner.c[f"d{index}"].label(column.key) for index, (column, _) in enumerate(chosen)]
    for index, (column, _) in enumerate(measures):
        aggregate, _ = compiler.plain_measures[column.key]
        if aggregate == "count_distinct":
            outer.append(func.count(inner.c.distinct_value).label(column.key))
        elif aggregate == "count":
            # Over no rows at all (a report without dimensions), a sum of counts is NULL, a count is 0.
            outer.append(func.coalesce(func.sum(inner.c[f"m{index}"]), 0).label(column.key))
        else:
            outer.append(_COMBINED[aggregate](inner.c[f"m{index}"]).label(column.key))
    return select(*outer).group_by(*[inner.c[f"d{index}"] for index in range(len(chosen))])


def _comparison(resolved: ResolvedField, op: str, value: Any, where: str, zone: ZoneInfo, today: date) -> ColumnElement:
    column, kind = resolved.column, resolved.kind
    if kind == "money":
        column = cast(column, Numeric(18, 4))
    if op == "is_null":
        return column.is_(None)
    if op == "not_null":
        return column.is_not(None)
    if op == "contains":
        if kind != "text":
            raise InvalidReport(where, "contains works on text fields")
        text = _coerce(value, "text", where)
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.ilike(f"%{escaped}%", escape="\\")
    if op == "relative":
        if kind not in DATE_KINDS:
            raise InvalidReport(where, "relative periods work on date fields")
        period = _relative_period(value, where, zone, today)
        return _within(column, kind, period.first, period.last, zone)
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > 500:
            raise InvalidReport(where, "give a list of 1 to 500 values")
        values = [_coerce(item, kind, where) for item in value]
        return column.in_(values) if op == "in" else or_(column.not_in(values), column.is_(None))
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise InvalidReport(where, "give [from, to], both included")
        low, high = (_coerce(item, kind, where) for item in value)
        if kind == "datetime":
            return _within(column, kind, low, high, zone)
        return and_(column >= low, column <= high)
    operand = _coerce(value, kind, where)
    if kind == "datetime" and isinstance(operand, date) and not isinstance(operand, datetime):
        # A day against a moment: the day in the reporting time zone.
        start, end = midnight(operand, zone), midnight(operand + timedelta(days=1), zone)
        return {
            "eq": and_(column >= start, column < end),
            "ne": or_(column < start, column >= end),
            "lt": column < start,
            "lte": column < end,
            "gt": column >= end,
            "gte": column >= start,
        }[op]
    return {
        "eq": column == operand,
        "ne": or_(column != operand, column.is_(None)),
        "lt": column < operand,
        "lte": column <= operand,
        "gt": column > operand,
        "gte": column >= operand,
    }[op]


def _within(column, kind: str, first: date, last: date, zone: ZoneInfo) -> ColumnElement:
    if kind == "date":
        return and_(column >= first, column <= last)
    start = midnight(first, zone) if not isinstance(first, datetime) else first
    end = midnight(last + timedelta(days=1), zone) if not isinstance(last, datetime) else last
    return and_(column >= start, column < end)


def _relative_period(value: Any, where: str, zone: ZoneInfo, today: date) -> Period:
    if value in RELATIVE_DAYS:
        day = today - timedelta(days=RELATIVE_DAYS[value])
        return Period(day, day, zone)
    if value in NAMED_PERIODS:
        return named_period(value, today, zone)
    choices = ", ".join([*RELATIVE_DAYS, *NAMED_PERIODS])
    raise InvalidReport(where, f"choose a relative period: {choices}")


def _coerce(value: Any, kind: str, where: str):
    """A filter value as the field's kind, or a message saying what was expected."""
    try:
        if kind == "text":
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise ValueError
            text = str(value)
            if len(text) > 300:
                raise InvalidReport(where, "a text value is at most 300 characters")
            return text
        if kind == "boolean":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind in ("number", "money"):
            if isinstance(value, bool):
                raise ValueError
            number = Decimal(str(value))
            if not number.is_finite():
                raise ValueError
            return number
        if kind == "integer":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ValueError
            return int(value)
        if kind == "date":
            return date.fromisoformat(str(value))
        if kind == "datetime":
            text = str(value)
            if len(text) == 10:
                return date.fromisoformat(text)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError
            return moment.astimezone(timezone.utc)
    except (ValueError, InvalidOperation, TypeError):
        pass
    expected = {
        "text": "text", "boolean": "true or false", "number": "a number", "money": "an amount such as 1234.50",
        "integer": "a whole number", "date": "a date YYYY-MM-DD", "datetime": "a date YYYY-MM-DD or a time with its zone",
    }[kind]
    raise InvalidReport(where, f"{value!r} is not {expected}")


# --- running -------------------------------------------------------------------------------------------

# Memory PostgreSQL may use for each grouping of a report before it spills to disk (its default, 4 MB,
# makes a report over a million rows sort on disk); for this transaction only.
GROUPING_MEMORY = "64MB"


def room_to_group(session: Session) -> None:
    """Let the current transaction's report queries group in memory (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{GROUPING_MEMORY}'"))


def rows_of(session: Session, report: CompiledReport, *, limit: int | None) -> tuple[list[dict], bool]:
    """The report's rows as plain values (at most `limit`), and whether more were left out."""
    room_to_group(session)
    statement = report.statement if limit is None else report.statement.limit(limit + 1)
    result = [dict(row) for row in session.execute(statement).mappings()]
    truncated = limit is not None and len(result) > limit
    return [_typed(row, report.columns) for row in result[:limit]], truncated


def stream_rows(session: Session, report: CompiledReport, batch: int = 2000) -> Iterator[dict]:
    """Every row of the report, fetched in batches from a server-side cursor (exports)."""
    room_to_group(session)
    result = session.execute(report.statement.execution_options(yield_per=batch))
    for row in result.mappings():
        yield _typed(dict(row), report.columns)


def _typed(row: dict, columns: Sequence[Column]) -> dict:
    for column in columns:
        value = row.get(column.key)
        if value is None:
            continue
        if column.kind == "money":
            row[column.key] = Decimal(str(value)).quantize(Decimal("0.01"))
        elif column.kind == "number":
            row[column.key] = Decimal(str(value)).quantize(Decimal("0.0001")).normalize() if not isinstance(value, int) else value
        elif column.kind == "integer":
            row[column.key] = int(value)
        elif column.kind == "datetime" and isinstance(value, datetime) and value.tzinfo is None:
            row[column.key] = value.replace(tzinfo=timezone.utc)
        elif column.kind == "datetime" and isinstance(value, str):
            row[column.key] = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        elif column.kind == "date" and isinstance(value, str):
            row[column.key] = date.fromisoformat(value[:10])
    return row


def json_value(value: Any, kind: str) -> Any:
    """A cell as JSON: money as "1234.50", other numbers as numbers, times in ISO 8601."""
    if value is None:
        return None
    if kind == "money":
        return f"{Decimal(value):.2f}"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value

