"""Request and response schemas of the gateway's own API; unknown fields are refused."""
from marshmallow import Schema, fields, validate

from crm_shared.auth import ROLES
from gateway.domain import DEFAULT_LOCALE, LOCALES


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


def _roles_field(**options) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=50)),
        validate=validate.Length(min=1, error="Give the user at least one role."),
        metadata={"description": "one or more of " + ", ".join(ROLES)},
        **options,
    )


def _team_names_field() -> fields.List:
    return fields.List(
        fields.String(validate=[
            validate.Length(min=1, max=100),
            validate.Regexp(r"^\S(.*\S)?$", error="A team name neither starts nor ends with a space."),
        ]),
        validate=validate.Length(max=50),
        metadata={"description": "team names; a team that does not exist yet is created"},
    )


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=8, max=1024), load_only=True)
    display_name = fields.String(load_default="", validate=validate.Length(max=200))
    roles = _roles_field(required=True)
    team_names = _team_names_field()
    locale = fields.String(load_default=DEFAULT_LOCALE, validate=validate.OneOf(LOCALES))


class UserUpdateSchema(Schema):
    """Fields left out stay as they are; `team_names` and `team_ids` together name all of the user's teams."""

    display_name = fields.String(validate=validate.Length(max=200))
    roles = _roles_field()
    team_names = _team_names_field()
    team_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        validate=validate.Length(max=50),
        metadata={"description": "ids of existing teams"},
    )
    active = fields.Boolean()


class TeamWithMembersSchema(TeamSchema):
    member_count = fields.Integer()


class TeamListSchema(Schema):
    items = fields.List(fields.Nested(TeamWithMembersSchema))
    total = fields.Integer()
