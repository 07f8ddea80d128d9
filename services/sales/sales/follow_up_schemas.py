"""Request and response schemas of follow-ups; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from sales.follow_ups import CONTENT_MAX, KINDS, NEXT_STEP_MAX, OUTCOME_MAX

MAX_PAGE = 200


class FollowUpCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    content = fields.String(required=True, validate=validate.Length(min=1, max=CONTENT_MAX),
                            metadata={"description": "what the contact was about"})
    opportunity_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36),
                                   metadata={"description": "one of this customer's opportunities, if it was about one"})
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=OUTCOME_MAX))
    next_step = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NEXT_STEP_MAX))
    next_contact_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                           metadata={"description": "with its zone; in the future"})


class FollowUpSchema(Schema):
    id = fields.String()
    customer_id = fields.String()
    opportunity_id = fields.String(allow_none=True)
    author_id = fields.String()
    kind = fields.String()
    content = fields.String()
    outcome = fields.String(allow_none=True)
    next_step = fields.String(allow_none=True)
    next_contact_at = fields.DateTime(allow_none=True)
    recorded_at = fields.DateTime()


class PageQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class FollowUpPageSchema(Schema):
    items = fields.List(fields.Nested(FollowUpSchema))
    total = fields.Integer()
