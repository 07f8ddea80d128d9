"""The report builder's expression language: parsed, type-checked, compiled to SQLAlchemy Core; never run as Python."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Callable, Mapping

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    true,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from crm_shared.db import UtcDateTime

MAX_LENGTH = 500
MAX_DEPTH = 32
MAX_TOKENS = 200

FUNCTIONS: dict[str, str] = {
    "if": "if(condition, then, else): `then` when the condition holds, else `else`",
    "ratio": "ratio(a, b): a divided by b; empty when b is 0 or empty",
    "coalesce": "coalesce(a, b, ...): the first value that is not empty",
    "round": "round(x[, digits]): x rounded to `digits` decimals (0 to 10, default 0)",
    "abs": "abs(x): the absolute value of x",
    "floor": "floor(x): the largest whole number not above x",
    "ceil": "ceil(x): the smallest whole number not below x",
    "days_between": "days_between(d1, d2): whole days from d1 to d2",
    "today": "today(): the current date",
    "lower": "lower(s): s in lower case",
    "upper": "upper(s): s in upper case",
    "length": "length(s): the number of characters in s",
    "concat": "concat(a, b, ...): the texts joined; empty ones count as ''",
    "sum": "sum(x): the total of x over the group",
    "avg": "avg(x): the average of x over the group",
    "min": "min(x): the smallest x in the group",
    "max": "max(x): the largest x in the group",
    "count": "count() or count(x): the number of rows, or of rows where x is not empty",
    "count_distinct": "count_distinct(x): the number of different values of x",
}

AGGREGATES = frozenset({"sum", "avg", "min", "max", "count", "count_distinct"})

_ARITY: dict[str, tuple[int, int | None]] = {
    "if": (3, 3),
    "ratio": (2, 2),
    "coalesce": (2, None),
    "round": (1, 2),
    "abs": (1, 1),
    "floor": (1, 1),
    "ceil": (1, 1),
    "days_between": (2, 2),
    "today": (0, 0),
    "lower": (1, 1),
    "upper": (1, 1),
    "length": (1, 1),
    "concat": (2, None),
    "sum": (1, 1),
    "avg": (1, 1),
    "min": (1, 1),
    "max": (1, 1),
    "count": (0, 1),
    "count_distinct": (1, 1),
}

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false"})

# A field's kind as the caller describes it -> the kind the type checker works with.
_KIND_OF_FIELD = {
    "number": "number",
    "money": "number",
    "integer": "number",
    "text": "text",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
}

# The kind of the `null` literal: it fits wherever any kind is expected.
_NULL = "null"


@dataclass(frozen=True)
class ResolvedField:
    column: ColumnElement
    kind: str  # "number" | "money" | "integer" | "text" | "date" | "datetime" | "boolean"


Resolver = Callable[[str], ResolvedField | None]


@dataclass(frozen=True)
class Compiled:
    column: ColumnElement
    kind: str  # "number" | "text" | "date" | "datetime" | "boolean"
    is_aggregate: bool
    fields: frozenset[str]


class ExpressionError(ValueError):
    """An expression the language refuses; `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int):
        self.message = message
        self.position = position
        super().__init__(f"{message} (at character {position})")


class FieldCatalog:
    """A resolver over a fixed set of fields, which can also suggest the names closest to a misspelt one."""

    def __init__(self, fields: Mapping[str, ResolvedField]):
        self._fields = dict(fields)

    def __call__(self, name: str) -> ResolvedField | None:
        return self._fields.get(name)

    def close_matches(self, name: str) -> list[str]:
        """Up to three known names that look like `name`."""
        return difflib.get_close_matches(name, list(self._fields), n=3, cutoff=0.6)


def compile_expression(text: str, resolve: Resolver, *, allow_aggregates: bool) -> Compiled:
    """Parse, type-check and compile `text` into a SQLAlchemy column expression."""
    tree = _Parser(_tokenize(text)).parse()
    compiler = _Compiler(resolve, allow_aggregates)
    result = compiler.compile(tree, inside_aggregate=False)
    if result.kind == _NULL:
        raise ExpressionError("the expression is always empty (null); give it a value", tree.position)
    if compiler.aggregate_seen and compiler.bare_fields:
        name, position = compiler.bare_fields[0]
        raise ExpressionError(
            f"`{name}` must be inside an aggregate such as sum({_written(name)}), "
            "because the expression also uses an aggregate",
            position,
        )
    return Compiled(
        column=result.column,
        kind=result.kind,
        is_aggregate=compiler.aggregate_seen,
        fields=frozenset(compiler.fields),
    )


def referenced_fields(text: str) -> frozenset[str]:
    """The field names `text` refers to, from parsing alone (no resolving, no type checks)."""
    found: set[str] = set()

    def walk(node: _Node) -> None:
        if isinstance(node, _Field):
            found.add(node.name)
        for child in node.children():
            walk(child)

    walk(_Parser(_tokenize(text)).parse())
    return frozenset(found)


def _written(name: str) -> str:
    return name if _IDENTIFIER_PATH.fullmatch(name) else f"[{name}]"


# ---------------------------------------------------------------- tokens

@dataclass(frozen=True)
class _Token:
    kind: str  # "number" | "string" | "name" | "field" | "op" | "end"
    text: str
    position: int
    value: object = None


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENTIFIER_PATH = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*")
_OPERATORS = ("<=", ">=", "<>", "!=", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",")
_MAX_NUMBER_DIGITS = 30
_MAX_LABEL_LENGTH = 100


def _tokenize(text: str) -> list[_Token]:
    if not isinstance(text, str):
        raise ExpressionError("an expression must be text", 0)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
            continue
        if len(tokens) >= MAX_TOKENS:
            raise ExpressionError(f"the expression has more than {MAX_TOKENS} parts; simplify it", index)
        if text.startswith("--", index) or text.startswith("/*", index) or text.startswith("*/", index):
            raise ExpressionError(f"`{text[index:index + 2]}` is not allowed: expressions have no comments", index)
        if char in "0123456789":
            match = _NUMBER.match(text, index)
            end = match.end()
            if end < len(text) and (text[end].isalnum() or text[end] in "_.'\"["):
                raise ExpressionError(f"unexpected `{text[end]}` right after the number {match.group()}", end)
            digits = match.group()
            if len(digits.replace(".", "")) > _MAX_NUMBER_DIGITS:
                raise ExpressionError(f"the number has more than {_MAX_NUMBER_DIGITS} digits", index)
            value = Decimal(digits) if "." in digits else int(digits)
            tokens.append(_Token("number", digits, index, value))
            index = end
            continue
        if char == "'":
            value, end = _read_string(text, index)
            tokens.append(_Token("string", text[index:end], index, value))
            index = end
            continue
        if char == "[":
            end = text.find("]", index + 1)
            if end < 0:
                raise ExpressionError("a field label opened with `[` is never closed with `]`", index)
            label = text[index + 1:end].strip()
            if not label:
                raise ExpressionError("`[]` names no field; write the field's label between the brackets", index)
            if len(label) > _MAX_LABEL_LENGTH or any(not c.isprintable() or c == "[" for c in label):
                raise ExpressionError("a field label may hold at most 100 printable characters, without `[`", index)
            tokens.append(_Token("field", text[index:end + 1], index, label))
            index = end + 1
            continue
        if char == "_" or char.isascii() and char.isalpha():
            index = _read_name(text, index, tokens)
            continue
        operator = next((op for op in _OPERATORS if text.startswith(op, index)), None)
        if operator is not None:
            tokens.append(_Token("op", operator, index))
            index += len(operator)
            continue
        if char == '"':
            raise ExpressionError("text goes between single quotes ('like this'), not double quotes", index)
        raise ExpressionError(f"unexpected character `{char}`", index)
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    parts: list[str] = []
    index = start + 1
    while True:
        end = text.find("'", index)
        if end < 0:
            raise ExpressionError("the text opened here is never closed with a single quote `'`", start)
        parts.append(text[index:end])
        if text.startswith("''", end):
            parts.append("'")
            index = end + 2
            continue
        return "".join(parts), end + 1


def _read_name(text: str, start: int, tokens: list[_Token]) -> int:
    """A keyword, a function name, or a field name with dotted segments (`customer.industry`)."""
    match = _IDENTIFIER.match(text, start)
    end = match.end()
    word = match.group()
    if word.lower() in KEYWORDS:
        tokens.append(_Token("name", word.lower(), start))
        return end
    while end < len(text) and text[end] == "." and _IDENTIFIER.match(text, end + 1):
        end = _IDENTIFIER.match(text, end + 1).end()
    if end < len(text) and text[end] == ".":
        raise ExpressionError("a `.` in a field name must be followed by a name", end)
    name = text[start:end]
    if any(segment.startswith("__") for segment in name.split(".")):
        raise ExpressionError(f"`{name}` is not allowed: names may not start with `__`", start)
    tokens.append(_Token("name", name, start))
    return end


# ---------------------------------------------------------------- syntax tree

@dataclass(frozen=True)
class _Node:
    position: int

    def children(self) -> tuple["_Node", ...]:
        return ()


@dataclass(frozen=True)
class _Literal(_Node):
    value: object
    kind: str


@dataclass(frozen=True)
class _Field(_Node):
    name: str


@dataclass(frozen=True)
class _Unary(_Node):
    operator: str  # "-" | "not"
    operand: _Node

    def children(self):
        return (self.operand,)


@dataclass(frozen=True)
class _Binary(_Node):
    operator: str
    left: _Node
    right: _Node

    def children(self):
        return (self.left, self.right)


@dataclass(frozen=True)
class _In(_Node):
    operand: _Node
    items: tuple[_Node, ...]
    negated: bool

    def children(self):
        return (self.operand, *self.items)


@dataclass(frozen=True)
class _IsNull(_Node):
    operand: _Node
    negated: bool

    def children(self):
        return (self.operand,)


@dataclass(frozen=True)
class _Call(_Node):
    name: str
    arguments: tuple[_Node, ...]

    def children(self):
        return self.arguments


# ---------------------------------------------------------------- parser

_COMPARISONS = ("=", "!=", "<>", "<", "<=", ">", ">=")


class _Parser:
    """Recursive descent, loosest first: or, and, not, comparison, + -, * / %, unary -, atoms."""

    def __init__(self, tokens: list[_Token]):
        self._tokens = tokens
        self._index = 0
        self._depth = 0

    def parse(self) -> _Node:
        if self._peek().kind == "end":
            raise ExpressionError("the expression is empty", 0)
        node = self._expression()
        token = self._peek()
        if token.kind != "end":
            raise ExpressionError(f"unexpected `{token.text}`; the expression should end here", token.position)
        return node

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _advance(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _at(self, kind: str, text: str) -> bool:
        token = self._peek()
        return token.kind == kind and token.text == text

    def _expect(self, text: str, after: str) -> _Token:
        token = self._peek()
        if token.kind != "op" or token.text != text:
            found = "the end of the expression" if token.kind == "end" else f"`{token.text}`"
            raise ExpressionError(f"expected `{text}` {after}, found {found}", token.position)
        return self._advance()

    def _enter(self, position: int) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ExpressionError(f"the expression nests deeper than {MAX_DEPTH} levels", position)

    def _expression(self) -> _Node:
        return self._or()

    def _or(self) -> _Node:
        node = self._and()
        while self._at("name", "or"):
            token = self._advance()
            node = _Binary(token.position, "or", node, self._and())
        return node

    def _and(self) -> _Node:
        node = self._not()
        while self._at("name", "and"):
            token = self._advance()
            node = _Binary(token.position, "and", node, self._not())
        return node

    def _not(self) -> _Node:
        if self._at("name", "not"):
            token = self._advance()
            self._enter(token.position)
            try:
                return _Unary(token.position, "not", self._not())
            finally:
                self._depth -= 1
        return self._comparison()

    def _comparison(self) -> _Node:
        node = self._additive()
        token = self._peek()
        if token.kind == "op" and token.text in _COMPARISONS:
            self._advance()
            node = _Binary(token.position, token.text, node, self._additive())
        elif self._at("name", "in"):
            self._advance()
            node = _In(token.position, node, self._list(), negated=False)
        elif self._at("name", "not"):
            self._advance()
            if not self._at("name", "in"):
                raise ExpressionError("`not` here must be followed by `in`, as in `status not in ('won')`",
                                      token.position)
            self._advance()
            node = _In(token.position, node, self._list(), negated=True)
        elif self._at("name", "is"):
            self._advance()
            negated = self._at("name", "not")
            if negated:
                self._advance()
            if not self._at("name", "null"):
                raise ExpressionError("`is` must be followed by `null` or `not null`", token.position)
            self._advance()
            node = _IsNull(token.position, node, negated)
        else:
            return node
        following = self._peek()
        if (following.kind == "op" and following.text in _COMPARISONS) or (
            following.kind == "name" and following.text in ("in", "is")
        ):
            raise ExpressionError(
                "comparisons cannot be chained; join them with `and`", following.position
            )
        return node

    def _list(self) -> tuple[_Node, ...]:
        opening = self._expect("(", "after `in`")
        self._enter(opening.position)
        try:
            items = [self._expression()]
            while self._at("op", ","):
                self._advance()
                items.append(self._expression())
            self._expect(")", "to close the list after `in`")
        finally:
            self._depth -= 1
        return tuple(items)

    def _additive(self) -> _Node:
        node = self._multiplicative()
        while self._peek().kind == "op" and self._peek().text in ("+", "-"):
            token = self._advance()
            node = _Binary(token.position, token.text, node, self._multiplicative())
        return node

    def _multiplicative(self) -> _Node:
        node = self._unary()
        while self._peek().kind == "op" and self._peek().text in ("*", "/", "%"):
            token = self._advance()
            node = _Binary(token.position, token.text, node, self._unary())
        return node

    def _unary(self) -> _Node:
        if self._at("op", "-"):
            token = self._advance()
            self._enter(token.position)
            try:
                return _Unary(token.position, "-", self._unary())
            finally:
                self._depth -= 1
        return self._atom()

    def _atom(self) -> _Node:
        token = self._advance()
        if token.kind == "number":
            return _Literal(token.position, token.value, "number")
        if token.kind == "string":
            return _Literal(token.position, token.value, "text")
        if token.kind == "field":
            return _Field(token.position, token.value)
        if token.kind == "op" and token.text == "(":
            self._enter(token.position)
            try:
                node = self._expression()
                self._expect(")", f"to close the `(` at character {token.position}")
            finally:
                self._depth -= 1
            return node
        if token.kind == "name":
            if token.text in ("true", "false"):
                return _Literal(token.position, token.text == "true", "boolean")
            if token.text == "null":
                return _Literal(token.position, None, _NULL)
            if token.text in KEYWORDS:
                raise ExpressionError(f"`{token.text}` needs a value before it", token.position)
            if self._at("op", "("):
                return self._call(token)
            if not _IDENTIFIER_PATH.fullmatch(token.text):
                raise ExpressionError(
                    f"field names are lower case: write `{token.text.lower()}`, or `[{token.text}]` for a label",
                    token.position,
                )
            return _Field(token.position, token.text)
        if token.kind == "end":
            raise ExpressionError("the expression ends too early; a value is missing", token.position)
        raise ExpressionError(f"unexpected `{token.text}`; a value is expected here", token.position)

    def _call(self, name_token: _Token) -> _Node:
        name = name_token.text.lower()
        if name not in FUNCTIONS:
            suggestion = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f"; did you mean {suggestion[0]}()?" if suggestion else ""
            raise ExpressionError(f"unknown function `{name_token.text}`{hint}", name_token.position)
        self._enter(name_token.position)
        try:
            self._expect("(", f"after {name}")
            arguments: list[_Node] = []
            if not self._at("op", ")"):
                arguments.append(self._expression())
                while self._at("op", ","):
                    self._advance()
                    arguments.append(self._expression())
            self._expect(")", f"to close {name}(")
        finally:
            self._depth -= 1
        low, high = _ARITY[name]
        if len(arguments) < low or (high is not None and len(arguments) > high):
            raise ExpressionError(
                f"{name}() takes {_describe_arity(low, high)}, not {len(arguments)}; usage: {FUNCTIONS[name]}",
                name_token.position,
            )
        return _Call(name_token.position, name, tuple(arguments))


def _describe_arity(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} arguments"
    if low == high:
        return f"{low} argument" + ("" if low == 1 else "s")
    return f"{low} to {high} arguments"


# ---------------------------------------------------------------- SQL constructs

class _NumberResult(TypeDecorator):
    """A number computed by an expression: `int` or `Decimal` on every backend (SQLite's floats become Decimal)."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Float(asdecimal=False))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value, dialect):
        if isinstance(value, Decimal) and dialect.name == "sqlite":
            return float(value)
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, str):
            return Decimal(value)
        return value


def _arguments(element, compiler, **kw) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses.clauses]


class _AsNumber(FunctionElement):
    """A numeric field; on SQLite, where money is kept as text, cast so it compares and sorts as a number."""

    inherit_cache = True
    type = _NumberResult()


@compiles(_AsNumber)
def _as_number_default(element, compiler, **kw):
    (column,) = _arguments(element, compiler, **kw)
    return column


@compiles(_AsNumber, "sqlite")
def _as_number_sqlite(element, compiler, **kw):
    (column,) = _arguments(element, compiler, **kw)
    return f"CAST({column} AS NUMERIC)"


class _Divide(FunctionElement):
    """Numeric division (7 / 2 is 3.5) that gives null instead of failing when the divisor is 0."""

    inherit_cache = True
    type = _NumberResult()


@compiles(_Divide)
def _divide_default(element, compiler, **kw):
    numerator, denominator = _arguments(element, compiler, **kw)
    return f"(CAST({numerator} AS NUMERIC) / NULLIF({denominator}, 0))"


@compiles(_Divide, "sqlite")
def _divide_sqlite(element, compiler, **kw):
    numerator, denominator = _arguments(element, compiler, **kw)
    return f"(CAST({numerator} AS REAL) / NULLIF({denominator}, 0))"


class _Remainder(FunctionElement):
    """The remainder with the dividend's sign (7.5 % 2 is 1.5 everywhere); null when the divisor is 0."""

    inherit_cache = True
    type = _NumberResult()


@compiles(_Remainder)
def _remainder_default(element, compiler, **kw):
    numerator, denominator = _arguments(element, compiler, **kw)
    return f"MOD(CAST({numerator} AS NUMERIC), NULLIF({denominator}, 0))"


@compiles(_Remainder, "sqlite")
def _remainder_sqlite(element, compiler, **kw):
    # SQLite's own % truncates both sides to integers first.
    numerator, denominator = _arguments(element, compiler, **kw)
    quotient = f"CAST(CAST({numerator} AS REAL) / NULLIF({denominator}, 0) AS INTEGER)"
    return f"({numerator} - {denominator} * {quotient})"


class _DaysBetween(FunctionElement):
    """Whole days elapsed from the first argument to the second, truncated toward zero, alike on both backends."""

    inherit_cache = True
    type = _NumberResult()


@compiles(_DaysBetween, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    start, end = _arguments(element, compiler, **kw)
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


@compiles(_DaysBetween)
def _days_between_default(element, compiler, **kw):
    start, end = _arguments(element, compiler, **kw)
    return f"CAST(TRUNC((EXTRACT(EPOCH FROM {end}) - EXTRACT(EPOCH FROM {start})) / 86400) AS INTEGER)"


class _Today(FunctionElement):
    """The current date (UTC on SQLite, the session's time zone on PostgreSQL)."""

    inherit_cache = True
    type = Date()


@compiles(_Today)
def _today_default(element, compiler, **kw):
    return "CURRENT_DATE"


@compiles(_Today, "sqlite")
def _today_sqlite(element, compiler, **kw):
    return "date('now')"


class _Floor(FunctionElement):
    """floor(); spelled with CAST on SQLite, whose math functions are an optional build feature."""

    inherit_cache = True
    type = _NumberResult()


class _Ceil(FunctionElement):
    """ceil(); spelled with CAST on SQLite, whose math functions are an optional build feature."""

    inherit_cache = True
    type = _NumberResult()


@compiles(_Floor)
def _floor_default(element, compiler, **kw):
    (value,) = _arguments(element, compiler, **kw)
    return f"FLOOR({value})"


@compiles(_Ceil)
def _ceil_default(element, compiler, **kw):
    (value,) = _arguments(element, compiler, **kw)
    return f"CEIL({value})"


@compiles(_Floor, "sqlite")
def _floor_sqlite(element, compiler, **kw):
    (value,) = _arguments(element, compiler, **kw)
    whole = f"CAST({value} AS INTEGER)"
    return f"(CASE WHEN {value} < {whole} THEN {whole} - 1 ELSE {whole} END)"


@compiles(_Ceil, "sqlite")
def _ceil_sqlite(element, compiler, **kw):
    (value,) = _arguments(element, compiler, **kw)
    whole = f"CAST({value} AS INTEGER)"
    return f"(CASE WHEN {value} > {whole} THEN {whole} + 1 ELSE {whole} END)"


# ---------------------------------------------------------------- type checking and compiling

@dataclass(frozen=True)
class _Typed:
    column: ColumnElement
    kind: str


_ORDERABLE = frozenset({"number", "text", "date", "datetime"})
_TEMPORAL = frozenset({"date", "datetime"})


class _Compiler:
    """Type-checks the tree and builds the SQLAlchemy expression, noting fields and aggregates on the way."""

    def __init__(self, resolve: Resolver, allow_aggregates: bool):
        self._resolve = resolve
        self._allow_aggregates = allow_aggregates
        self.fields: set[str] = set()
        self.bare_fields: list[tuple[str, int]] = []
        self.aggregate_seen = False

    def compile(self, node: _Node, *, inside_aggregate: bool) -> _Typed:
        if isinstance(node, _Literal):
            return self._literal(node)
        if isinstance(node, _Field):
            return self._field(node, inside_aggregate)
        if isinstance(node, _Unary):
            return self._unary(node, inside_aggregate)
        if isinstance(node, _Binary):
            return self._binary(node, inside_aggregate)
        if isinstance(node, _In):
            return self._in(node, inside_aggregate)
        if isinstance(node, _IsNull):
            operand = self.compile(node.operand, inside_aggregate=inside_aggregate).column
            column = operand.is_not(None) if node.negated else operand.is_(None)
            return _Typed(column, "boolean")
        if isinstance(node, _Call):
            return self._call(node, inside_aggregate)
        raise AssertionError(f"unhandled node {node!r}")

    def _literal(self, node: _Literal) -> _Typed:
        if node.kind == _NULL:
            return _Typed(null(), _NULL)
        if node.kind == "boolean":
            return _Typed(true() if node.value else false(), "boolean")
        if node.kind == "text":
            return _Typed(literal(node.value, String()), "text")
        if isinstance(node.value, int) and abs(node.value) < 2**63:
            return _Typed(literal(node.value, Integer()), "number")
        return _Typed(literal(Decimal(node.value), _NumberResult()), "number")

    def _field(self, node: _Field, inside_aggregate: bool) -> _Typed:
        resolved = self._resolve(node.name)
        if resolved is None:
            close_matches = getattr(self._resolve, "close_matches", None)
            matches = close_matches(node.name) if close_matches is not None else []
            hint = f"; did you mean {', '.join(_written(m) for m in matches)}?" if matches else ""
            raise ExpressionError(f"unknown field `{node.name}`{hint}", node.position)
        kind = _KIND_OF_FIELD.get(resolved.kind)
        if kind is None:
            raise ExpressionError(f"field `{node.name}` has a kind the language does not know ({resolved.kind})",
                                  node.position)
        self.fields.add(node.name)
        if not inside_aggregate:
            self.bare_fields.append((node.name, node.position))
        column = _AsNumber(resolved.column) if kind == "number" else resolved.column
        return _Typed(column, kind)

    def _unary(self, node: _Unary, inside_aggregate: bool) -> _Typed:
        operand = self.compile(node.operand, inside_aggregate=inside_aggregate)
        if node.operator == "not":
            self._require(operand, {"boolean"}, "`not`", node.position)
            return _Typed(not_(operand.column), "boolean")
        self._require(operand, {"number"}, "unary `-`", node.position)
        return _Typed(type_coerce(-operand.column, _NumberResult()), "number")

    def _binary(self, node: _Binary, inside_aggregate: bool) -> _Typed:
        left = self.compile(node.left, inside_aggregate=inside_aggregate)
        right = self.compile(node.right, inside_aggregate=inside_aggregate)
        operator = node.operator
        if operator in ("and", "or"):
            self._require_both(left, right, {"boolean"}, f"`{operator}`", node.position, "true/false values")
            combine = and_ if operator == "and" else or_
            return _Typed(combine(left.column, right.column), "boolean")
        if operator in ("+", "-", "*", "/", "%"):
            self._require_both(left, right, {"number"}, f"`{operator}`", node.position, "numbers",
                               hint="; use concat() to join text" if operator == "+" else "")
            if operator == "/":
                return _Typed(_Divide(left.column, right.column), "number")
            if operator == "%":
                return _Typed(_Remainder(left.column, right.column), "number")
            combined = {"+": left.column + right.column, "-": left.column - right.column,
                        "*": left.column * right.column}[operator]
            return _Typed(type_coerce(combined, _NumberResult()), "number")
        return self._compare(node, left, right)

    def _compare(self, node: _Binary, left: _Typed, right: _Typed) -> _Typed:
        operator = node.operator
        if _NULL in (left.kind, right.kind):
            test = "is not null" if operator in ("!=", "<>") else "is null"
            raise ExpressionError(f"`{operator}` with null is never true; write `{test}` instead", node.position)
        left, right = self._align_dates(left, right, node.left, node.right)
        kind = self._common_kind(left.kind, right.kind)
        if kind is None:
            raise ExpressionError(
                f"`{operator}` cannot compare {left.kind} with {right.kind}", node.position
            )
        if kind == "boolean" and operator not in ("=", "!=", "<>"):
            raise ExpressionError(f"`{operator}` cannot order true/false values; use `=` or `!=`", node.position)
        a, b = left.column, right.column
        column = {
            "=": lambda: a == b,
            "!=": lambda: a != b,
            "<>": lambda: a != b,
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
        }[operator]()
        return _Typed(column, "boolean")

    def _in(self, node: _In, inside_aggregate: bool) -> _Typed:
        operand = self.compile(node.operand, inside_aggregate=inside_aggregate)
        word = "`not in`" if node.negated else "`in`"
        if operand.kind in (_NULL, "boolean"):
            raise ExpressionError(f"{word} needs a number, text or date on its left, not {operand.kind}",
                                  node.position)
        items = []
        for item_node in node.items:
            item = self.compile(item_node, inside_aggregate=inside_aggregate)
            if item.kind == _NULL:
                raise ExpressionError(f"{word} lists cannot hold null; use `is null`", item_node.position)
            operand_aligned, item = self._align_dates(operand, item, node.operand, item_node)
            if self._common_kind(operand_aligned.kind, item.kind) is None:
                raise ExpressionError(f"{word} cannot compare {operand.kind} with {item.kind}",
                                      item_node.position)
            items.append(item.column)
        column = operand.column.not_in(items) if node.negated else operand.column.in_(items)
        return _Typed(column, "boolean")

    def _align_dates(self, left: _Typed, right: _Typed, left_node: _Node, right_node: _Node):
        """Read a text literal compared with a date as that date, so `closed_at >= '2026-01-01'` works."""
        if left.kind in _TEMPORAL and right.kind == "text" and isinstance(right_node, _Literal):
            return left, _date_literal(right_node, left.kind)
        if right.kind in _TEMPORAL and left.kind == "text" and isinstance(left_node, _Literal):
            return _date_literal(left_node, right.kind), right
        return left, right

    @staticmethod
    def _common_kind(left: str, right: str) -> str | None:
        if left == _NULL:
            return right
        if right == _NULL or left == right:
            return left
        if {left, right} == _TEMPORAL:
            return "datetime"
        return None

    def _call(self, node: _Call, inside_aggregate: bool) -> _Typed:
        name = node.name
        if name in AGGREGATES:
            return self._aggregate(node, inside_aggregate)
        arguments = [self.compile(argument, inside_aggregate=inside_aggregate) for argument in node.arguments]
        columns = [argument.column for argument in arguments]
        if name == "if":
            condition, then, otherwise = arguments
            self._require(condition, {"boolean"}, "if()'s condition", node.arguments[0].position)
            kind = self._common_kind(then.kind, otherwise.kind)
            if kind is None:
                raise ExpressionError(
                    f"if() gives {then.kind} in one branch and {otherwise.kind} in the other; they must agree",
                    node.position,
                )
            return self._typed(case((condition.column, then.column), else_=otherwise.column), kind)
        if name == "ratio":
            self._require_both(*arguments, {"number"}, "ratio()", node.position, "numbers")
            return _Typed(_Divide(columns[0], columns[1]), "number")
        if name == "coalesce":
            kind = _NULL
            for argument, argument_node in zip(arguments, node.arguments):
                common = self._common_kind(kind, argument.kind)
                if common is None:
                    raise ExpressionError(f"coalesce() mixes {kind} and {argument.kind}; its values must agree",
                                          argument_node.position)
                kind = common
            return self._typed(func.coalesce(*columns), kind)
        if name in ("abs", "floor", "ceil"):
            self._require(arguments[0], {"number"}, f"{name}()", node.position)
            if name == "abs":
                return self._typed(func.abs(columns[0]), "number")
            return _Typed((_Ceil if name == "ceil" else _Floor)(columns[0]), "number")
        if name == "round":
            self._require(arguments[0], {"number"}, "round()", node.position)
            digits = 0
            if len(node.arguments) == 2:
                digits_node = node.arguments[1]
                if not (isinstance(digits_node, _Literal) and isinstance(digits_node.value, int)
                        and 0 <= digits_node.value <= 10):
                    raise ExpressionError("round()'s digits must be a whole number from 0 to 10",
                                          digits_node.position)
                digits = digits_node.value
            return self._typed(func.round(cast(columns[0], Numeric), literal(digits, Integer())), "number")
        if name == "days_between":
            for argument, argument_node in zip(arguments, node.arguments):
                self._require(argument, _TEMPORAL, "days_between()", argument_node.position)
            return _Typed(_DaysBetween(columns[0], columns[1]), "number")
        if name == "today":
            return _Typed(_Today(), "date")
        if name in ("lower", "upper", "length"):
            self._require(arguments[0], {"text"}, f"{name}()", node.position)
            if name == "length":
                return self._typed(func.length(columns[0]), "number")
            return self._typed(getattr(func, name)(columns[0]), "text")
        if name == "concat":
            for argument, argument_node in zip(arguments, node.arguments):
                self._require(argument, {"text"}, "concat()", argument_node.position)
            joined = func.coalesce(columns[0], literal("", String()))
            for column in columns[1:]:
                joined = joined.concat(func.coalesce(column, literal("", String())))
            return self._typed(joined, "text")
        raise AssertionError(f"unhandled function {name}")

    def _aggregate(self, node: _Call, inside_aggregate: bool) -> _Typed:
        name = node.name
        if not self._allow_aggregates:
            raise ExpressionError(
                f"{name}() is an aggregate, and aggregates are not allowed here (a row-level field); "
                "use it in a measure instead",
                node.position,
            )
        if inside_aggregate:
            raise ExpressionError(f"aggregates cannot be nested: {name}() is inside another aggregate",
                                  node.position)
        self.aggregate_seen = True
        if name == "count" and not node.arguments:
            return self._typed(func.count(), "number")
        argument = self.compile(node.arguments[0], inside_aggregate=True)
        if name in ("sum", "avg"):
            self._require(argument, {"number"}, f"{name}()", node.position)
        elif name in ("min", "max"):
            self._require(argument, _ORDERABLE, f"{name}()", node.position)
        elif argument.kind == _NULL:
            raise ExpressionError(f"{name}() of null is always 0; count a field instead", node.position)
        if name == "count":
            return self._typed(func.count(argument.column), "number")
        if name == "count_distinct":
            return self._typed(func.count(argument.column.distinct()), "number")
        return self._typed(getattr(func, name)(argument.column), argument.kind)

    @staticmethod
    def _typed(column: ColumnElement, kind: str) -> _Typed:
        if kind == "number":
            column = type_coerce(column, _NumberResult())
        elif kind == "boolean":
            column = type_coerce(column, Boolean())
        return _Typed(column, kind)

    @staticmethod
    def _require(value: _Typed, kinds: set[str] | frozenset[str], what: str, position: int) -> None:
        if value.kind not in kinds and value.kind != _NULL:
            wanted = " or ".join(sorted(kinds))
            raise ExpressionError(f"{what} needs {wanted}, not {value.kind}", position)

    @staticmethod
    def _require_both(left: _Typed, right: _Typed, kinds: set[str], what: str, position: int,
                      wanted: str, hint: str = "") -> None:
        if any(value.kind not in kinds and value.kind != _NULL for value in (left, right)):
            raise ExpressionError(f"{what} needs {wanted}, not {left.kind} and {right.kind}{hint}", position)


def _date_literal(node: _Literal, kind: str) -> _Typed:
    text = node.value
    try:
        if kind == "date" and len(text) == 10:
            return _Typed(literal(date.fromisoformat(text), Date()), "date")
        moment = datetime.fromisoformat(text) if len(text) > 10 else datetime.combine(date.fromisoformat(text), time())
    except ValueError:
        raise ExpressionError(f"'{text}' is not a date; write dates as 'YYYY-MM-DD'", node.position) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if kind == "date":
        return _Typed(literal(moment.date(), Date()), "date")
    return _Typed(literal(moment, UtcDateTime()), "datetime")
