"""The request and response schemas of every service's per-record audit endpoint (`GET .../{id}/audit`)."""
from marshmallow import Schema, fields, validate

MAX_AUDIT_PAGE = 200


class AuditQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_AUDIT_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.String(metadata={"description": "the user who acted, or `system:<job>` for automatic changes"})
    actor_kind = fields.String(validate=validate.OneOf(["user", "system"]))
    actor_name = fields.String(allow_none=True, metadata={"description": "the user's name where this service "
                                                                         "knows it; a system actor's job"})
    action = fields.String(metadata={"description": "the event's name, or a verb for a change without an event"})
    details = fields.Dict(metadata={"description": "the facts of the change (the event's payload)"})
    correlation_id = fields.String(allow_none=True, metadata={"description": "shared by everything one action caused"})
    event_id = fields.String(allow_none=True, metadata={"description": "the event the row came from, if any"})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), metadata={"description": "newest first"})
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
