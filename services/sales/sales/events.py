"""The events the sales service publishes: names and payloads (see contracts/ for examples)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_shared.envelope import Envelope, format_time
from sales.config import SERVICE
# Orders and contracts publish these (built in sales/deal_events.py); named here with the rest of sales' events.
from sales.deal_events import (  # noqa: F401
    CONTRACT_ACTIVATED,
    CONTRACT_AMENDED,
    CONTRACT_APPROVED,
    CONTRACT_DRAFTED,
    CONTRACT_EXPIRED,
    CONTRACT_REJECTED,
    CONTRACT_RENEWAL_DUE,
    CONTRACT_SENT_BACK,
    CONTRACT_SIGNED,
    CONTRACT_SUBMITTED,
    CONTRACT_VOIDED,
    ORDER_CANCELLED,
    ORDER_PLACED,
)
# Payment plans, payments and invoices publish these (built in sales/money_events.py).
from sales.money_events import (  # noqa: F401
    INSTALLMENT_DUE_SOON,
    INSTALLMENT_OVERDUE,
    INVOICE_APPROVED,
    INVOICE_ISSUED,
    INVOICE_REJECTED,
    INVOICE_REQUESTED,
    INVOICE_REVERSED,
    PAYMENT_PLAN_CREATED,
    PAYMENT_PLAN_REVISED,
    PAYMENT_RECEIVED,
    REFUND_APPROVED,
    REFUND_COMPLETED,
    REFUND_REJECTED,
    REFUND_REQUESTED,
)
# Follow-ups publish this, and the ticket handler its refusal (built in sales/follow_up_events.py).
from sales.follow_up_events import FOLLOW_UP_RECORDED, OPPORTUNITY_REQUEST_REFUSED  # noqa: F401
# Targets and expenses publish these (built in sales/target_events.py).
from sales.target_events import EXPENSE_APPROVED, EXPENSE_RECORDED, EXPENSE_REJECTED, TARGET_SET  # noqa: F401
from sales.domain import CustomerCreated, CustomerOwnerChanged, CustomerReturned
from sales.opportunities import OpportunityClosed, OpportunityOpened, OpportunityStageChanged

CUSTOMER_CREATED = "sales.customer.created.v1"
# The owner gave the customer up: the lead pool puts its lead back in a public pool.
CUSTOMER_RETURNED = "sales.customer.returned.v1"
# The customer followed its lead to a new owner (the lead was claimed or distributed again).
CUSTOMER_OWNER_CHANGED = "sales.customer.owner_changed.v1"
OPPORTUNITY_OPENED = "sales.opportunity.opened.v1"
# Won or lost: `outcome` says which.
OPPORTUNITY_CLOSED = "sales.opportunity.closed.v1"
# Moved between open stages of the pipeline (moving to won or lost is `closed`).
OPPORTUNITY_STAGE_CHANGED = "sales.opportunity.stage_changed.v1"
# Its descriptive fields or contacts were edited; `changed` names what (owner and pool have their own events).
CUSTOMER_UPDATED = "sales.customer.updated.v1"
# An open deal's fields or product lines were edited; `changed` names what (stages have their own events).
OPPORTUNITY_UPDATED = "sales.opportunity.updated.v1"


@dataclass
class CustomerUpdated:
    customer: object
    changed: list[str]
    updated_by: str
    at: datetime


@dataclass
class OpportunityUpdated:
    opportunity: object
    changed: list[str]
    updated_by: str
    at: datetime


def _time(moment) -> str | None:
    return format_time(moment) if moment else None


def _opportunity(opportunity) -> dict:
    return {
        "opportunity_id": opportunity.id,
        "customer_id": opportunity.customer_id,
        "lead_id": opportunity.lead_id,
        "name": opportunity.name,
        "stage": opportunity.stage,
        "amount": str(opportunity.amount),
        "currency": opportunity.currency,
        "owner_id": opportunity.owner_id,
    }


def to_envelope(event) -> Envelope:
    """The wire form of a domain event: ids and the facts consumers need, never a row dump."""
    if isinstance(event, CustomerCreated):
        customer = event.customer
        name = CUSTOMER_CREATED
        payload = {
            "customer_id": customer.id,
            "lead_id": customer.lead_id,
            "name": customer.name,
            "owner_id": customer.owner_id,
            "channel": customer.channel,
            "contact_name": customer.contact_name,
            "phone": customer.phone,
            "email": customer.email,
            "created_at": _time(customer.created_at),
        }
    elif isinstance(event, CustomerReturned):
        name = CUSTOMER_RETURNED
        payload = {
            "customer_id": event.customer.id,
            "lead_id": event.customer.lead_id,
            "previous_owner_id": event.previous_owner_id,
            "reason": event.reason,
            "channel": event.customer.channel,
            "returned_at": _time(event.returned_at),
        }
    elif isinstance(event, CustomerOwnerChanged):
        name = CUSTOMER_OWNER_CHANGED
        payload = {
            "customer_id": event.customer.id,
            "lead_id": event.customer.lead_id,
            "previous_owner_id": event.previous_owner_id,
            "owner_id": event.customer.owner_id,
            "reason": event.reason,
            "channel": event.customer.channel,
            "changed_at": _time(event.changed_at),
        }
    elif isinstance(event, OpportunityOpened):
        opportunity = event.opportunity
        name = OPPORTUNITY_OPENED
        payload = {
            **_opportunity(opportunity),
            "expected_close_date": opportunity.expected_close_date.isoformat() if opportunity.expected_close_date else None,
            "opened_at": _time(opportunity.created_at),
            "source": opportunity.source,
            "source_ticket_id": opportunity.source_ticket_id,
        }
    elif isinstance(event, OpportunityStageChanged):
        name = OPPORTUNITY_STAGE_CHANGED
        payload = {
            **_opportunity(event.opportunity),
            "from_stage": event.from_stage,
            "win_probability": event.win_probability,
            "changed_by": event.changed_by,
            "changed_at": _time(event.changed_at),
        }
    elif isinstance(event, OpportunityClosed):
        opportunity = event.opportunity
        name = OPPORTUNITY_CLOSED
        payload = {
            **_opportunity(opportunity),
            "outcome": opportunity.status,
            "reason": opportunity.close_reason,
            "closed_by": opportunity.closed_by,
            "closed_at": _time(opportunity.closed_at),
        }
    elif isinstance(event, CustomerUpdated):
        customer = event.customer
        name = CUSTOMER_UPDATED
        payload = {
            "customer_id": customer.id,
            "lead_id": customer.lead_id,
            "name": customer.name,
            "owner_id": customer.owner_id,
            "channel": customer.channel,
            "level": customer.level,
            "region": customer.region,
            "industry": customer.industry,
            "contact_name": customer.contact_name,
            "phone": customer.phone,
            "email": customer.email,
            "changed": list(event.changed),
            "updated_by": event.updated_by,
            "updated_at": _time(event.at),
        }
    elif isinstance(event, OpportunityUpdated):
        opportunity = event.opportunity
        name = OPPORTUNITY_UPDATED
        payload = {
            **_opportunity(opportunity),
            "expected_close_date": opportunity.expected_close_date.isoformat() if opportunity.expected_close_date else None,
            "changed": list(event.changed),
            "updated_by": event.updated_by,
            "updated_at": _time(event.at),
        }
    else:
        raise TypeError(f"no wire form for {type(event).__name__}")
    return Envelope.new(name, payload, producer=SERVICE)
