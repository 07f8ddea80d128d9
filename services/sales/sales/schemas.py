"""Request and response schemas of the sales API; unknown fields are refused."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate

from sales.opportunities import NAME_MAX, OUTCOMES, REASON_MAX, SOURCES

AMOUNT = validate.Regexp(r"^\d{1,16}(\.\d{1,2})?$", error="A decimal string such as \"12000.50\": at most two decimals.")
CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY.")


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Cannot be blank.")


class CustomerSummarySchema(Schema):
    id = fields.String()
    name = fields.String()
    lead_id = fields.String(allow_none=True)
    owner_id = fields.String(allow_none=True, metadata={"description": "null while the customer is in the public pool"})
    in_pool = fields.Boolean()
    channel = fields.String()
    contact_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    campaign = fields.String(allow_none=True)
    won_deals = fields.Integer()
    level = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "also sent as the ETag; send it back in If-Match to write"})


class CustomerSchema(CustomerSummarySchema):
    """One customer, with its people."""

    contacts = fields.List(fields.Nested("ContactSchema"))
    team_members = fields.List(fields.Nested("TeamMemberSchema"))


class ContactSchema(Schema):
    id = fields.String()
    name = fields.String()
    title = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    is_primary = fields.Boolean()


class TeamMemberSchema(Schema):
    user_id = fields.String()
    access = fields.String(metadata={"description": "read or edit"})
    expires_at = fields.DateTime(allow_none=True)
    added_by = fields.String()
    added_at = fields.DateTime()


class CustomerListQuerySchema(Schema):
    lead_id = fields.UUID(metadata={"description": "the lead the customer was converted from"})
    owner = fields.String(validate=validate.Length(min=1, max=36), metadata={"description": "a user id, or `me`"})
    team = fields.String(validate=validate.Length(min=1, max=36), metadata={"description": "owned by a member of this team"})
    level = fields.String(validate=validate.Length(min=1, max=20))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class CustomerPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerSummarySchema))
    total = fields.Integer()


class ReturnToPoolSchema(Schema):
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), _not_blank])


class OwnershipChangeSchema(Schema):
    from_owner_id = fields.String(allow_none=True)
    to_owner_id = fields.String(allow_none=True)
    reason = fields.String()
    actor_id = fields.String()
    detail = fields.String(allow_none=True)
    at = fields.DateTime()


class OwnershipHistorySchema(Schema):
    items = fields.List(fields.Nested(OwnershipChangeSchema))


class OpportunityCreateSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=NAME_MAX), _not_blank])
    # A string, never a JSON number: money must not pass through a float on the way in.
    amount = fields.String(required=True, validate=AMOUNT, metadata={"description": "a decimal string: \"12000.50\""})
    currency = fields.String(required=True, validate=CURRENCY)
    expected_close_date = fields.Date(load_default=None, allow_none=True)
    competitor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    source = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SOURCES))
    source_ticket_id = fields.UUID(load_default=None, allow_none=True,
                                   metadata={"description": "the ticket where the need was spotted"})

    @post_load
    def exact_amount(self, data, **_):
        if data.get("source_ticket_id"):
            data = {**data, "source_ticket_id": str(data["source_ticket_id"])}
        return {**data, "amount": Decimal(data["amount"])}


class OpportunityCloseSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=REASON_MAX))


class OpportunitySchema(Schema):
    id = fields.String()
    customer_id = fields.String()
    lead_id = fields.String(allow_none=True)
    name = fields.String()
    stage = fields.String()
    amount = fields.Function(lambda o: str(o.amount), metadata={"description": "a decimal string"})
    currency = fields.String()
    expected_close_date = fields.Date(allow_none=True)
    owner_id = fields.String()
    status = fields.String(metadata={"description": "open, won or lost"})
    created_at = fields.DateTime()
    created_by = fields.String()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    close_reason = fields.String(allow_none=True)
    competitor = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    source_ticket_id = fields.String(allow_none=True)
    lines = fields.List(fields.Nested("LineSchema"))
    updated_at = fields.DateTime(allow_none=True)
    version = fields.Integer(metadata={"description": "also sent as the ETag; send it back in If-Match to write"})


class OpportunityListSchema(Schema):
    items = fields.List(fields.Nested(OpportunitySchema))


class LineSchema(Schema):
    id = fields.String()
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    quantity = fields.Function(lambda line: str(line.quantity))
    unit_price = fields.Function(lambda line: str(line.unit_price))
    discount = fields.Function(lambda line: str(line.discount))
    total = fields.Function(lambda line: str(line.total))
