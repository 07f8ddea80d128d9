"""Request and response schemas of the service-desk API; unknown fields are refused."""
from decimal import Decimal

from marshmallow import Schema, fields, post_load, validate

from service_desk.domain import (
    DESCRIPTION_MAX,
    NORMAL,
    NOTE_MAX,
    OPPORTUNITY_NAME_MAX,
    PRIORITIES,
    RESOLUTION_MAX,
    STATUSES,
    SUBJECT_MAX,
    OpportunityRequest,
)

# The currency of a deal asked for without one: the desk's customers are billed in yuan unless an agent says otherwise.
DEFAULT_CURRENCY = "CNY"


class TicketCreateSchema(Schema):
    customer_id = fields.UUID(required=True)
    subject = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=SUBJECT_MAX),
            validate.Regexp(r"\S", error="The subject cannot be blank."),
        ],
    )
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=DESCRIPTION_MAX))
    priority = fields.String(load_default=NORMAL, validate=validate.OneOf(PRIORITIES))


class TicketCloseSchema(Schema):
    resolution = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=RESOLUTION_MAX))


class OpportunityRequestSchema(Schema):
    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=OPPORTUNITY_NAME_MAX),
            validate.Regexp(r"\S", error="The name cannot be blank."),
        ],
        metadata={"description": "what the customer needs, as the deal's name"},
    )
    amount = fields.String(
        load_default=None, allow_none=True,
        validate=validate.Regexp(r"^\d{1,16}(\.\d{1,2})?$", error="A decimal string such as \"12000.50\"."),
        metadata={"description": "a decimal string, if the agent has an idea of it"},
    )
    currency = fields.String(load_default=DEFAULT_CURRENCY,
                             validate=validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY."))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_MAX),
                         metadata={"description": "what the agent saw; kept with the deal as a follow-up"})

    @post_load
    def request(self, data, **_):
        amount = data["amount"]
        return OpportunityRequest(name=data["name"], currency=data["currency"], note=data["note"] or None,
                                  amount=Decimal(amount).quantize(Decimal("0.01")) if amount is not None else None)


class TicketSchema(Schema):
    id = fields.String()
    customer_id = fields.String()
    subject = fields.String()
    description = fields.String(allow_none=True)
    priority = fields.String()
    status = fields.String()
    opened_by = fields.String()
    opened_at = fields.DateTime()
    channel = fields.String()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    opportunity_requested_at = fields.DateTime(allow_none=True)
    opportunity_requested_by = fields.String(allow_none=True)
    opportunity_id = fields.String(allow_none=True, metadata={"description": "the deal sales opened from this ticket"})
    opportunity_refusal = fields.String(allow_none=True, metadata={
        "description": "why sales opened no deal: customer_in_pool or unknown_customer; the agent may ask again"})
    version = fields.Integer()


class TicketListQuerySchema(Schema):
    customer_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSchema))
    total = fields.Integer()
