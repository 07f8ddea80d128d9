"""Request and response schemas of follow-ups, the timeline and the agenda; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from leads.follow_ups import KINDS

MAX_PAGE = 200


class FollowUpCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    outcome = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    next_step = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    next_contact_at = fields.AwareDateTime(
        load_default=None, allow_none=True,
        metadata={"description": "with its zone; becomes a next-contact reminder for the lead's owner"},
    )


class FollowUpSchema(Schema):
    id = fields.String()
    lead_id = fields.String()
    owner_id = fields.String(allow_none=True)
    author_id = fields.String()
    kind = fields.String()
    outcome = fields.String()
    next_step = fields.String(allow_none=True)
    next_contact_at = fields.DateTime(allow_none=True)
    logged_at = fields.DateTime()


class PageQuerySchema(Schema):
    before = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))


class FollowUpPageSchema(Schema):
    items = fields.List(fields.Nested(FollowUpSchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class TimelineEntrySchema(Schema):
    id = fields.Integer()
    lead_id = fields.String()
    kind = fields.String(metadata={"description": "created, claimed, distributed, returned, converted, follow_up, "
                                                  "material_sent, customer_created, ticket_opened, ..."})
    at = fields.DateTime()
    actor_id = fields.String()
    summary = fields.String()
    detail = fields.Dict()


class TimelinePageSchema(Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class ReminderSchema(Schema):
    id = fields.String()
    kind = fields.String()
    lead_id = fields.String()
    owner_id = fields.String()
    due_at = fields.DateTime()
    note = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    company = fields.String(dump_only=True)
    contact_name = fields.String(dump_only=True)


class AgendaSchema(Schema):
    timezone = fields.String()
    today = fields.Date()
    overdue = fields.List(fields.Nested(ReminderSchema))
    due_today = fields.List(fields.Nested(ReminderSchema))
    upcoming = fields.List(fields.Nested(ReminderSchema), metadata={"description": "the next 7 business days"})


class SnoozeRequestSchema(Schema):
    until = fields.AwareDateTime(required=True, metadata={"description": "with its zone; in the future"})
