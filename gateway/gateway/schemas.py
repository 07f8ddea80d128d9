"""Request and response schemas of the gateway's own API; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from gateway.domain import LOCALES


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"description": "always `bearer`"})
    expires_in = fields.Integer(metadata={"description": "seconds until the token expires"})


class TeamSchema(Schema):
    id = fields.String()
    name = fields.String()


class MeSchema(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    teams = fields.List(fields.Nested(TeamSchema))
    locale = fields.String(metadata={"description": "one of " + ", ".join(LOCALES)})


class MeUpdateSchema(Schema):
    locale = fields.String(required=True, validate=validate.OneOf(LOCALES))


class UserSchema(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    teams = fields.List(fields.Nested(TeamSchema))
    active = fields.Boolean()


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    total = fields.Integer()
