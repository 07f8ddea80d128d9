"""Refunds and order cancellation (退单): a request with a reason, approved through the engine, then applied.

Applying an approved refund cancels the deal: the contract is voided and its order cancelled, installments
still expecting money are voided, the money returned is recorded as a negative payment, invoice requests not
yet issued are withdrawn and issued invoices are flagged for reversal (a red-letter invoice). Each of those
names the refund, so the trail runs both ways.

A partial refund (部分退单) names the contract's `amended_amount` instead: the contract stays in force with
that smaller amount (an amendment, before and after, naming the refund), the money given back comes off
the latest installments' payments, the reduction off their unpaid parts, so the live installments add up
to the amended amount; invoices are withdrawn or flagged only if more was invoiced than it.

    pending_approval -> completed (approved and applied in one transaction)
    pending_approval -> rejected (rejected or sent back: request again)
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sales.contracts import ACTIVE, SIGNED, Contract, ContractAmendment
from sales.invoices import APPROVED as INVOICE_APPROVED
from sales.invoices import COUNTED, INVOICE, ISSUED
from sales.invoices import PENDING_APPROVAL as INVOICE_PENDING
from sales.invoices import Invoice
from sales.money_rules import MoneyRuleViolation, money
from sales.orders import Order
from sales.payments import OPEN, PAYMENT_PENDING_APPROVAL, RECEIVED, Installment, Payment, amend_plan

PENDING_APPROVAL = "pending_approval"
COMPLETED = "completed"
REJECTED = "rejected"
STATUSES = (PENDING_APPROVAL, COMPLETED, REJECTED)
# A deal is cancelled while its contract is in force.
REFUNDABLE = (SIGNED, ACTIVE)
REASON_MAX = 1000
ZERO = Decimal("0.00")


@dataclass
class RefundChanged:
    """`verb`: requested, approved, rejected, completed."""

    refund: "Refund"
    verb: str
    at: datetime
    actor_id: str | None = None


def net_received(payments: list[Payment]) -> Decimal:
    """Received less refunded: what may still be given back."""
    return sum((p.amount for p in payments if p.status == RECEIVED), ZERO)


@dataclass
class RefundApplied:
    """What applying a refund made: its negative payment, the invoice requests withdrawn, the amendment."""

    payment: Payment | None
    withdrawn: list[Invoice]
    amendment: ContractAmendment | None = None


def _check_amounts(contract: Contract, received: Decimal, amount: Decimal, amended_amount: Decimal | None) -> None:
    if amount > received:
        raise MoneyRuleViolation("refund_exceeds_received",
                                 f"A refund can never exceed what was received: {money(received)} "
                                 f"{contract.currency}, {money(amount)} was asked.")
    if amended_amount is None:
        return
    if not ZERO < amended_amount < contract.amount:
        raise MoneyRuleViolation("amendment_not_a_reduction", "An amendment reduces the contract's amount: more "
                                 f"than 0.00 and less than {money(contract.amount)} {contract.currency}, not "
                                 f"{money(amended_amount)}.")
    if received - amount > amended_amount:
        raise MoneyRuleViolation(
            "refund_leaves_overpayment",
            f"{money(received)} {contract.currency} was received; with the contract amended to "
            f"{money(amended_amount)}, at least {money(received - amended_amount)} must go back, not {money(amount)}.")


@dataclass
class Refund:
    id: str
    contract_id: str
    customer_id: str
    amount: Decimal
    currency: str
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    refunded_on: date
    approval_request_id: str | None = None
    decided_at: datetime | None = None
    # What applying it changed.
    payment_id: str | None = None
    voided_installment_ids: list | None = None
    withdrawn_invoice_ids: list | None = None
    invoices_to_reverse: list | None = None
    # A partial refund: the contract's amount after it, and the amendment that made it so.
    amended_amount: Decimal | None = None
    amendment_id: str | None = None
    # Installments whose planned or paid amounts the amendment changed (voided ones are listed above).
    adjusted_installment_ids: list | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def request(cls, contract: Contract, payments: list[Payment], open_refunds: list["Refund"], amount: Decimal,
                reason: str, refunded_on: date, requested_by: str, now: datetime,
                amended_amount: Decimal | None = None) -> "Refund":
        """A request to cancel the deal, or with `amended_amount` to reduce it, giving back `amount` (at most what
        was received, net of refunds; with an amendment, at least what the reduced amount leaves overpaid)."""
        if contract.status not in REFUNDABLE:
            raise MoneyRuleViolation("contract_not_in_force", "A deal is cancelled while its contract is signed or "
                                                              f"active; this one is {contract.status}.")
        if open_refunds:
            raise MoneyRuleViolation("refund_pending", "A refund of this contract is already waiting for approval.")
        if any(p.status == PAYMENT_PENDING_APPROVAL for p in payments):
            raise MoneyRuleViolation("payment_pending_approval", "A payment of this contract is waiting for approval; "
                                                                 "decide it before the refund.")
        if not reason.strip() or len(reason) > REASON_MAX:
            raise ValueError(f"a reason has 1 to {REASON_MAX} characters and is not blank")
        if amount < ZERO:
            raise ValueError("a refund's amount is zero or more")
        _check_amounts(contract, net_received(payments), amount, amended_amount)
        refund = cls(
            id=str(uuid.uuid4()), contract_id=contract.id, customer_id=contract.customer_id, amount=amount,
            currency=contract.currency, reason=reason.strip(), status=PENDING_APPROVAL, requested_by=requested_by,
            requested_at=now, refunded_on=refunded_on, amended_amount=amended_amount,
        )
        refund.events.append(RefundChanged(refund, "requested", now, requested_by))
        return refund

    def apply(self, contract: Contract, order: Order, installments: list[Installment], payments: list[Payment],
              invoices: list[Invoice], actor_id: str, now: datetime) -> RefundApplied:
        """Approved: cancel the deal (or amend it) and record the money given back."""
        if self.status != PENDING_APPROVAL:
            return RefundApplied(None, [])
        # Checked again: the contract may have changed while the request waited.
        _check_amounts(contract, net_received(payments), self.amount, self.amended_amount)
        self.status = COMPLETED
        self.decided_at = now
        self.events.append(RefundChanged(self, "approved", now, actor_id))
        if self.amended_amount is None:
            amendment, taken_back = None, []
            self._cancel(contract, order, installments, actor_id, now)
            withdrawn = self._settle_invoices(invoices, ZERO)
        else:
            amendment = contract.amend(self.amended_amount, self.reason, actor_id, now, refund_id=self.id)
            self.amendment_id = amendment.id
            voided, adjusted, taken_back = amend_plan(installments, self.amount, self.amended_amount, now)
            self.voided_installment_ids = [i.id for i in voided]
            self.adjusted_installment_ids = [i.id for i in adjusted]
            withdrawn = self._settle_invoices(invoices, self.amended_amount)
        payment = None
        if self.amount > ZERO:
            payment = Payment(
                id=str(uuid.uuid4()), contract_id=self.contract_id, customer_id=self.customer_id, amount=-self.amount,
                currency=self.currency, received_on=self.refunded_on, method="refund", status=RECEIVED,
                allocations=[{"installment_id": i.id, "number": i.number, "amount": money(-part)}
                             for i, part in taken_back],
                recorded_by=actor_id, recorded_at=now, reference=f"refund {self.id}",
                approval_request_id=self.approval_request_id, decided_at=now, refund_id=self.id,
            )
            self.payment_id = payment.id
        self.events.append(RefundChanged(self, "completed", now, actor_id))
        return RefundApplied(payment, withdrawn, amendment)

    def _cancel(self, contract: Contract, order: Order, installments: list[Installment], actor_id: str,
                now: datetime) -> None:
        contract.void(order, f"Refund {self.id}: {self.reason}", actor_id, now, refund_id=self.id)
        order.cancel(actor_id, f"Refund {self.id}: {self.reason}", now)
        self.voided_installment_ids = []
        for installment in installments:
            if installment.status in OPEN:
                installment.void(now)
                self.voided_installment_ids.append(installment.id)

    def _settle_invoices(self, invoices: list[Invoice], keeps: Decimal) -> list[Invoice]:
        """If more is invoiced than the deal now keeps: withdraw requests not issued, then flag issued invoices
        for reversal (re-invoiced afterwards for what is right). Returns the requests withdrawn."""
        own = [i for i in invoices if i.kind == INVOICE]
        withdrawn, self.withdrawn_invoice_ids, self.invoices_to_reverse = [], [], []
        if sum((i.amount for i in own if i.status in COUNTED), ZERO) <= keeps:
            return withdrawn
        withdrawn = [i for i in own if i.status in (INVOICE_PENDING, INVOICE_APPROVED)]
        for invoice in withdrawn:
            invoice.withdraw(self.id)
        self.withdrawn_invoice_ids = [i.id for i in withdrawn]
        issued = [i for i in own if i.status == ISSUED]
        if sum((i.amount for i in issued), ZERO) > keeps:
            for invoice in issued:
                invoice.flag_for_reversal(self.id)
                self.invoices_to_reverse.append(invoice.id)
        return withdrawn

    def refused(self, actor_id: str, now: datetime) -> None:
        if self.status == PENDING_APPROVAL:
            self.status = REJECTED
            self.decided_at = now
            self.events.append(RefundChanged(self, "rejected", now, actor_id))
