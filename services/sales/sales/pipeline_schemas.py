"""Request and response schemas of the pipeline: opportunity edits, stage moves, lines, kanban, forecast, products."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from sales.catalogue import LINES_MAX, LineInput
from sales.customer_schemas import refuse_protected
from sales.opportunities import NAME_MAX, REASON_MAX, SOURCES, STATUSES
from sales.schemas import AMOUNT, CURRENCY, OpportunitySchema

QUANTITY = validate.Regexp(r"^\d{1,12}(\.\d{1,2})?$", error="A decimal string such as \"3\" or \"2.5\".")
# Years 1900-2099: year 0000 is no date, and the month after 9999-12 none either.
MONTH = validate.Regexp(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", error="A month such as 2027-01 (years 1900-2099).")

OPPORTUNITY_PROTECTED = {
    "stage": "Move the stage with POST /opportunities/{id}/stage.",
    "status": "Close the opportunity with POST /opportunities/{id}/close.",
    "owner_id": "The deal belongs to its customer's owner.",
    "customer_id": "An opportunity stays with its customer.",
    "lead_id": "Set once, by the conversion.",
    "source_ticket_id": "Set once, when the opportunity is opened.",
    "closed_at": "Set by closing.", "closed_by": "Set by closing.", "close_reason": "Set by closing.",
    "created_at": "Set by the server.", "created_by": "Set by the server.",
    "id": "Set by the server.", "version": "Send the version in the If-Match header.",
    "lines": "Replace the lines with PUT /opportunities/{id}/lines.",
}


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Cannot be blank.")


class OpportunityEditSchema(Schema):
    name = fields.String(validate=[validate.Length(min=1, max=NAME_MAX), _not_blank])
    amount = fields.String(validate=AMOUNT, metadata={"description": "a decimal string: \"12000.50\""})
    currency = fields.String(validate=CURRENCY)
    expected_close_date = fields.Date(allow_none=True)
    competitor = fields.String(allow_none=True, validate=validate.Length(max=200))
    source = fields.String(allow_none=True, validate=validate.OneOf(SOURCES))

    @pre_load
    def refuse_protected(self, data, **_):
        return refuse_protected(data, OPPORTUNITY_PROTECTED)

    @post_load
    def exact_amount(self, data, **_):
        return {**data, "amount": Decimal(data["amount"])} if "amount" in data else data


class StageMoveSchema(Schema):
    stage = fields.String(required=True, validate=validate.Length(min=1, max=50))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=REASON_MAX),
                           metadata={"description": "required when moving to the lost stage"})


class LineInputSchema(Schema):
    product_id = fields.UUID(required=True)
    quantity = fields.String(required=True, validate=QUANTITY)
    discount = fields.String(load_default="0", validate=AMOUNT, metadata={"description": "an amount off the line"})
    unit_price = fields.String(load_default=None, allow_none=True, validate=AMOUNT,
                               metadata={"description": "the catalogue's price when omitted"})

    @post_load
    def as_line(self, data, **_):
        price = data.get("unit_price")
        return LineInput(str(data["product_id"]), Decimal(data["quantity"]), Decimal(data["discount"]),
                         Decimal(price) if price is not None else None)


class LineListSchema(Schema):
    lines = fields.List(fields.Nested(LineInputSchema), required=True, validate=validate.Length(max=LINES_MAX))


class StageSchema(Schema):
    key = fields.String()
    name = fields.String()
    position = fields.Integer()
    win_probability = fields.Integer(metadata={"description": "percent"})
    is_won = fields.Boolean()
    is_lost = fields.Boolean()


class StageInputSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,49}$", error="Lower-case letters, digits and _."))
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), _not_blank])
    win_probability = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    is_won = fields.Boolean(load_default=False)
    is_lost = fields.Boolean(load_default=False)


class PipelineInputSchema(Schema):
    stages = fields.List(fields.Nested(StageInputSchema), required=True, validate=validate.Length(min=3, max=30))


class StageListSchema(Schema):
    items = fields.List(fields.Nested(StageSchema))


class StageChangeSchema(Schema):
    from_stage = fields.String(allow_none=True)
    to_stage = fields.String()
    actor_id = fields.String()
    at = fields.DateTime()


class StageHistorySchema(Schema):
    items = fields.List(fields.Nested(StageChangeSchema))


class BoardQuerySchema(Schema):
    owner = fields.String(validate=validate.Length(min=1, max=36), metadata={"description": "a user id, or `me`"})
    team = fields.String(validate=validate.Length(min=1, max=36))
    customer_id = fields.String(validate=validate.Length(min=1, max=36))


class OpportunityListQuerySchema(BoardQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    stage = fields.String(validate=validate.Length(min=1, max=50))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class OpportunityPageSchema(Schema):
    items = fields.List(fields.Nested(OpportunitySchema))
    total = fields.Integer()


class KanbanQuerySchema(BoardQuerySchema):
    per_column = fields.Integer(load_default=50, validate=validate.Range(min=0, max=200))
    include_closed = fields.Boolean(load_default=False)


class TotalSchema(Schema):
    currency = fields.String()
    amount = fields.String()


class ColumnSchema(Schema):
    stage = fields.Nested(StageSchema)
    count = fields.Integer()
    totals = fields.Function(lambda c: [{"currency": k, "amount": str(v)} for k, v in c.totals.items()],
                             metadata={"description": "sum of the amounts per currency"})
    items = fields.List(fields.Nested(OpportunitySchema), metadata={"description": "lines are not included here"})


class KanbanSchema(Schema):
    columns = fields.List(fields.Nested(ColumnSchema))


class ForecastQuerySchema(BoardQuerySchema):
    start = fields.String(data_key="from", required=True, validate=MONTH)
    end = fields.String(data_key="to", required=True, validate=MONTH)
    per_owner = fields.Boolean(load_default=False)


class ForecastRowSchema(Schema):
    month = fields.String()
    owner_id = fields.String(allow_none=True)
    currency = fields.String()
    count = fields.Integer()
    amount = fields.Function(lambda r: str(r.amount))
    weighted_amount = fields.Function(lambda r: str(r.weighted_amount), metadata={"description": "amount × win probability"})


class ForecastSchema(Schema):
    items = fields.List(fields.Nested(ForecastRowSchema))


class ProductSchema(Schema):
    id = fields.String()
    sku = fields.String()
    name = fields.String()
    unit_price = fields.Function(lambda p: str(p.unit_price))
    currency = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()
    version = fields.Integer()


class ProductPageSchema(Schema):
    items = fields.List(fields.Nested(ProductSchema))
    total = fields.Integer()


class ProductListQuerySchema(Schema):
    include_inactive = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ProductCreateSchema(Schema):
    sku = fields.String(required=True, validate=[validate.Length(min=1, max=64), _not_blank])
    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), _not_blank])
    unit_price = fields.String(required=True, validate=AMOUNT)
    currency = fields.String(required=True, validate=CURRENCY)

    @post_load
    def exact_price(self, data, **_):
        return {**data, "unit_price": Decimal(data["unit_price"])}


class ProductEditSchema(Schema):
    name = fields.String(validate=[validate.Length(min=1, max=200), _not_blank])
    unit_price = fields.String(validate=AMOUNT)
    active = fields.Boolean()

    @pre_load
    def refuse_protected(self, data, **_):
        return refuse_protected(data, {"sku": "A sku never changes: add a new product.",
                                       "currency": "Add a product in the other currency.",
                                       "id": "Set by the server.", "version": "Send it in If-Match."})

    @post_load
    def exact_price(self, data, **_):
        return {**data, "unit_price": Decimal(data["unit_price"])} if "unit_price" in data else data
