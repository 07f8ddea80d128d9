"""Request and response schemas of the service-desk API; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from service_desk.domain import DESCRIPTION_MAX, NORMAL, PRIORITIES, RESOLUTION_MAX, STATUSES, SUBJECT_MAX


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
    version = fields.Integer()


class TicketListQuerySchema(Schema):
    customer_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class TicketPageSchema(Schema):
    items = fields.List(fields.Nested(TicketSchema))
    total = fields.Integer()
