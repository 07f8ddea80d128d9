"""The events reporting learns from (see contracts/events/ for examples); it publishes the report ones."""

LEAD_CREATED = "leads.lead.created.v1"
LEAD_CLAIMED = "leads.lead.claimed.v1"
LEAD_DISTRIBUTED = "leads.lead.distributed.v1"
LEAD_RETURNED = "leads.lead.returned.v1"
LEAD_RECYCLED = "leads.lead.recycled.v1"
LEAD_CONVERTED = "leads.lead.converted.v1"
LEAD_MERGED = "leads.lead.merged.v1"
FOLLOW_UP_LOGGED = "leads.follow_up.logged.v1"

CUSTOMER_CREATED = "sales.customer.created.v1"
CUSTOMER_UPDATED = "sales.customer.updated.v1"
CUSTOMER_OWNER_CHANGED = "sales.customer.owner_changed.v1"
CUSTOMER_RETURNED = "sales.customer.returned.v1"
OPPORTUNITY_OPENED = "sales.opportunity.opened.v1"
OPPORTUNITY_STAGE_CHANGED = "sales.opportunity.stage_changed.v1"
OPPORTUNITY_UPDATED = "sales.opportunity.updated.v1"
OPPORTUNITY_CLOSED = "sales.opportunity.closed.v1"
OPPORTUNITY_EVENTS = (OPPORTUNITY_OPENED, OPPORTUNITY_STAGE_CHANGED, OPPORTUNITY_UPDATED, OPPORTUNITY_CLOSED)
ORDER_PLACED = "sales.order.placed.v1"
ORDER_CANCELLED = "sales.order.cancelled.v1"
CONTRACT_DRAFTED = "sales.contract.drafted.v1"
CONTRACT_SIGNED = "sales.contract.signed.v1"
CONTRACT_EVENTS = (
    CONTRACT_DRAFTED,
    "sales.contract.submitted.v1",
    "sales.contract.approved.v1",
    "sales.contract.rejected.v1",
    "sales.contract.sent_back.v1",
    CONTRACT_SIGNED,
    "sales.contract.activated.v1",
    "sales.contract.expired.v1",
    "sales.contract.voided.v1",
    "sales.contract.amended.v1",
)
PAYMENT_PLAN_CREATED = "sales.payment_plan.created.v1"
PAYMENT_PLAN_REVISED = "sales.payment_plan.revised.v1"
PAYMENT_RECEIVED = "sales.payment.received.v1"
INVOICE_REQUESTED = "sales.invoice.requested.v1"
INVOICE_EVENTS = (
    INVOICE_REQUESTED,
    "sales.invoice.approved.v1",
    "sales.invoice.rejected.v1",
    "sales.invoice.issued.v1",
    "sales.invoice.reversed.v1",
)
REFUND_REQUESTED = "sales.refund.requested.v1"
REFUND_APPROVED = "sales.refund.approved.v1"
REFUND_COMPLETED = "sales.refund.completed.v1"
REFUND_EVENTS = (REFUND_REQUESTED, REFUND_APPROVED, "sales.refund.rejected.v1", REFUND_COMPLETED)
EXPENSE_EVENTS = ("sales.expense.recorded.v1", "sales.expense.approved.v1", "sales.expense.rejected.v1")
TARGET_SET = "sales.target.set.v1"
SALES_FOLLOW_UP_RECORDED = "sales.follow_up.recorded.v1"

TICKET_OPENED = "service_desk.ticket.opened.v1"
TICKET_SUBMITTED = "service_desk.ticket.submitted.v1"
TICKET_ASSIGNED = "service_desk.ticket.assigned.v1"
TICKET_UPDATED = "service_desk.ticket.updated.v1"
TICKET_REPLIED = "service_desk.ticket.replied.v1"
TICKET_STATUS_CHANGED = "service_desk.ticket.status_changed.v1"
TICKET_REOPENED = "service_desk.ticket.reopened.v1"
TICKET_CLOSED = "service_desk.ticket.closed.v1"
TICKET_RATED = "service_desk.ticket.rated.v1"
TICKET_SLA_BREACHED = "service_desk.ticket.sla_breached.v1"

USER_REGISTERED = "gateway.user.registered.v1"
USER_CHANGED = "gateway.user.changed.v1"

# Published by reporting: a scheduled report's files are ready for one recipient.
REPORT_GENERATED = "reporting.report.generated.v1"
