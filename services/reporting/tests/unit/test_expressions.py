"""The report builder's expression language: values computed by the database, and what it refuses."""
from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, create_engine, func, inspect, select

from crm_shared.db import ExactDecimal, UtcDateTime
from reporting.expressions import (
    FUNCTIONS,
    Compiled,
    ExpressionError,
    FieldCatalog,
    ResolvedField,
    compile_expression,
    referenced_fields,
)

KIND_OF_COLUMN = {
    "id": "integer",
    "amount": "money",
    "win_probability": "integer",
    "paid_amount": "money",
    "planned_amount": "money",
    "discount": "money",
    "status": "text",
    "customer_id": "text",
    "label": "text",
    "created_at": "datetime",
    "closed_at": "datetime",
    "start_date": "date",
    "end_date": "date",
    "is_priority": "boolean",
}

INJECTION = "x'; drop table t; --"

ROWS = [
    dict(id=1, amount=Decimal("9000.50"), win_probability=40, paid_amount=Decimal("4500.25"),
         planned_amount=Decimal("9000.50"), discount=None, status="won", customer_id="c1", label="O'Brien",
         created_at=datetime(2026, 1, 30, 12, tzinfo=timezone.utc),
         closed_at=datetime(2026, 2, 2, 11, tzinfo=timezone.utc),
         start_date=date(2026, 1, 31), end_date=date(2026, 3, 1), is_priority=True),
    dict(id=2, amount=Decimal("12000.00"), win_probability=75, paid_amount=Decimal("0.00"),
         planned_amount=Decimal("0.00"), discount=Decimal("250.00"), status="lost", customer_id="c1", label="b",
         created_at=datetime(2026, 1, 1, 0, tzinfo=timezone.utc), closed_at=None,
         start_date=date(2026, 2, 28), end_date=date(2026, 2, 1), is_priority=False),
    dict(id=3, amount=Decimal("500.00"), win_probability=10, paid_amount=None,
         planned_amount=Decimal("1000.00"), discount=None, status="open", customer_id="c2", label="c",
         created_at=datetime(2026, 3, 1, 0, tzinfo=timezone.utc), closed_at=None,
         start_date=None, end_date=date(2026, 4, 1), is_priority=True),
    dict(id=4, amount=Decimal("25000.00"), win_probability=50, paid_amount=Decimal("500.00"),
         planned_amount=Decimal("1000.00"), discount=Decimal("0.00"), status="open", customer_id="c3",
         label=INJECTION, created_at=datetime(2026, 1, 31, 23, tzinfo=timezone.utc),
         closed_at=datetime(2026, 2, 1, 1, tzinfo=timezone.utc),
         start_date=date(2026, 12, 31), end_date=date(2027, 1, 1), is_priority=False),
]

TYPE_OF_KIND = {
    "integer": Integer,
    "money": ExactDecimal,
    "text": lambda: String(40),
    "datetime": UtcDateTime,
    "date": Date,
    "boolean": Boolean,
}


def build_table(name: str) -> Table:
    metadata = MetaData()
    columns = [Column(column, TYPE_OF_KIND[kind](), primary_key=column == "id")
               for column, kind in KIND_OF_COLUMN.items()]
    return Table(name, metadata, *columns)


def _postgresql_url() -> str | None:
    return os.environ.get("CRM_TEST_DATABASE_URL")


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgresql", marks=[
            pytest.mark.integration,
            pytest.mark.skipif(not _postgresql_url(), reason="set CRM_TEST_DATABASE_URL to check on PostgreSQL"),
        ]),
    ],
)
def deals(request):
    """A table of four deals on SQLite, or (uniquely named, dropped afterwards) on PostgreSQL."""
    if request.param == "sqlite":
        engine = create_engine("sqlite://")
        table = build_table("deals")
    else:
        engine = create_engine(_postgresql_url(), connect_args={"options": "-c timezone=UTC"})
        table = build_table(f"expression_deals_{uuid.uuid4().hex[:12]}")
    table.metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            connection.execute(table.insert(), ROWS)
        yield engine, table
    finally:
        table.metadata.drop_all(engine)
        engine.dispose()


def catalog_for(table: Table) -> FieldCatalog:
    fields = {name: ResolvedField(table.c[name], kind) for name, kind in KIND_OF_COLUMN.items()}
    fields["Win probability"] = fields["win_probability"]
    fields["customer.industry"] = ResolvedField(table.c.label, "text")
    return FieldCatalog(fields)


def values(deals, text: str) -> list:
    """The expression's value on each row, in id order."""
    engine, table = deals
    compiled = compile_expression(text, catalog_for(table), allow_aggregates=False)
    with engine.connect() as connection:
        return connection.execute(select(compiled.column).select_from(table).order_by(table.c.id)).scalars().all()


def per_status(deals, text: str) -> dict:
    """The measure's value for each status group."""
    engine, table = deals
    compiled = compile_expression(text, catalog_for(table), allow_aggregates=True)
    query = select(table.c.status, compiled.column).group_by(table.c.status)
    with engine.connect() as connection:
        return dict(connection.execute(query).all())


def each(text_or_function, rows=ROWS) -> list:
    return [text_or_function(row) for row in rows]


# ---------------------------------------------------------------- values


@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("2 - 3 - 4", -5),
    ("-2 * 3 + 1", -5),
    ("7 / 2", Decimal("3.5")),
    ("2 * 7 / 4", Decimal("3.5")),
    ("7 / 0", None),
    ("10 % 4", 2),
    ("7.5 % 2", Decimal("1.5")),
    ("7 % 0", None),
    ("floor(-2.5)", -3),
    ("ceil(2.1)", 3),
    ("floor(4)", 4),
    ("abs(0 - 4.25)", Decimal("4.25")),
    ("round(1234.5678, 2)", Decimal("1234.57")),
    ("round(2.5)", 3),
    ("1 = 1 and not 1 > 2", True),
    ("1 > 2 or 2 >= 2", True),
    ("'it''s' = concat('it', '''s')", True),
    ("length('it''s')", 4),
    ("upper('won')", "WON"),
    ("if(1 <> 1, 'a', 'b')", "b"),
    ("coalesce(null, null, 5)", 5),
])
def test_constant_expressions_compute_the_expected_value(deals, text, expected):
    assert values(deals, text) == [expected] * len(ROWS)


def test_multiplication_and_division_bind_tighter_than_addition_on_fields(deals):
    assert values(deals, "amount * win_probability / 100") == each(
        lambda row: row["amount"] * row["win_probability"] / 100)
    assert values(deals, "1 + win_probability * 2") == each(lambda row: 1 + row["win_probability"] * 2)


def test_ratio_is_empty_when_the_denominator_is_zero_or_empty(deals):
    assert values(deals, "ratio(paid_amount, planned_amount)") == [Decimal("0.5"), None, None, Decimal("0.5")]
    assert values(deals, "paid_amount / planned_amount") == [Decimal("0.5"), None, None, Decimal("0.5")]


def test_money_compares_as_a_number_not_as_text(deals):
    assert values(deals, "amount >= 10000") == each(lambda row: row["amount"] >= 10000)
    assert values(deals, "amount < 9000.51") == each(lambda row: row["amount"] < Decimal("9000.51"))


@pytest.mark.parametrize("text, holds", [
    ("win_probability <= 40", lambda row: row["win_probability"] <= 40),
    ("win_probability < 40", lambda row: row["win_probability"] < 40),
    ("win_probability >= 50", lambda row: row["win_probability"] >= 50),
    ("win_probability > 50", lambda row: row["win_probability"] > 50),
    ("status = 'open'", lambda row: row["status"] == "open"),
    ("status != 'open'", lambda row: row["status"] != "open"),
    ("status <> 'open'", lambda row: row["status"] != "open"),
    ("label > 'b'", lambda row: row["label"] > "b"),
    ("is_priority = false", lambda row: not row["is_priority"]),
    ("is_priority != true", lambda row: not row["is_priority"]),
])
def test_each_comparison_operator_compares_fields(deals, text, holds):
    assert values(deals, text) == each(holds)


def test_days_between_counts_whole_days_across_month_ends(deals):
    assert values(deals, "days_between(start_date, end_date)") == [29, -27, None, 1]
    assert values(deals, "days_between(end_date, start_date)") == [-29, 27, None, -1]
    # 2 days 23 hours, and 2 hours over midnight: whole days elapsed.
    assert values(deals, "days_between(created_at, closed_at)") == [2, None, None, 0]


def test_today_is_the_current_utc_date(deals):
    today = datetime.now(timezone.utc).date()
    assert values(deals, "today()") == [today] * len(ROWS)
    assert values(deals, "days_between(start_date, today())") == each(
        lambda row: None if row["start_date"] is None else (today - row["start_date"]).days)


def test_if_coalesce_and_round_work_on_fields(deals):
    assert values(deals, "if(status = 'won', amount, 0)") == each(
        lambda row: row["amount"] if row["status"] == "won" else 0)
    assert values(deals, "coalesce(discount, 0)") == each(lambda row: row["discount"] or 0)
    assert values(deals, "round(amount / 1000, 1)") == [Decimal("9.0"), Decimal("12.0"), Decimal("0.5"),
                                                        Decimal("25.0")]
    assert values(deals, "if(is_priority, 'urgent', null)") == ["urgent", None, "urgent", None]


def test_text_literals_keep_escaped_quotes(deals):
    assert values(deals, "label = 'O''Brien'") == [True, False, False, False]
    assert values(deals, "concat(lower(status), '/', upper(customer_id))") == each(
        lambda row: f"{row['status']}/{row['customer_id'].upper()}")


def test_in_not_in_and_is_null(deals):
    assert values(deals, "status in ('won', 'lost')") == [True, True, False, False]
    assert values(deals, "status not in ('won')") == [False, True, True, True]
    assert values(deals, "discount is null") == [True, False, True, False]
    assert values(deals, "discount is not null") == [False, True, False, True]
    assert values(deals, "not (status in ('won', 'lost')) and amount >= 10000") == [False, False, False, True]


def test_not_binds_looser_than_a_comparison_and_tighter_than_and(deals):
    assert values(deals, "not status = 'won' and is_priority") == [False, False, True, False]
    assert values(deals, "is_priority OR status = 'lost' AND amount > 20000") == [True, False, True, False]


def test_dates_compare_with_iso_text(deals):
    assert values(deals, "closed_at >= '2026-02-02'") == [True, None, None, False]
    assert values(deals, "start_date in ('2026-01-31', '2026-12-31')") == [True, False, None, True]
    assert values(deals, "created_at >= '2026-01-31'") == [False, False, True, True]
    assert values(deals, "created_at < start_date") == [True, True, None, True]


def test_bracketed_labels_and_dotted_names_resolve(deals):
    assert values(deals, "[Win probability] + 0") == each(lambda row: row["win_probability"])
    assert values(deals, "customer.industry = 'b'") == [False, True, False, False]


def test_aggregates_are_computed_per_group(deals):
    groups = sorted({row["status"] for row in ROWS})
    rows_of = {status: [row for row in ROWS if row["status"] == status] for status in groups}
    assert per_status(deals, "sum(amount)") == {s: sum(r["amount"] for r in rows_of[s]) for s in groups}
    assert per_status(deals, "count()") == {s: len(rows_of[s]) for s in groups}
    assert per_status(deals, "count(paid_amount)") == {"lost": 1, "open": 1, "won": 1}
    assert per_status(deals, "count_distinct(customer_id)") == {"lost": 1, "open": 2, "won": 1}
    assert per_status(deals, "sum(paid_amount) / sum(planned_amount)") == {
        "lost": None, "open": Decimal("0.25"), "won": Decimal("0.5")}
    assert per_status(deals, "max(amount)") == {s: max(r["amount"] for r in rows_of[s]) for s in groups}
    assert per_status(deals, "avg(win_probability)") == {"lost": 75, "open": 30, "won": 40}
    assert per_status(deals, "sum(if(is_priority, amount, 0)) / 100") == {
        "lost": 0, "open": 5, "won": Decimal("90.005")}
    assert per_status(deals, "min(end_date)") == {"lost": date(2026, 2, 1), "open": date(2026, 4, 1),
                                                  "won": date(2026, 3, 1)}


def test_sql_inside_a_text_literal_is_compared_literally_as_a_bound_parameter(deals):
    engine, table = deals
    text = "label = 'x''; drop table t; --'"
    compiled = compile_expression(text, catalog_for(table), allow_aggregates=False)
    assert "drop table" not in str(select(compiled.column).compile(engine)).lower()
    assert values(deals, text) == [row["label"] == INJECTION for row in ROWS]
    with engine.connect() as connection:
        assert inspect(connection).has_table(table.name)
        assert connection.execute(select(func.count()).select_from(table)).scalar() == len(ROWS)


# ---------------------------------------------------------------- what compiles to what


@pytest.fixture
def table() -> Table:
    return build_table("deals")


def test_compiled_reports_kind_aggregation_and_fields(table):
    measure = compile_expression("SUM(paid_amount) / Sum([Win probability])", catalog_for(table),
                                 allow_aggregates=True)
    assert isinstance(measure, Compiled)
    assert (measure.kind, measure.is_aggregate, measure.fields) == ("number", True,
                                                                    {"paid_amount", "Win probability"})
    row_level = compile_expression("status = 'won'", catalog_for(table), allow_aggregates=True)
    assert (row_level.kind, row_level.is_aggregate, row_level.fields) == ("boolean", False, {"status"})
    assert compile_expression("coalesce(start_date, created_at)", catalog_for(table),
                              allow_aggregates=False).kind == "datetime"


def test_referenced_fields_parses_without_resolving():
    assert referenced_fields("sum(amount) / count() + [Any label] * customer.industry") == {
        "amount", "Any label", "customer.industry"}
    with pytest.raises(ExpressionError):
        referenced_fields("amount +")


def test_every_function_has_a_description_the_ui_can_show():
    assert {"if", "ratio", "coalesce", "round", "abs", "floor", "ceil", "days_between", "today", "lower",
            "upper", "length", "concat", "sum", "avg", "min", "max", "count", "count_distinct"} == set(FUNCTIONS)
    assert all(description.startswith(name + "(") for name, description in FUNCTIONS.items())


def test_a_plain_callable_resolver_works_without_suggestions(table):
    def resolve(name):
        return ResolvedField(table.c.amount, "money") if name == "amount" else None

    assert compile_expression("amount * 2", resolve, allow_aggregates=False).fields == {"amount"}
    with pytest.raises(ExpressionError) as raised:
        compile_expression("amont", resolve, allow_aggregates=False)
    assert raised.value.message == "unknown field `amont`"


# ---------------------------------------------------------------- refusals

REFUSED = [
    # (expression, allow_aggregates, words in the message, position)
    ("__import__('os')", False, "may not start with `__`", 0),
    ("amount.__class__", False, "may not start with `__`", 0),
    ("eval('1 + 1')", False, "unknown function `eval`", 0),
    ("os.system('ls')", False, "unknown function `os.system`", 0),
    ("sqrt(amount)", False, "unknown function `sqrt`", 0),
    ("amount; drop table deals", False, "unexpected character `;`", 6),
    ("amount -- x", False, "`--` is not allowed", 7),
    ("amount /* x */", False, "`/*` is not allowed", 7),
    ('"double quoted"', False, "single quotes", 0),
    ("amount if status else 0", False, "unexpected `if`", 7),
    ("lambda: 1", False, "unexpected character `:`", 6),
    ("{'a': 1}", False, "unexpected character `{`", 0),
    ("amount $ 2", False, "unexpected character `$`", 7),
    ("amount\x00", False, "unexpected character", 6),
    ("Amount * 2", False, "field names are lower case", 0),
    ("amonut * 2", False, "unknown field `amonut`; did you mean amount", 0),
    ("[No such label]", False, "unknown field `No such label`", 0),
    ("sum(amount) + amount", True, "`amount` must be inside an aggregate such as sum(amount)", 14),
    ("if(status = 'won', sum(amount), 0)", True, "`status` must be inside an aggregate", 3),
    ("sum(count())", True, "cannot be nested", 4),
    ("sum(amount)", False, "aggregates are not allowed here", 0),
    ("amount + status", False, "`+` needs numbers, not number and text; use concat()", 7),
    ("status and true", False, "`and` needs true/false values, not text and boolean", 7),
    ("not amount", False, "`not` needs boolean, not number", 0),
    ("if(is_priority, amount, status)", False, "if() gives number in one branch and text in the other", 0),
    ("days_between(amount, closed_at)", False, "days_between() needs date or datetime, not number", 13),
    ("amount >= '10000'", False, "`>=` cannot compare number with text", 7),
    ("created_at > 'yesterday'", False, "'yesterday' is not a date", 13),
    ("sum(status)", True, "sum() needs number, not text", 0),
    ("amount = null", False, "write `is null`", 7),
    ("1 < 2 < 3", False, "cannot be chained", 6),
    ("round(amount, 1.5)", False, "digits must be a whole number", 14),
    ("count(amount, status)", True, "count() takes 0 to 1 arguments, not 2", 0),
    ("x" * 501, False, "longer than 500 characters", 500),
    ("(" * 33 + "1" + ")" * 33, False, "deeper than 32 levels", 32),
    ("- " * 40 + "1", False, "deeper than 32 levels", 64),
    ("not " * 40 + "true", False, "deeper than 32 levels", 128),
    ("+".join(["1"] * 101), False, "more than 200 parts", 200),
    ("'unterminated", False, "never closed", 0),
    ("status = 'won", False, "never closed", 9),
    ("(amount + 1", False, "expected `)`", 11),
    ("amount +", False, "ends too early", 8),
    ("status in ()", False, "a value is expected", 11),
    ("   ", False, "empty", 0),
    ("null", False, "always empty", 0),
    ("12abc", False, "right after the number 12", 2),
]


@pytest.mark.parametrize("text, allow_aggregates, words, position", REFUSED,
                         ids=[f"{index}:{case[0][:30]}" for index, case in enumerate(REFUSED)])
def test_hostile_or_invalid_expressions_are_refused_with_a_useful_message(table, text, allow_aggregates, words,
                                                                        position):
    with pytest.raises(ExpressionError) as raised:
        compile_expression(text, catalog_for(table), allow_aggregates=allow_aggregates)
    error = raised.value
    assert isinstance(error, ValueError)
    assert words in error.message
    assert error.position == position
    assert f"at character {position}" in str(error)


def test_nesting_up_to_the_limit_is_accepted(table):
    compiled = compile_expression("(" * 32 + "1" + ")" * 32, catalog_for(table), allow_aggregates=False)
    assert compiled.kind == "number"
