"""Invoice requests (开票申请): requested, approved, issued with a number; reversed by a red-letter invoice.

Never more invoiced than the contract's amount: what counts is every invoice requested, approved or issued
and not reversed (a reversed invoice and its red-letter twin cancel out).

    pending_approval -> approved -> issued -> reversed
    pending_approval -> rejected (rejected or sent back: request again)
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sales.contracts import ACTIVE, EXPIRED, SIGNED, Contract
from sales.money_rules import MoneyRuleViolation, money

PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
ISSUED = "issued"
REJECTED = "rejected"
REVERSED = "reversed"
# Not issued when the deal was cancelled (退单): it will never be.
WITHDRAWN = "withdrawn"
STATUSES = (PENDING_APPROVAL, APPROVED, ISSUED, REJECTED, REVERSED, WITHDRAWN)
# These count against the contract's amount.
COUNTED = (PENDING_APPROVAL, APPROVED, ISSUED)

INVOICE = "invoice"
# A negative invoice that cancels an issued one (红字发票).
RED_LETTER = "red_letter"

COMPANY = "company"
INDIVIDUAL = "individual"
TITLE_TYPES = (COMPANY, INDIVIDUAL)

INVOICEABLE = (SIGNED, ACTIVE, EXPIRED)
ZERO = Decimal("0.00")


@dataclass
class InvoiceChanged:
    """`verb`: requested, approved, rejected, issued, reversed."""

    invoice: "Invoice"
    verb: str
    at: datetime
    actor_id: str | None = None


@dataclass
class Invoice:
    id: str
    contract_id: str
    customer_id: str
    kind: str
    title_type: str
    title: str
    amount: Decimal
    tax_rate: Decimal
    currency: str
    status: str
    requested_by: str
    requested_at: datetime
    tax_id: str | None = None
    bank: str | None = None
    bank_account: str | None = None
    address: str | None = None
    invoice_number: str | None = None
    issued_on: date | None = None
    issued_by: str | None = None
    # A red-letter invoice names the invoice it reverses; the reversed one names its red-letter twin.
    reverses_invoice_id: str | None = None
    reversed_by_invoice_id: str | None = None
    reason: str | None = None
    # The refund that cancelled the deal: it withdrew this request, or wants this issued invoice reversed.
    refund_id: str | None = None
    reversal_due: bool = False
    approval_request_id: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @property
    def tax_amount(self) -> Decimal:
        """The tax inside the amount (amounts include tax), to the cent."""
        return (self.amount * self.tax_rate / (Decimal(100) + self.tax_rate)).quantize(Decimal("0.01"))

    @classmethod
    def request(cls, contract: Contract, already_invoiced: Decimal, fields: dict, requested_by: str,
                now: datetime) -> "Invoice":
        if contract.status not in INVOICEABLE:
            raise MoneyRuleViolation("contract_not_in_force", "Invoices are requested for a signed, active or expired "
                                                              f"contract; this one is {contract.status}.")
        title_type = fields["title_type"]
        tax_id = (fields.get("tax_id") or "").strip() or None
        if title_type == COMPANY and tax_id is None:
            raise MoneyRuleViolation("tax_id_required", "A company's invoice needs its tax id.",
                                     {"tax_id": ["Required for a company title."]})
        amount = fields["amount"]
        if amount <= ZERO:
            raise ValueError("an invoice's amount is positive")
        if already_invoiced + amount > contract.amount:
            raise MoneyRuleViolation(
                "invoice_exceeds_contract",
                f"Never more invoiced than the contract's amount: {money(already_invoiced)} of "
                f"{money(contract.amount)} {contract.currency} is already invoiced or requested, so at most "
                f"{money(contract.amount - already_invoiced)} more.")
        invoice = cls(
            id=str(uuid.uuid4()), contract_id=contract.id, customer_id=contract.customer_id, kind=INVOICE,
            title_type=title_type, title=fields["title"].strip(), amount=amount, tax_rate=fields["tax_rate"],
            currency=contract.currency, status=PENDING_APPROVAL, requested_by=requested_by, requested_at=now,
            tax_id=tax_id, bank=fields.get("bank"), bank_account=fields.get("bank_account"),
            address=fields.get("address"),
        )
        invoice.events.append(InvoiceChanged(invoice, "requested", now, requested_by))
        return invoice

    def approved(self, now: datetime) -> None:
        if self.status == PENDING_APPROVAL:
            self.status = APPROVED
            self.events.append(InvoiceChanged(self, "approved", now))

    def refused(self, actor_id: str, now: datetime) -> None:
        if self.status == PENDING_APPROVAL:
            self.status = REJECTED
            self.events.append(InvoiceChanged(self, "rejected", now, actor_id))

    def withdraw(self, refund_id: str) -> None:
        self.status = WITHDRAWN
        self.refund_id = refund_id

    def flag_for_reversal(self, refund_id: str) -> None:
        self.refund_id = refund_id
        self.reversal_due = True

    def issue(self, invoice_number: str, issued_on: date, actor_id: str, now: datetime) -> None:
        if self.status != APPROVED:
            raise MoneyRuleViolation("invoice_not_approved", "Only an approved invoice request can be issued; "
                                                             f"this one is {self.status.replace('_', ' ')}.")
        self.status = ISSUED
        self.invoice_number = invoice_number.strip()
        self.issued_on = issued_on
        self.issued_by = actor_id
        self.events.append(InvoiceChanged(self, "issued", now, actor_id))

    def reverse(self, invoice_number: str, issued_on: date, reason: str, actor_id: str,
                now: datetime) -> "Invoice":
        """The red-letter invoice cancelling this issued one: the same amount, negative, linked both ways."""
        if self.status != ISSUED or self.kind != INVOICE:
            raise MoneyRuleViolation("invoice_not_issued", "Only an issued invoice can be reversed; "
                                                           f"this one is {self.status.replace('_', ' ')}.")
        red = Invoice(
            id=str(uuid.uuid4()), contract_id=self.contract_id, customer_id=self.customer_id, kind=RED_LETTER,
            title_type=self.title_type, title=self.title, amount=-self.amount, tax_rate=self.tax_rate,
            currency=self.currency, status=ISSUED, requested_by=actor_id, requested_at=now, tax_id=self.tax_id,
            bank=self.bank, bank_account=self.bank_account, address=self.address,
            invoice_number=invoice_number.strip(), issued_on=issued_on, issued_by=actor_id,
            reverses_invoice_id=self.id, reason=reason,
        )
        self.status = REVERSED
        self.reversed_by_invoice_id = red.id
        self.reversal_due = False
        self.reason = reason
        self.events.append(InvoiceChanged(self, "reversed", now, actor_id))
        return red
