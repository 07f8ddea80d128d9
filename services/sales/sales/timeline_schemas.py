"""Response schema of the customer's timeline."""
from marshmallow import Schema, fields


class TimelineEntrySchema(Schema):
    at = fields.DateTime()
    kind = fields.String(metadata={"description": "customer_created, owner_changed, team_member_added, "
                                                  "opportunity_opened, opportunity_stage_changed, opportunity_won, "
                                                  "opportunity_lost, follow_up, order_placed, order_cancelled, "
                                                  "contract_drafted, contract_<verb> (submitted, approved, "
                                                  "rejected, sent_back, signed, activated, expired, voided, "
                                                  "amended), payment_recorded, invoice_requested, "
                                                  "invoice_<verb> (approved, rejected, issued, reversed), "
                                                  "refund_requested, refund_decided"})
    actor_id = fields.String(allow_none=True, metadata={"description": "who did it (for a decision, who decided "
                                                                        "the approval); null for what the system did"})
    record_type = fields.String(metadata={"description": "the kind of record the entry is about: customer, "
                                                         "team_member, opportunity, follow_up, order, contract, "
                                                         "payment, invoice, refund"})
    record_id = fields.String()
    title = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    from_value = fields.String(allow_none=True, metadata={"description": "the owner, stage or status before"})
    to_value = fields.String(allow_none=True, metadata={"description": "the owner, stage or status after"})
    amount = fields.Function(lambda e: None if e.amount is None else str(e.amount), allow_none=True,
                             metadata={"description": "a decimal string"})
    currency = fields.String(allow_none=True)


class TimelinePageSchema(Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema))
    total = fields.Integer()
