"""Response and query schemas of the managers' views: per rep, each figure by currency, money as strings."""
from marshmallow import Schema, fields, validate

from sales.target_schemas import PERIOD, AchievementSchema

MONEY = {"as_string": True}


class TeamViewQuerySchema(Schema):
    period = fields.String(validate=PERIOD, metadata={"description": "2026-11, 2026-Q4 or 2026; this month if omitted"})
    team = fields.String(validate=validate.Length(min=1, max=36))
    stale_days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=3650))
    idle_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))


class StaleQuerySchema(Schema):
    rep = fields.String(validate=validate.Length(min=1, max=36))
    stale_days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=3650))


class StageFigureSchema(Schema):
    stage = fields.String()
    currency = fields.String()
    count = fields.Integer()
    amount = fields.Decimal(**MONEY)
    weighted = fields.Decimal(**MONEY, metadata={"description": "each deal × its stage's win probability"})


class OpenTotalSchema(Schema):
    currency = fields.String()
    count = fields.Integer()
    amount = fields.Decimal(**MONEY)
    weighted = fields.Decimal(**MONEY)


class CountedMoneySchema(Schema):
    currency = fields.String()
    count = fields.Integer()
    amount = fields.Decimal(**MONEY)


class OverdueSchema(Schema):
    currency = fields.String()
    count = fields.Integer()
    due = fields.Decimal(**MONEY, metadata={"description": "planned less paid"})


class LedgerSchema(Schema):
    currency = fields.String()
    contracts = fields.Integer()
    contract_amount = fields.Decimal(**MONEY, metadata={"description": "signed, active and expired contracts"})
    paid = fields.Decimal(**MONEY)
    invoiced = fields.Decimal(**MONEY, metadata={"description": "issued invoices"})
    refunded = fields.Decimal(**MONEY)
    outstanding = fields.Decimal(**MONEY, metadata={"description": "contract amount less net money received"})


class RepViewSchema(Schema):
    rep_id = fields.String()
    display_name = fields.String()
    team_ids = fields.List(fields.String())
    open_pipeline = fields.List(fields.Nested(StageFigureSchema))
    open_totals = fields.List(fields.Nested(OpenTotalSchema), metadata={"description": "all open stages, per currency"})
    won = fields.List(fields.Nested(CountedMoneySchema))
    stale = fields.List(fields.Nested(CountedMoneySchema))
    idle_customers = fields.Integer()
    overdue_installments = fields.List(fields.Nested(OverdueSchema))
    awaiting_approval = fields.List(fields.Nested(CountedMoneySchema))
    ledger = fields.List(fields.Nested(LedgerSchema))
    achievement = fields.List(fields.Nested(AchievementSchema))


class TeamViewSchema(Schema):
    period = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    stale_days = fields.Integer()
    idle_days = fields.Integer()
    as_of = fields.DateTime()
    reps = fields.List(fields.Nested(RepViewSchema))


class StaleOpportunitySchema(Schema):
    id = fields.String()
    name = fields.String()
    customer_id = fields.String()
    owner_id = fields.String()
    stage = fields.String()
    amount = fields.Decimal(**MONEY)
    currency = fields.String()
    moved_at = fields.DateTime(metadata={"description": "its last stage move (or its opening)"})


class StaleOpportunityListSchema(Schema):
    items = fields.List(fields.Nested(StaleOpportunitySchema))
