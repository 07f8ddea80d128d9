"""Request and response schemas of sales expenses; unknown fields are refused, money is a decimal string."""
from decimal import Decimal

from marshmallow import Schema, fields, post_load, validate

from sales.expenses import CATEGORIES, NOTE_MAX, STATUSES

ID = validate.Length(min=1, max=36)
AMOUNT = validate.Regexp(r"^\d{1,16}(\.\d{1,2})?$", error="A decimal string such as \"350.00\": at most two decimals.")
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY.")
MONEY = {"as_string": True}


class ExpenseCreateSchema(Schema):
    spent_on = fields.Date(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    amount = fields.String(required=True, validate=AMOUNT)
    currency = fields.String(required=True, validate=CURRENCY)
    customer_id = fields.String(load_default=None, allow_none=True, validate=ID)
    opportunity_id = fields.String(load_default=None, allow_none=True, validate=ID)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))

    @post_load
    def decimal_amount(self, data, **_):
        return {**data, "amount": Decimal(data["amount"])}


class ExpenseDecisionSchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX))


class ExpenseSchema(Schema):
    id = fields.String()
    rep_id = fields.String()
    spent_on = fields.Date()
    category = fields.String()
    amount = fields.Decimal(**MONEY)
    currency = fields.String()
    customer_id = fields.String(allow_none=True)
    opportunity_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.String(metadata={"description": ", ".join(STATUSES)})
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    version = fields.Integer()


class ExpenseTotalSchema(Schema):
    status = fields.String()
    currency = fields.String()
    count = fields.Integer()
    amount = fields.Decimal(**MONEY)


class ExpenseListSchema(Schema):
    items = fields.List(fields.Nested(ExpenseSchema))
    totals = fields.List(fields.Nested(ExpenseTotalSchema), metadata={"description": "of every matching expense"})


class ExpenseListQuerySchema(Schema):
    rep_id = fields.String(validate=ID)
    team_id = fields.String(validate=ID)
    status = fields.String(validate=validate.OneOf(STATUSES))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    customer_id = fields.String(validate=ID)
    spent_from = fields.Date()
    spent_to = fields.Date()


class CategoryListSchema(Schema):
    items = fields.List(fields.String())
