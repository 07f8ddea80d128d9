"""A response schema compiled once into a plain function that dumps what `Schema().dump` would.

A dashboard in the "all" scope lists every rep with a dozen figures each (hundreds of rows, thousands of
values): marshmallow's per-value machinery (attribute lookup, defaults, hooks) then costs as much as the
SQL. The compiled dumper walks the schema's fields once, keeps one converter per field, and per value only
converts. It covers what the dashboard schemas use (plain fields, Nested, List, no hooks); each leaf is
converted by the field's own `_serialize`, with plain int, float and str fast paths.
`tests/unit/test_schema_dump.py` holds it equal to `Schema().dump`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from flask import Response, jsonify
from marshmallow import Schema, fields
from marshmallow.utils import missing

Converter = Callable[[Any], Any]


def dump_response(schema_class: type[Schema], data: Any) -> Response:
    """The JSON response of `data` dumped by `schema_class`, as flask-smorest's @response would make it."""
    return jsonify(compiled(schema_class)(data))


@lru_cache(maxsize=None)
def compiled(schema_class: type[Schema]) -> Converter:
    return _schema_converter(schema_class())


def _schema_converter(schema: Schema) -> Converter:
    if schema._hooks and any(schema._hooks.values()):
        raise TypeError(f"{type(schema).__name__} has hooks; dump it with marshmallow")
    steps = [(field.data_key or name, field.attribute or name, field.dump_default, _converter(field))
             for name, field in schema.dump_fields.items()]

    def dump(obj: Any) -> dict:
        out = {}
        for key, attribute, default, convert in steps:
            value = obj.get(attribute, missing)
            if value is missing:
                if default is missing:
                    continue
                value = default() if callable(default) else default
            out[key] = None if value is None else convert(value)
        return out

    return dump


def _converter(field: fields.Field) -> Converter:
    kind = type(field)
    if kind is fields.Nested:
        inner = _schema_converter(field.schema)
        return (lambda values: [inner(value) for value in values]) if field.many else inner
    if kind is fields.List:
        item = _converter(field.inner)
        return lambda values: [None if value is None else item(value) for value in values]
    if kind is fields.Integer and not field.as_string:
        return int
    if kind is fields.Float and not field.as_string:
        return float
    if kind is fields.String:
        return str
    if kind in (fields.Decimal, fields.Date, fields.DateTime, fields.Boolean, fields.Raw):
        return lambda value: field._serialize(value, None, None)
    raise TypeError(f"{kind.__name__} is not compiled; dump it with marshmallow")
