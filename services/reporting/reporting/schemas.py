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
