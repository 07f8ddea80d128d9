"""Response schemas of the reporting API."""
from marshmallow import Schema, fields


class ChannelCountersSchema(Schema):
    leads_created = fields.Integer()
    leads_claimed = fields.Integer()
    leads_converted = fields.Integer()
    customers = fields.Integer()
    tickets = fields.Integer()


class ChannelRowSchema(ChannelCountersSchema):
    channel = fields.String()


class ChannelDashboardSchema(Schema):
    channels = fields.List(fields.Nested(ChannelRowSchema), metadata={"description": "sorted by channel"})
    totals = fields.Nested(ChannelCountersSchema)
    updated_at = fields.DateTime(
        allow_none=True, metadata={"description": "when the newest event counted happened; null before any"}
    )


# ---------------------------------------------------------------- the period dashboards

def _money(description: str, **options) -> fields.Decimal:
    return fields.Decimal(places=2, as_string=True, metadata={"description": description}, **options)


def _rate(description: str) -> fields.Float:
    return _number(f"{description}; 0..1, 4 places; null when undefined")


def _number(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description})


class DashboardQuerySchema(Schema):
    """The query of every period dashboard; checked by the view, which answers 400 naming a bad parameter."""

    period = fields.String(metadata={"description": "this_month (default), last_month, this_quarter, last_quarter, "
                                                    "this_year, last_year, last_7_days or last_30_days"})
    from_ = fields.String(
        data_key="from", metadata={"description": "first day, YYYY-MM-DD (with `to`, instead of `period`)"})
    to = fields.String(metadata={"description": "last day, YYYY-MM-DD, included; at most 3 years after `from`"})
    scope = fields.String(metadata={"description": "own, team or all: narrows the viewer's scope, never widens it"})


class PeriodSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="first", metadata={"description": "first day, included"})
    to = fields.Date(attribute="last", metadata={"description": "last day, included"})
    time_zone = fields.String(metadata={"description": "the zone whose days these are (CRM_REPORTING_TIME_ZONE)"})


class DashboardPeriodSchema(PeriodSchema):
    previous = fields.Nested(PeriodSchema, metadata={"description": "as many days just before, for comparisons"})
    scope = fields.String(metadata={"description": "whose records are counted: own, team or all"})


class AcquisitionFiguresSchema(Schema):
    leads_acquired = fields.Integer(metadata={"description": "leads created in the period"})
    leads_claimed = fields.Integer(metadata={"description": "leads claimed by or distributed to a rep in the period "
                                                          "(their latest claim)"})
    leads_converted = fields.Integer()
    customers_created = fields.Integer()
    opportunities_opened = fields.Integer()
    deals_won = fields.Integer()
    won_amount = _money("amount of the deals won")
    tickets_opened = fields.Integer()
    conversion_rate = _rate("share of the leads acquired in the period that are converted by now")


class AcquisitionChannelSchema(AcquisitionFiguresSchema):
    channel = fields.String(allow_none=True)


class AcquisitionCampaignSchema(AcquisitionChannelSchema):
    campaign = fields.String(allow_none=True)


class AcquisitionDashboardSchema(Schema):
    period = fields.Nested(DashboardPeriodSchema)
    channels = fields.List(fields.Nested(AcquisitionChannelSchema))
    campaigns = fields.List(
        fields.Nested(AcquisitionCampaignSchema), metadata={"description": "per channel and campaign"})
    totals = fields.Nested(AcquisitionFiguresSchema)


class PipelineStageSchema(Schema):
    stage = fields.String(allow_none=True)
    count = fields.Integer()
    amount = _money("amount of the open opportunities at this stage")


class SalesFiguresSchema(Schema):
    follow_ups = fields.Integer(metadata={"description": "follow-ups logged in the period"})
    pipeline = fields.List(
        fields.Nested(PipelineStageSchema), metadata={"description": "open opportunities now, by stage"})
    pipeline_count = fields.Integer()
    pipeline_amount = _money("amount of all open opportunities now")
    won_count = fields.Integer()
    won_amount = _money("opportunities won in the period")
    planned_amount = _money("installments planned in the period (closed ones at what was paid on them)")
    collected_amount = _money("payments received in the period, less the money refunds returned in it")
    collection_rate = _rate("share of the amount planned in the period that is paid")
    overdue_count = fields.Integer(metadata={"description": "installments past their day and not fully paid, now"})
    overdue_amount = _money("what is outstanding on the overdue installments")
    invoiced_amount = _money("invoices issued in the period")
    refunded_amount = _money("refunds completed in the period")


class SalesRepSchema(SalesFiguresSchema):
    owner_id = fields.String(allow_none=True, metadata={"description": "null: customers without an owner"})
    display_name = fields.String(allow_none=True)


class SalesTeamSchema(SalesFiguresSchema):
    team_id = fields.String()
    name = fields.String(allow_none=True)


class SalesDashboardSchema(Schema):
    period = fields.Nested(DashboardPeriodSchema)
    reps = fields.List(fields.Nested(SalesRepSchema))
    teams = fields.List(fields.Nested(SalesTeamSchema), metadata={"description": "in the team and all scopes"})
    totals = fields.Nested(SalesFiguresSchema)


class ServiceFiguresSchema(Schema):
    opened = fields.Integer()
    resolved = fields.Integer(metadata={"description": "tickets resolved in the period"})
    open_now = fields.Integer(metadata={"description": "tickets neither resolved nor closed, now"})
    avg_first_response_minutes = _number("wall clock from opening, of the tickets opened in the period")
    avg_resolution_minutes = _number("wall clock from opening, of the tickets opened in the period")
    sla_compliance = _rate("share of the tickets opened in the period without an SLA breach")
    avg_rating = fields.Float(allow_none=True)
    rated = fields.Integer()


class ServiceChannelSchema(ServiceFiguresSchema):
    channel = fields.String(allow_none=True)


class ServicePrioritySchema(ServiceFiguresSchema):
    priority = fields.String(allow_none=True)


class ServiceDashboardSchema(Schema):
    period = fields.Nested(DashboardPeriodSchema)
    by_channel = fields.List(fields.Nested(ServiceChannelSchema))
    by_priority = fields.List(fields.Nested(ServicePrioritySchema))
    totals = fields.Nested(ServiceFiguresSchema)


class PoolKindSchema(Schema):
    direction = fields.String(metadata={"description": "in or out"})
    kind = fields.String(metadata={"description": "created, returned, recycled, claimed or distributed"})
    count = fields.Integer()


class PoolRowSchema(Schema):
    pool_id = fields.String(allow_none=True)
    entries = fields.Integer()
    exits = fields.Integer()
    kinds = fields.List(fields.Nested(PoolKindSchema))


class PoolTotalsSchema(Schema):
    entries = fields.Integer()
    exits = fields.Integer()


class PoolReasonSchema(Schema):
    kind = fields.String(metadata={"description": "returned or recycled"})
    reason = fields.String(allow_none=True)
    count = fields.Integer()


class ClaimToFollowUpSchema(Schema):
    leads = fields.Integer(metadata={"description": "leads claimed in the period and followed up since"})
    average_hours = fields.Float(allow_none=True)


class PoolDashboardSchema(Schema):
    period = fields.Nested(DashboardPeriodSchema)
    pools = fields.List(fields.Nested(PoolRowSchema))
    totals = fields.Nested(PoolTotalsSchema)
    reasons = fields.List(fields.Nested(PoolReasonSchema), metadata={"description": "most frequent first"})
    claim_to_first_follow_up = fields.Nested(ClaimToFollowUpSchema)


class MoneyComparisonSchema(Schema):
    value = _money("in the period")
    previous = _money("in the previous period")
    change = _money("value - previous")
    change_percent = _number("change / previous in percent, 2 places; null when previous is 0")


class RatioComparisonSchema(Schema):
    value = fields.Float(allow_none=True)
    previous = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True)
    change_percent = fields.Float(allow_none=True)


class TargetAchievementSchema(Schema):
    target_id = fields.String()
    subject_id = fields.String()
    name = fields.String(allow_none=True)
    metric = fields.String()
    period = fields.String(allow_none=True)
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "the day after the target's last day"})
    target = fields.String(allow_none=True)
    actual = fields.String(allow_none=True, metadata={"description": "over the target's own period; null when unknown"})
    achievement = fields.Float(allow_none=True, metadata={"description": "actual / target, 4 places"})
    note = fields.String(allow_none=True)


class TargetsSchema(Schema):
    reps = fields.List(fields.Nested(TargetAchievementSchema))
    teams = fields.List(fields.Nested(TargetAchievementSchema))
    departments = fields.List(fields.Nested(TargetAchievementSchema))


class ExecutiveDashboardSchema(Schema):
    period = fields.Nested(DashboardPeriodSchema)
    revenue = fields.Nested(MoneyComparisonSchema, metadata={"description": "contracts signed, not voided"})
    payments_collected = fields.Nested(MoneyComparisonSchema)
    sales_expenses = fields.Nested(MoneyComparisonSchema, metadata={"description": "approved expenses"})
    expense_to_revenue = fields.Nested(RatioComparisonSchema)
    targets = fields.Nested(TargetsSchema, metadata={"description": "targets whose period overlaps the period"})
