"""Request and response schemas of the public request form; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from service_desk.domain import COMMENT_MAX, DESCRIPTION_MAX
from service_desk.schemas import category_field, message_field, subject_field

NAME_MAX = 100
EMAIL_MAX = 254
PHONE_MAX = 40
COMPANY_MAX = 200
# The whole request body of a public endpoint: room for the longest description, not for a flood.
PUBLIC_BODY_MAX = 32 * 1024


def _not_blank(what: str):
    return validate.Regexp(r"\S", error=f"The {what} cannot be blank.")


class PublicRequestSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=NAME_MAX), _not_blank("name")])
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9+()\- ]{3,40}$", error="A phone number has 3 to 40 digits, spaces, +, -, ( or )."))
    company = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=COMPANY_MAX))
    subject = subject_field(required=True)
    description = fields.String(required=True, validate=[validate.Length(min=1, max=DESCRIPTION_MAX),
                                                         _not_blank("description")])
    category = category_field(load_default=None)


class PublicTokenQuerySchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PublicReplySchema(Schema):
    body = message_field(required=True)


class PublicRatingSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=COMMENT_MAX))


class PublicAcknowledgementSchema(Schema):
    number = fields.String(metadata={"description": "the acknowledgement number, SD-2026-000123"})
    access_token = fields.String(metadata={"description": "the secret to read and answer the request; shown once"})
    status = fields.String()


class PublicMessageSchema(Schema):
    author_kind = fields.String(metadata={"description": "customer or agent"})
    body = fields.String()
    created_at = fields.DateTime()


class PublicSatisfactionSchema(Schema):
    rating = fields.Integer()
    comment = fields.String(allow_none=True)
    rated_at = fields.DateTime()


class PublicRequestViewSchema(Schema):
    number = fields.String()
    subject = fields.String()
    status = fields.String()
    opened_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    messages = fields.List(fields.Nested(PublicMessageSchema), metadata={
        "description": "the request itself, then the public replies; internal notes never"})
    satisfaction = fields.Nested(PublicSatisfactionSchema, allow_none=True)
    can_rate = fields.Boolean()

