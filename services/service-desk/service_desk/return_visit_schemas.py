"""Request and response schemas of return visits; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from service_desk.return_visits import OUTCOMES, VISIT_NOTE_MAX, VISIT_STATUSES


class ReturnVisitCreateSchema(Schema):
    due_at = fields.AwareDateTime(required=True, metadata={"description": "when to call back, with a time zone"})
    assignee_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=VISIT_NOTE_MAX))


class ReturnVisitCompleteSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=VISIT_NOTE_MAX))


class ReturnVisitSchema(Schema):
    id = fields.String()
    ticket_id = fields.String()
    ticket_number = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    due_at = fields.DateTime()
    assignee_id = fields.String()
    note = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "scheduled or completed"})
    outcome = fields.String(allow_none=True)
    outcome_note = fields.String(allow_none=True)
    scheduled_by = fields.String()
    scheduled_at = fields.DateTime()
    completed_by = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    version = fields.Integer()


class ReturnVisitListSchema(Schema):
    items = fields.List(fields.Nested(ReturnVisitSchema))


class ReturnVisitQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(VISIT_STATUSES))
    assignee_id = fields.String(validate=validate.Length(min=1, max=36), metadata={"description": "an id, or `me`"})
    due_before = fields.AwareDateTime(metadata={"description": "due at or before this time (due ones: now)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ReturnVisitPageSchema(Schema):
    items = fields.List(fields.Nested(ReturnVisitSchema))
    total = fields.Integer()
