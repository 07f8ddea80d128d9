"""Which records a sales event's audit rows concern beyond its own aggregate: the contract money belongs to."""
from crm_shared.audit import AuditTrail
from sales import money_events
from sales.db import audit_log
from sales.follow_up_events import FOLLOW_UP_RECORDED

OF_ITS_CONTRACT = (("contract", "contract_id"),)
MONEY_ON_A_CONTRACT = (
    money_events.PAYMENT_PLAN_CREATED, money_events.PAYMENT_PLAN_REVISED, money_events.INSTALLMENT_DUE_SOON,
    money_events.INSTALLMENT_OVERDUE, money_events.PAYMENT_RECEIVED, money_events.INVOICE_REQUESTED,
    money_events.INVOICE_APPROVED, money_events.INVOICE_REJECTED, money_events.INVOICE_ISSUED,
    money_events.INVOICE_REVERSED, money_events.REFUND_REQUESTED, money_events.REFUND_APPROVED,
    money_events.REFUND_REJECTED, money_events.REFUND_COMPLETED,
)

SALES_AUDIT = AuditTrail(
    table=audit_log,
    also={
        # A follow-up has no page of its own: it is part of its customer's and its deal's trail.
        FOLLOW_UP_RECORDED: (("customer", "customer_id"), ("opportunity", "opportunity_id")),
        # Money moves on a contract: each such event is in the contract's trail too.
        **{name: OF_ITS_CONTRACT for name in MONEY_ON_A_CONTRACT},
    },
)
