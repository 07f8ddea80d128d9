"""Request and response schemas of the leads API; unknown fields are refused, nested ones too."""
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate

from leads.domain import STATUSES, FirstOpportunity
from leads.pools import KINDS

MAX_BATCH = 500


def Tag() -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=50))


def Id() -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=36))


def _unique(values):
    if len(set(values)) != len(values):
        raise ValidationError("Each id may appear only once.")


class LeadCreateSchema(Schema):
    company = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contact_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    channel = fields.String(required=True, validate=validate.Length(min=1, max=50))
    region = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    industry = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    company_size = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    tags = fields.List(Tag(), load_default=list, validate=validate.Length(max=30))
    campaign = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    pool_id = fields.String(load_default=None, allow_none=True, metadata={"description": "default: the default lead pool"})
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    allow_duplicate = fields.Boolean(load_default=False, metadata={
        "description": "create even if a lead with the same phone or e-mail exists (else 409 duplicate_lead)"})


class LeadSchema(Schema):
    id = fields.String()
    company = fields.String()
    contact_name = fields.String()
    phone = fields.String(allow_none=True, metadata={"description": "masked (138****8000) in a public pool until claimed or revealed"})
    email = fields.String(allow_none=True)
    channel = fields.String()
    status = fields.String()
    owner_id = fields.String(allow_none=True)
    pool_id = fields.String()
    region = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    company_size = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    campaign = fields.String(allow_none=True)
    previous_owner_id = fields.String(allow_none=True)
    entered_pool_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    claimed_at = fields.DateTime(allow_none=True)
    converted_at = fields.DateTime(allow_none=True)
    last_followed_up_at = fields.DateTime(allow_none=True)
    notes = fields.String(allow_none=True)
    merged_into_id = fields.String(allow_none=True, metadata={"description": "set when status is merged"})
    duplicates = fields.List(fields.Dict(), metadata={
        "description": "on create only: existing leads sharing a key ({lead_id, strength, keys})"})
    version = fields.Integer()
    masked = fields.Boolean(dump_default=False)


class LeadListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    owner = fields.String(metadata={"description": "a user id, or `me`"})
    channel = fields.String()
    pool_id = fields.String(metadata={"description": "only this pool's leads; you must be a member"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class LeadPageSchema(Schema):
    items = fields.List(fields.Nested(LeadSchema))
    total = fields.Integer(metadata={"description": "how many leads match, exact up to 10,000; past that 10,000 "
                                                    "with total_is_estimate (at least that many)"})
    total_is_estimate = fields.Boolean()


class LeadListSchema(Schema):
    items = fields.List(fields.Nested(LeadSchema))


class ClaimRequestSchema(Schema):
    lead_ids = fields.List(Id(), required=True, validate=[validate.Length(min=1, max=MAX_BATCH), _unique])


class ReturnRequestSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=100))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class FirstOpportunitySchema(Schema):
    """The deal sales opens with the customer; money is a decimal string, never a JSON number."""

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                  validate.Regexp(r"\S", error="The name cannot be blank.")])
    amount = fields.String(required=True, metadata={"description": "a decimal string: \"12000.50\""}, validate=validate.Regexp(
        r"^\d{1,16}(\.\d{1,2})?$", error="A decimal string such as \"12000.50\": at most two decimals."))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code such as CNY."))
    expected_close_date = fields.Date(load_default=None, allow_none=True)

    @post_load
    def make(self, data, **_):
        return FirstOpportunity(data["name"], Decimal(data["amount"]), data["currency"], data["expected_close_date"])


class ConvertRequestSchema(Schema):
    opportunity = fields.Nested(FirstOpportunitySchema, load_default=None, allow_none=True, metadata={
        "description": "optional: the first opportunity sales opens with the customer"})


class DistributeRequestSchema(Schema):
    lead_ids = fields.List(Id(), required=True, validate=[validate.Length(min=1, max=MAX_BATCH), _unique])
    owner_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class OwnershipChangeSchema(Schema):
    from_owner_id = fields.String(allow_none=True)
    to_owner_id = fields.String(allow_none=True)
    reason = fields.String()
    pool_id = fields.String()
    actor_id = fields.String()
    detail = fields.String(allow_none=True)
    at = fields.DateTime()


class OwnershipHistorySchema(Schema):
    items = fields.List(fields.Nested(OwnershipChangeSchema))


# -- pools and markets -----------------------------------------------------------------------------

Limit = lambda: fields.Integer(allow_none=True, validate=validate.Range(min=0))  # noqa: E731  None: no limit
Hours = lambda: fields.Integer(validate=validate.Range(min=0, max=24 * 365))  # noqa: E731


class PoolRulesSchema(Schema):
    """No defaults here: what is left out keeps its current (or the domain's default) value."""

    require_market = fields.Boolean(metadata={"description": "reps without markets may not claim"})
    daily_claim_quota = Limit()
    max_claim_batch = fields.Integer(validate=validate.Range(min=1, max=MAX_BATCH))
    max_private_leads = Limit()
    max_team_leads = Limit()
    count_converted = fields.Boolean(metadata={"description": "converted leads count towards capacity"})
    reclaim_cooldown_hours = Hours()
    embargo_hours = Hours()
    daily_open_quota = Limit()
    return_reasons = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                                 validate=validate.Length(min=1, max=50))
    recycle = fields.Dict(allow_none=True, metadata={
        "description": "the recycle policy (leads/recycling_rules.py, checked when saved); null: recycle nothing"})
    distribution = fields.Dict(allow_none=True, metadata={
        "description": "lead pools only: give new and imported leads to a rep at once. {strategy: none | round_robin "
                       "| least_loaded | capacity_weighted | by_market, user_ids: null (every rep of the scope) or a "
                       "list, capacities: {user_id: max open leads}, default_capacity: int or null}; checked when "
                       "saved (leads/distribution_rules.py); null: no rule"})


class PoolScopeSchema(Schema):
    user_ids = fields.List(Id())
    team_ids = fields.List(Id())
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=50)))
    market_ids = fields.List(Id())


class PoolCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    enabled = fields.Boolean(load_default=True)
    admin_ids = fields.List(Id(), load_default=list)
    scope = fields.Nested(PoolScopeSchema, load_default=dict)
    rules = fields.Nested(PoolRulesSchema, load_default=dict)


class PoolUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    enabled = fields.Boolean()
    admin_ids = fields.List(Id())
    scope = fields.Nested(PoolScopeSchema)
    rules = fields.Nested(PoolRulesSchema)



class PoolSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    is_default = fields.Boolean()
    enabled = fields.Boolean()
    admin_ids = fields.List(fields.String())
    scope = fields.Function(lambda pool: pool.scope.to_dict())
    rules = fields.Function(lambda pool: pool.rules.to_dict())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class PoolListSchema(Schema):
    items = fields.List(fields.Nested(PoolSchema))


class MarketConditionsSchema(Schema):
    regions = fields.List(fields.String(validate=validate.Length(min=1, max=100)))
    industries = fields.List(fields.String(validate=validate.Length(min=1, max=100)))
    company_sizes = fields.List(fields.String(validate=validate.Length(min=1, max=50)))
    tags = fields.List(Tag())


class MarketCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    conditions = fields.Nested(MarketConditionsSchema, load_default=dict)
    user_ids = fields.List(Id(), load_default=list)
    team_ids = fields.List(Id(), load_default=list)


class MarketUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    conditions = fields.Nested(MarketConditionsSchema)
    user_ids = fields.List(Id())
    team_ids = fields.List(Id())


class MarketAssigneesSchema(Schema):
    user_ids = fields.List(Id(), required=True)
    team_ids = fields.List(Id(), required=True)


class MarketSchema(Schema):
    id = fields.String()
    name = fields.String()
    conditions = fields.Function(lambda market: market.conditions.to_dict())
    user_ids = fields.List(fields.String())
    team_ids = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class MarketListSchema(Schema):
    items = fields.List(fields.Nested(MarketSchema))
