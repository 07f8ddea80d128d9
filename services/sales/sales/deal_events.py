"""The events of orders and contracts: names and payloads (see contracts/events/ for examples)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from sales.config import SERVICE
from sales.contracts import Contract, ContractAmended, ContractChanged, ContractDrafted, ContractRenewalDue
from sales.orders import Order, OrderCancelled, OrderPlaced

ORDER_PLACED = "sales.order.placed.v1"
ORDER_CANCELLED = "sales.order.cancelled.v1"
CONTRACT_DRAFTED = "sales.contract.drafted.v1"
CONTRACT_SUBMITTED = "sales.contract.submitted.v1"
CONTRACT_APPROVED = "sales.contract.approved.v1"
CONTRACT_REJECTED = "sales.contract.rejected.v1"
# The approver sent it back to its submitter for changes: a draft again.
CONTRACT_SENT_BACK = "sales.contract.sent_back.v1"
CONTRACT_SIGNED = "sales.contract.signed.v1"
CONTRACT_ACTIVATED = "sales.contract.activated.v1"
CONTRACT_EXPIRED = "sales.contract.expired.v1"
CONTRACT_VOIDED = "sales.contract.voided.v1"
# A partial refund reduced its amount; it stays in force.
CONTRACT_AMENDED = "sales.contract.amended.v1"
# Published once per contract, CRM_SALES_CONTRACT_RENEWAL_DAYS before its end date.
CONTRACT_RENEWAL_DUE = "sales.contract.renewal_due.v1"

CONTRACT_TRANSITIONS = {
    "submitted": CONTRACT_SUBMITTED,
    "approved": CONTRACT_APPROVED,
    "rejected": CONTRACT_REJECTED,
    "sent_back": CONTRACT_SENT_BACK,
    "signed": CONTRACT_SIGNED,
    "activated": CONTRACT_ACTIVATED,
    "expired": CONTRACT_EXPIRED,
    "voided": CONTRACT_VOIDED,
}


def _order(order: Order) -> dict:
    return {
        "order_id": order.id,
        "opportunity_id": order.opportunity_id,
        "customer_id": order.customer_id,
        "owner_id": order.owner_id,
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "discount": str(order.discount),
        "tax": str(order.tax),
        "total": str(order.total),
    }


def _contract(contract: Contract) -> dict:
    return {
        "contract_id": contract.id,
        "order_id": contract.order_id,
        "customer_id": contract.customer_id,
        "owner_id": contract.owner_id,
        "status": contract.status,
        "amount": str(contract.amount),
        "currency": contract.currency,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
    }


def deal_envelope(event) -> Envelope:
    """The wire form of an order or contract event: ids and the facts consumers need, never a row dump."""
    if isinstance(event, OrderPlaced):
        order = event.order
        name = ORDER_PLACED
        payload = {**_order(order), "tax_rate": str(order.tax_rate), "lines": len(order.lines),
                   "placed_by": order.created_by, "placed_at": format_time(order.created_at)}
    elif isinstance(event, OrderCancelled):
        order = event.order
        name = ORDER_CANCELLED
        payload = {**_order(order), "reason": order.cancel_reason, "cancelled_by": order.cancelled_by,
                   "cancelled_at": format_time(order.cancelled_at)}
    elif isinstance(event, ContractDrafted):
        contract = event.contract
        name = CONTRACT_DRAFTED
        payload = {**_contract(contract), "title": contract.title, "drafted_by": contract.created_by,
                   "drafted_at": format_time(contract.created_at)}
    elif isinstance(event, ContractChanged):
        contract = event.contract
        name = CONTRACT_TRANSITIONS[event.verb]
        payload = {**_contract(contract), "previous_status": event.previous_status,
                   "approval_request_id": contract.approval_request_id, "actor_id": event.actor_id,
                   "comment": event.comment, "at": format_time(event.at)}
        if event.verb == "signed":
            payload["signed_on"] = contract.signed_on.isoformat()
            payload["signatories"] = list(contract.signatories or [])
        if event.verb == "voided":
            payload["refund_id"] = event.refund_id
    elif isinstance(event, ContractAmended):
        amendment = event.amendment
        name = CONTRACT_AMENDED
        payload = {**_contract(event.contract), "amendment_id": amendment.id,
                   "amount_before": str(amendment.amount_before), "amount_after": str(amendment.amount_after),
                   "reason": amendment.reason, "refund_id": amendment.refund_id, "actor_id": amendment.amended_by,
                   "at": format_time(amendment.amended_at)}
    elif isinstance(event, ContractRenewalDue):
        name = CONTRACT_RENEWAL_DUE
        payload = {**_contract(event.contract), "days_left": event.days_left, "at": format_time(event.at)}
    else:
        raise TypeError(f"no wire form for {type(event).__name__}")
    return Envelope.new(name, payload, producer=SERVICE)
