"""Request and response schemas of targets, achievement and departments; unknown fields are refused.

Figures travel as decimal strings: money with two places, a number of customers as a whole number.
"""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate

from sales.targets import METRICS, MONEY_METRICS, SUBJECT_KINDS

ID = validate.Length(min=1, max=36)
PERIOD = validate.Regexp(r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$", error="A month (2026-11), a quarter (2026-Q4) or a "
                                                                      "year (2026).")
VALUE = validate.Regexp(r"^\d{1,16}(\.\d{1,2})?$", error="A decimal string such as \"120000.00\" or \"15\".")
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY.")


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Cannot be blank.")


def figure(target, value) -> str:
    """A target's or an actual's figure as the API shows it."""
    return str(Decimal(value).quantize(Decimal("0.01") if target.metric in MONEY_METRICS else Decimal("1")))


class TargetCreateSchema(Schema):
    subject_kind = fields.String(required=True, validate=validate.OneOf(SUBJECT_KINDS))
    subject_id = fields.String(required=True, validate=ID)
    period = fields.String(required=True, validate=PERIOD, metadata={"description": "2026-11, 2026-Q4 or 2026"})
    metric = fields.String(required=True, validate=validate.OneOf(METRICS))
    value = fields.String(required=True, validate=VALUE)
    currency = fields.String(load_default=None, allow_none=True, validate=CURRENCY,
                             metadata={"description": "for won_amount and payments_collected"})

    @post_load
    def decimal_value(self, data, **_):
        return {**data, "value": Decimal(data["value"])}


class TargetEditSchema(Schema):
    value = fields.String(required=True, validate=VALUE)
    currency = fields.String(allow_none=True, validate=CURRENCY)

    @post_load
    def decimal_value(self, data, **_):
        return {**data, "value": Decimal(data["value"])}


class TargetSchema(Schema):
    id = fields.String()
    subject_kind = fields.String()
    subject_id = fields.String()
    period = fields.String()
    period_kind = fields.String()
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "the first day after the period"})
    metric = fields.String()
    value = fields.Function(lambda target: figure(target, target.value))
    currency = fields.String(allow_none=True)
    set_by = fields.String()
    set_at = fields.DateTime()
    created_at = fields.DateTime()
    version = fields.Integer()


class TargetListSchema(Schema):
    items = fields.List(fields.Nested(TargetSchema))


class TargetListQuerySchema(Schema):
    period = fields.String(validate=PERIOD)
    subject_kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))
    subject_id = fields.String(validate=ID)
    metric = fields.String(validate=validate.OneOf(METRICS))


class AchievementQuerySchema(Schema):
    period = fields.String(required=True, validate=PERIOD)
    subject_kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))
    subject_id = fields.String(validate=ID)


class AchievementSchema(Schema):
    target = fields.Nested(TargetSchema)
    actual = fields.Function(lambda row: figure(row["target"], row["actual"]))
    percent = fields.Decimal(as_string=True, allow_none=True, metadata={"description": "null for a target of 0"})


class AchievementListSchema(Schema):
    period = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    items = fields.List(fields.Nested(AchievementSchema))


class DepartmentInputSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])
    team_ids = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(max=200))


class DepartmentSchema(Schema):
    id = fields.String()
    name = fields.String()
    team_ids = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class DepartmentListSchema(Schema):
    items = fields.List(fields.Nested(DepartmentSchema))
