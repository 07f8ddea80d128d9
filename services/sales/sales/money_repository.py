"""Loading and saving installments, payments and invoices; remembers what it returned, for the events."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, select

from sales.db_money import installments, invoices, payments, refunds
from sales.deal_repository import _Seen
from sales.invoices import COUNTED, INVOICE, Invoice
from sales.payments import NOT_YET_DUE, Installment, Payment
from sales.refunds import PENDING_APPROVAL as REFUND_PENDING
from sales.refunds import Refund


class InstallmentRepository(_Seen):
    kind = Installment

    def add_all(self, items: list[Installment]) -> None:
        for item in items:
            self.add(item)

    def of_contract(self, contract_id: str) -> list[Installment]:
        return self._remember(self.session.scalars(
            select(Installment).where(installments.c.contract_id == contract_id)
            .order_by(installments.c.number, installments.c.id)))

    def list(self, customer_ids: Select | None, contract_id: str | None = None, status: str | None = None,
             customer_id: str | None = None) -> list[Installment]:
        return self._listed(installments, (installments.c.planned_date, installments.c.number, installments.c.id),
                            customer_ids, contract_id=contract_id, customer_id=customer_id, status=status)

    def late(self, today: date) -> list[tuple[str, str]]:
        """(installment id, contract id) of installments past their date with money still expected, not yet marked."""
        return list(self.session.execute(
            select(installments.c.id, installments.c.contract_id)
            .where(installments.c.status.in_(NOT_YET_DUE), installments.c.planned_date < today)))

    def to_remind(self, today: date) -> list[tuple[str, str]]:
        return list(self.session.execute(
            select(installments.c.id, installments.c.contract_id)
            .where(installments.c.status.in_(NOT_YET_DUE), installments.c.remind_on <= today,
                   installments.c.planned_date >= today, installments.c.reminded_at.is_(None))))


class PaymentRepository(_Seen):
    kind = Payment

    def of_contract(self, contract_id: str) -> list[Payment]:
        return self._remember(self.session.scalars(
            select(Payment).where(payments.c.contract_id == contract_id)
            .order_by(payments.c.recorded_at, payments.c.id)))

    def list(self, customer_ids: Select | None, contract_id: str | None = None,
             customer_id: str | None = None) -> list[Payment]:
        return self._listed(payments, (payments.c.recorded_at.desc(), payments.c.id), customer_ids,
                            contract_id=contract_id, customer_id=customer_id)


class InvoiceRepository(_Seen):
    kind = Invoice

    def of_contract(self, contract_id: str) -> list[Invoice]:
        return self._remember(self.session.scalars(
            select(Invoice).where(invoices.c.contract_id == contract_id)
            .order_by(invoices.c.requested_at, invoices.c.id)))

    def invoiced(self, contract_id: str) -> Decimal:
        """What counts against the contract's amount: invoices requested, approved or issued, not reversed."""
        amounts = self.session.scalars(
            select(invoices.c.amount).where(invoices.c.contract_id == contract_id, invoices.c.kind == INVOICE,
                                            invoices.c.status.in_(COUNTED)))
        return sum((Decimal(amount) for amount in amounts), Decimal("0.00"))

    def number_taken(self, invoice_number: str) -> bool:
        return self.session.execute(
            select(func.count()).select_from(invoices).where(invoices.c.invoice_number == invoice_number)
        ).scalar_one() > 0

    def list(self, customer_ids: Select | None, contract_id: str | None = None, customer_id: str | None = None,
             status: str | None = None) -> list[Invoice]:
        return self._listed(invoices, (invoices.c.requested_at.desc(), invoices.c.id), customer_ids,
                            contract_id=contract_id, customer_id=customer_id, status=status)


class RefundRepository(_Seen):
    kind = Refund

    def pending_of_contract(self, contract_id: str) -> list[Refund]:
        return self._remember(self.session.scalars(
            select(Refund).where(refunds.c.contract_id == contract_id, refunds.c.status == REFUND_PENDING)))

    def list(self, customer_ids: Select | None, contract_id: str | None = None,
             customer_id: str | None = None) -> list[Refund]:
        return self._listed(refunds, (refunds.c.requested_at.desc(), refunds.c.id), customer_ids,
                            contract_id=contract_id, customer_id=customer_id)
