"""Request and response schemas of agent groups, agent profiles, skill requirements and workflow rules."""
from marshmallow import Schema, ValidationError, fields, validate, validates

from service_desk.agents import AVAILABILITIES
from service_desk.domain import CATEGORY_PATTERN
from service_desk.rules import ASSIGNMENT_METHODS, NAME_MAX, SKILL_LEVELS, TRIGGERS, skill_requirement_problems

MINUTES = validate.Range(min=1, max=60 * 24 * 30)
SKILL_NAME = validate.Regexp(r"^[\w][\w .:-]{0,49}$", error="A skill name has 1 to 50 letters, digits or . : - _")


class GroupCreateSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100),
                                                  validate.Regexp(r"\S", error="The name cannot be blank.")])
    team_lead_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    member_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list,
                             validate=validate.Length(max=500))
    assignment_method = fields.String(load_default="round_robin", validate=validate.OneOf(ASSIGNMENT_METHODS))
    relax_after_minutes = fields.Integer(load_default=None, allow_none=True, validate=MINUTES)
    assignment_timeout_minutes = fields.Integer(load_default=None, allow_none=True, validate=MINUTES)


class GroupUpdateSchema(Schema):
    name = fields.String(validate=[validate.Length(min=1, max=100),
                                   validate.Regexp(r"\S", error="The name cannot be blank.")])
    team_lead_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=36))
    member_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), validate=validate.Length(max=500))
    assignment_method = fields.String(validate=validate.OneOf(ASSIGNMENT_METHODS))
    relax_after_minutes = fields.Integer(allow_none=True, validate=MINUTES)
    assignment_timeout_minutes = fields.Integer(allow_none=True, validate=MINUTES)


class GroupSchema(Schema):
    id = fields.String()
    name = fields.String()
    team_lead_id = fields.String(allow_none=True)
    member_ids = fields.List(fields.String())
    assignment_method = fields.String()
    relax_after_minutes = fields.Integer(allow_none=True)
    assignment_timeout_minutes = fields.Integer(allow_none=True)
    version = fields.Integer()


class GroupPageSchema(Schema):
    items = fields.List(fields.Nested(GroupSchema))
    total = fields.Integer()


class SkillsField(fields.Dict):
    """{"billing": 3, ...}: skill names and levels 1 to 5."""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(validate=SKILL_NAME),
                         values=fields.Integer(strict=True, validate=validate.OneOf(SKILL_LEVELS)), **kwargs)


class AgentUpdateSchema(Schema):
    skills = SkillsField(validate=validate.Length(max=50))
    availability = fields.String(validate=validate.OneOf(AVAILABILITIES))
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1000),
                              metadata={"description": "most open tickets at once; null: no limit"})


class AvailabilitySchema(Schema):
    availability = fields.String(required=True, validate=validate.OneOf(AVAILABILITIES))


class AgentSchema(Schema):
    user_id = fields.String()
    display_name = fields.String()
    skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    availability = fields.String()
    capacity = fields.Integer(allow_none=True)
    availability_changed_at = fields.DateTime(allow_none=True)
    availability_changed_by = fields.String(allow_none=True)
    open_tickets = fields.Integer()
    group_ids = fields.List(fields.String())
    version = fields.Integer()


class AgentPageSchema(Schema):
    items = fields.List(fields.Nested(AgentSchema))
    total = fields.Integer()


class SkillRequirementBodySchema(Schema):
    skills = fields.Raw(required=True, metadata={"description": "[[skill, level], ...], most important first"})

    @validates("skills")
    def _pairs(self, value, **_):
        problems = skill_requirement_problems(value)
        if problems:
            raise ValidationError(problems)


class SkillRequirementSchema(Schema):
    category = fields.String()
    skills = fields.Raw()


class SkillRequirementPageSchema(Schema):
    items = fields.List(fields.Nested(SkillRequirementSchema))


CATEGORY = validate.Regexp(CATEGORY_PATTERN, error="A category is a slug: a-z, 0-9, _ and -.")


class RuleCreateSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=NAME_MAX),
                                                  validate.Regexp(r"\S", error="The name cannot be blank.")])
    position = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    active = fields.Boolean(load_default=True)
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    interval_minutes = fields.Integer(load_default=None, allow_none=True,
                                      metadata={"description": "on_schedule only: run every N minutes"})
    # Checked by service_desk.rules, which names the place of each problem (conditions.all.0.op).
    conditions = fields.Raw(load_default=dict)
    actions = fields.Raw(required=True)
    stop_after_match = fields.Boolean(load_default=False)
    description = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RuleUpdateSchema(Schema):
    name = fields.String(validate=[validate.Length(min=1, max=NAME_MAX),
                                   validate.Regexp(r"\S", error="The name cannot be blank.")])
    position = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    active = fields.Boolean()
    trigger = fields.String(validate=validate.OneOf(TRIGGERS))
    interval_minutes = fields.Integer(allow_none=True)
    conditions = fields.Raw()
    actions = fields.Raw()
    stop_after_match = fields.Boolean()
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))


class RuleSchema(Schema):
    id = fields.String()
    name = fields.String()
    position = fields.Integer()
    active = fields.Boolean()
    trigger = fields.String()
    interval_minutes = fields.Integer(allow_none=True)
    conditions = fields.Raw()
    actions = fields.Raw()
    stop_after_match = fields.Boolean()
    description = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class RulePageSchema(Schema):
    items = fields.List(fields.Nested(RuleSchema))
    total = fields.Integer()
