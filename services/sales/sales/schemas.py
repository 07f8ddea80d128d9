"""Request and response schemas of the sales API; unknown fields are refused."""
from marshmallow import Schema, fields, validate


class CustomerSchema(Schema):
    id = fields.String()
    name = fields.String()
    lead_id = fields.String(allow_none=True)
    owner_id = fields.String()
    channel = fields.String()
    contact_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    created_at = fields.DateTime()
    version = fields.Integer()


class CustomerListQuerySchema(Schema):
    lead_id = fields.UUID(metadata={"description": "the lead the customer was converted from"})
    owner = fields.String(validate=validate.Length(min=1, max=36), metadata={"description": "a user id, or `me`"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class CustomerPageSchema(Schema):
    items = fields.List(fields.Nested(CustomerSchema))
    total = fields.Integer()
