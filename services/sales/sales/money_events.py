"""The events of payment plans, payments and invoices: names and payloads (see contracts/events/ for examples)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from sales.config import SERVICE
from sales.invoices import Invoice, InvoiceChanged
from sales.money_rules import money
from sales.payments import (
    Installment,
    InstallmentDueSoon,
    InstallmentOverdue,
    PaymentPlanCreated,
    PaymentPlanRevised,
    PaymentReceived,
)
from sales.refunds import RefundChanged

# The installments planned: one event per plan, listing them.
PAYMENT_PLAN_CREATED = "sales.payment_plan.created.v1"
# The unpaid part planned again: the installments closed at what was paid, voided, and added.
PAYMENT_PLAN_REVISED = "sales.payment_plan.revised.v1"
# Published once per installment, its reminder's number of days before its date.
INSTALLMENT_DUE_SOON = "sales.installment.due_soon.v1"
# Published once per installment, the first time the job finds it past its date with money still due.
INSTALLMENT_OVERDUE = "sales.installment.overdue.v1"
# Counted: recorded with no approval needed, or approved.
PAYMENT_RECEIVED = "sales.payment.received.v1"
INVOICE_REQUESTED = "sales.invoice.requested.v1"
INVOICE_APPROVED = "sales.invoice.approved.v1"
INVOICE_REJECTED = "sales.invoice.rejected.v1"
INVOICE_ISSUED = "sales.invoice.issued.v1"
INVOICE_REVERSED = "sales.invoice.reversed.v1"

REFUND_REQUESTED = "sales.refund.requested.v1"
REFUND_APPROVED = "sales.refund.approved.v1"
REFUND_REJECTED = "sales.refund.rejected.v1"
# Applied, in the approval's transaction: contract voided, order cancelled, installments voided, money recorded.
REFUND_COMPLETED = "sales.refund.completed.v1"

REFUND_TRANSITIONS = {
    "requested": REFUND_REQUESTED,
    "approved": REFUND_APPROVED,
    "rejected": REFUND_REJECTED,
    "completed": REFUND_COMPLETED,
}

INVOICE_TRANSITIONS = {
    "requested": INVOICE_REQUESTED,
    "approved": INVOICE_APPROVED,
    "rejected": INVOICE_REJECTED,
    "issued": INVOICE_ISSUED,
    "reversed": INVOICE_REVERSED,
}


def _installment(installment: Installment) -> dict:
    return {
        "installment_id": installment.id,
        "contract_id": installment.contract_id,
        "customer_id": installment.customer_id,
        "number": installment.number,
        "planned_amount": money(installment.planned_amount),
        "paid_amount": money(installment.paid_amount),
        "currency": installment.currency,
        "planned_date": installment.planned_date.isoformat(),
        "status": installment.status,
    }


def _invoice(invoice: Invoice) -> dict:
    return {
        "invoice_id": invoice.id,
        "contract_id": invoice.contract_id,
        "customer_id": invoice.customer_id,
        "kind": invoice.kind,
        "status": invoice.status,
        "title_type": invoice.title_type,
        "title": invoice.title,
        "amount": money(invoice.amount),
        "tax_rate": str(invoice.tax_rate),
        "currency": invoice.currency,
        "invoice_number": invoice.invoice_number,
        "issued_on": invoice.issued_on.isoformat() if invoice.issued_on else None,
        "reverses_invoice_id": invoice.reverses_invoice_id,
        "reversed_by_invoice_id": invoice.reversed_by_invoice_id,
        "approval_request_id": invoice.approval_request_id,
        "refund_id": invoice.refund_id,
        "reversal_due": invoice.reversal_due,
    }


def _planned(installment: Installment) -> dict:
    return {"installment_id": installment.id, "number": installment.number,
            "planned_amount": money(installment.planned_amount), "planned_date": installment.planned_date.isoformat(),
            "method": installment.method}


def money_envelope(event) -> Envelope:
    """The wire form of a payment plan, payment or invoice event: ids and the facts consumers need."""
    if isinstance(event, PaymentPlanCreated):
        contract = event.contract
        name = PAYMENT_PLAN_CREATED
        payload = {
            "contract_id": contract.id,
            "customer_id": contract.customer_id,
            "owner_id": contract.owner_id,
            "amount": money(contract.amount),
            "currency": contract.currency,
            "installments": [_planned(i) for i in event.installments],
            "created_by": event.created_by,
            "at": format_time(event.at),
        }
    elif isinstance(event, PaymentPlanRevised):
        contract = event.contract
        name = PAYMENT_PLAN_REVISED
        payload = {
            "contract_id": contract.id,
            "customer_id": contract.customer_id,
            "owner_id": contract.owner_id,
            "amount": money(contract.amount),
            "currency": contract.currency,
            "kept_installment_ids": [i.id for i in event.kept],
            "closed_installment_ids": [i.id for i in event.closed],
            "voided_installment_ids": [i.id for i in event.voided],
            "installments": [_planned(i) for i in event.added],
            "revised_by": event.revised_by,
            "at": format_time(event.at),
        }
    elif isinstance(event, InstallmentDueSoon):
        name = INSTALLMENT_DUE_SOON
        payload = {**_installment(event.installment), "days_left": event.days_left, "at": format_time(event.at)}
    elif isinstance(event, InstallmentOverdue):
        name = INSTALLMENT_OVERDUE
        payload = {**_installment(event.installment), "at": format_time(event.at)}
    elif isinstance(event, PaymentReceived):
        payment = event.payment
        name = PAYMENT_RECEIVED
        payload = {
            "payment_id": payment.id,
            "contract_id": payment.contract_id,
            "customer_id": payment.customer_id,
            "amount": money(payment.amount),
            "currency": payment.currency,
            "received_on": payment.received_on.isoformat(),
            "method": payment.method,
            "installments": [dict(part) for part in payment.allocations],
            "approval_request_id": payment.approval_request_id,
            "recorded_by": payment.recorded_by,
            "at": format_time(event.at),
        }
    elif isinstance(event, RefundChanged):
        refund = event.refund
        name = REFUND_TRANSITIONS[event.verb]
        payload = {
            "refund_id": refund.id,
            "contract_id": refund.contract_id,
            "customer_id": refund.customer_id,
            "amount": money(refund.amount),
            "currency": refund.currency,
            "reason": refund.reason,
            "status": refund.status,
            "approval_request_id": refund.approval_request_id,
            "payment_id": refund.payment_id,
            "voided_installment_ids": list(refund.voided_installment_ids or []),
            "withdrawn_invoice_ids": list(refund.withdrawn_invoice_ids or []),
            "invoices_to_reverse": list(refund.invoices_to_reverse or []),
            "amended_amount": money(refund.amended_amount) if refund.amended_amount is not None else None,
            "amendment_id": refund.amendment_id,
            "adjusted_installment_ids": list(refund.adjusted_installment_ids or []),
            "actor_id": event.actor_id,
            "at": format_time(event.at),
        }
    elif isinstance(event, InvoiceChanged):
        name = INVOICE_TRANSITIONS[event.verb]
        payload = {**_invoice(event.invoice), "actor_id": event.actor_id, "at": format_time(event.at)}
    else:
        raise TypeError(f"no wire form for {type(event).__name__}")
    return Envelope.new(name, payload, producer=SERVICE)
