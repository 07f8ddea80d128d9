"""Use cases of invoices: request (with approval), issue with a number, reverse with a red-letter invoice.

Requesting takes the contract's row lock first, like payments: two requests at once are counted one after
the other, so together they never invoice more than the contract's amount.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.versioning import check_version, stale_write_refused
from sales import approval_service
from sales.approvals import APPROVED as REQUEST_APPROVED
from sales.approvals import INVOICE, ApprovalRequest
from sales.deal_access import visible_customer_ids
from sales.invoices import Invoice
from sales.money_rules import MoneyRuleViolation
from sales.order_service import invalid, must_act_for, seen_customer
from sales.payment_service import locked_contract
from sales.uow import SalesUnitOfWork, UowFactory


def request_invoice(uow_factory: UowFactory, fields: dict, actor: Identity) -> Invoice:
    """An invoice request for (part of) a contract's amount, under the invoice approval flow."""
    with uow_factory() as uow:
        contract = locked_contract(uow, fields["contract_id"], actor)
        must_act_for(uow, uow.customers.get(contract.customer_id), actor)
        now = utc_now()
        try:
            invoice = Invoice.request(contract, uow.invoices.invoiced(contract.id), fields, actor.user_id, now)
        except ValueError as error:
            raise invalid(error) from error
        uow.invoices.add(invoice)
        request = approval_service.submit(uow, INVOICE, invoice.id, invoice.amount, invoice.currency, actor, now)
        invoice.approval_request_id = request.id
        if request.status == REQUEST_APPROVED:
            invoice.approved(now)
        uow.commit()
        return invoice


def visible_invoice(uow: SalesUnitOfWork, invoice_id: str, viewer: Identity):
    invoice = uow.invoices.get(invoice_id)
    if invoice is None:
        raise NotFound("invoice", invoice_id)
    return invoice, seen_customer(uow, invoice.customer_id, viewer, "invoice", invoice_id)


def get_invoice(uow_factory: UowFactory, invoice_id: str, viewer: Identity) -> Invoice:
    with uow_factory() as uow:
        return visible_invoice(uow, invoice_id, viewer)[0]


def list_invoices(uow_factory: UowFactory, viewer: Identity, contract_id: str | None = None,
                  customer_id: str | None = None, status: str | None = None) -> list[Invoice]:
    with uow_factory() as uow:
        return uow.invoices.list(visible_customer_ids(uow, viewer), contract_id, customer_id, status)


def _numbered(uow_factory: UowFactory, invoice_id: str, invoice_number: str, expected_version: int, actor: Identity,
              change) -> Invoice:
    """Load, check actor and version, apply `change(uow, invoice, now)`; an invoice number is used once (409)."""
    try:
        with stale_write_refused("invoice"), uow_factory() as uow:
            invoice, customer = visible_invoice(uow, invoice_id, actor)
            must_act_for(uow, customer, actor)
            check_version("invoice", expected_version, invoice.version)
            if uow.invoices.number_taken(invoice_number.strip()):
                raise _number_taken(invoice_number)
            change(uow, invoice, utc_now())
            uow.commit()
            return invoice
    except IntegrityError as error:
        # Two invoices given the same number at once: the unique constraint keeps one.
        raise _number_taken(invoice_number) from error


def _number_taken(invoice_number: str) -> MoneyRuleViolation:
    return MoneyRuleViolation("invoice_number_taken", f"Invoice number {invoice_number.strip()} is already used.")


def issue_invoice(uow_factory: UowFactory, invoice_id: str, invoice_number: str, issued_on: date,
                  expected_version: int, actor: Identity) -> Invoice:
    return _numbered(uow_factory, invoice_id, invoice_number, expected_version, actor,
                     lambda uow, invoice, now: invoice.issue(invoice_number, issued_on, actor.user_id, now))


def reverse_invoice(uow_factory: UowFactory, invoice_id: str, invoice_number: str, issued_on: date, reason: str,
                    expected_version: int, actor: Identity) -> tuple[Invoice, Invoice]:
    """Cancel an issued invoice with a red-letter one of the same amount, negative; returns (original, red)."""
    made = []

    def reverse(uow, invoice: Invoice, now: datetime) -> None:
        red = invoice.reverse(invoice_number, issued_on, reason, actor.user_id, now)
        uow.invoices.add(red)
        made.append(red)

    original = _numbered(uow_factory, invoice_id, invoice_number, expected_version, actor, reverse)
    return original, made[0]


class InvoiceApproval:
    """The invoice's side of the approval engine."""

    def granted(self, uow: SalesUnitOfWork, request: ApprovalRequest, now: datetime) -> None:
        self._invoice(uow, request).approved(now)

    def refused(self, uow: SalesUnitOfWork, request: ApprovalRequest, actor_id: str, comment: str | None,
                now: datetime) -> None:
        self._invoice(uow, request).refused(actor_id, now)

    @staticmethod
    def _invoice(uow: SalesUnitOfWork, request: ApprovalRequest) -> Invoice:
        invoice = uow.invoices.get(request.subject_id)
        if invoice is None:
            raise NotFound("invoice", request.subject_id)
        return invoice
