"""Request and response schemas of the leads API; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from leads.domain import STATUSES


class LeadCreateSchema(Schema):
    company = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    channel = fields.String(required=True, validate=validate.Length(min=1, max=50))


class LeadSchema(Schema):
    id = fields.String()
    company = fields.String()
    contact_name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    channel = fields.String()
    status = fields.String()
    owner_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    claimed_at = fields.DateTime(allow_none=True)
    converted_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class LeadListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    owner = fields.String(metadata={"description": "a user id, or `me`"})
    channel = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class LeadPageSchema(Schema):
    items = fields.List(fields.Nested(LeadSchema))
    total = fields.Integer()
