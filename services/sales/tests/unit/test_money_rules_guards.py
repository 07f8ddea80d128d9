"""Money rules that other rules used to hide: each test here fails when its own guard alone is taken away.

A broken guard was masked by another refusal further on (a voided contract's installments are void too, so a
payment was refused anyway, for another reason): these tests ask for the rule's own code.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from sales.contracts import ACTIVE, APPROVED, DRAFT, EXPIRED, PENDING_APPROVAL, SIGNED, VOIDED, Contract
from sales.invoices import Invoice
from sales.money_rules import MoneyRuleViolation
from sales.orders import Order
from sales.payments import RECEIVED, InstallmentInput, Payment, allocate, plan_installments
from sales.refunds import Refund

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
COMPANY_TITLE = {"title_type": "company", "title": "ACME Ltd", "tax_id": "91310000MA1", "amount": Decimal("100.00"),
                 "tax_rate": Decimal("13")}


def a_contract(status: str = SIGNED, amount: str = "1000.00") -> Contract:
    return Contract(id="c-1", order_id="o-1", customer_id="cu-1", owner_id="rep-1", title="ERP", amount=Decimal(amount),
                    currency="CNY", status=status, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31),
                    created_at=NOW, created_by="rep-1")


def an_order() -> Order:
    return Order(id="o-1", opportunity_id="op-1", customer_id="cu-1", owner_id="rep-1", currency="CNY",
                 status="placed", tax_rate=Decimal("0"), discount_percent=None, discount_amount=None,
                 subtotal=Decimal("1000.00"), discount=Decimal("0.00"), tax=Decimal("0.00"), total=Decimal("1000.00"),
                 live_contracts=1, created_at=NOW, created_by="rep-1")


def installments_of(contract: Contract, *amounts: str):
    inputs = [InstallmentInput(n, Decimal(a), date(2027, n, 28), "bank_transfer", 0)
              for n, a in enumerate(amounts, start=1)]
    return plan_installments(contract, inputs, [], "rep-1", NOW)


def received(amount: str) -> Payment:
    return Payment(id=f"p-{amount}", contract_id="c-1", customer_id="cu-1", amount=Decimal(amount), currency="CNY",
                   received_on=date(2026, 11, 27), method="bank_transfer", status=RECEIVED, allocations=[],
                   recorded_by="rep-1", recorded_at=NOW)


class _Refused:
    """`with _Refused(code):` the block raises MoneyRuleViolation with exactly that code."""

    def __init__(self, code: str):
        self.code = code

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _tb):
        assert kind is MoneyRuleViolation, f"expected {self.code}, got {kind and kind.__name__}"
        assert error.code == self.code, error.code
        return True


# -- a voided installment takes no money ----------------------------------------------------------------------


def test_money_allocated_to_a_voided_installment_is_refused_while_others_are_still_due():
    contract = a_contract()
    first, second = installments_of(contract, "400.00", "600.00")
    first.void(NOW)
    allocation = allocate([first, second], Decimal("100.00"), [(first.id, Decimal("100.00"))])
    with _Refused("installment_not_payable"):
        Payment.record(contract, allocation, Decimal("100.00"), date(2026, 12, 1), "bank_transfer", None, "rep-1", NOW)
    assert (first.paid_amount, first.reserved_amount, second.reserved_amount) == (0, 0, 0)


def test_a_voided_installment_receives_nothing_even_what_it_planned():
    [installment] = installments_of(a_contract(), "1000.00")
    installment.void(NOW)
    with _Refused("installment_not_payable"):
        installment.receive(Decimal("1.00"))
    assert installment.paid_amount == 0


# -- money moves only on a contract in force -----------------------------------------------------------------


@pytest.mark.parametrize("status", [DRAFT, PENDING_APPROVAL, APPROVED, VOIDED])
def test_no_payment_is_recorded_on_a_contract_not_signed_or_voided(status):
    contract = a_contract(status)
    with _Refused("contract_not_in_force"):
        Payment.record(contract, [], Decimal("1.00"), date(2026, 12, 1), "bank_transfer", None, "rep-1", NOW)


@pytest.mark.parametrize("status", [SIGNED, ACTIVE, EXPIRED])
def test_a_payment_is_recorded_on_a_signed_active_or_expired_contract(status):
    contract = a_contract(status)
    payment = Payment.record(contract, [], Decimal("1.00"), date(2026, 12, 1), "bank_transfer", None, "rep-1", NOW)
    assert payment.amount == Decimal("1.00")


@pytest.mark.parametrize("status", [DRAFT, PENDING_APPROVAL, APPROVED, VOIDED])
def test_no_invoice_is_requested_on_a_contract_not_signed_or_voided(status):
    with _Refused("contract_not_in_force"):
        Invoice.request(a_contract(status), Decimal("0"), COMPANY_TITLE, "rep-1", NOW)


@pytest.mark.parametrize("status", [DRAFT, APPROVED, EXPIRED, VOIDED])
def test_no_refund_is_asked_on_a_contract_not_signed_or_active(status):
    with _Refused("contract_not_in_force"):
        Refund.request(a_contract(status), [received("100.00")], [], Decimal("10.00"), "cancelled",
                       date(2026, 12, 1), "rep-1", NOW)


# -- a refund gives back at most what was received, when it is applied too ------------------------------------


def test_a_refund_approved_after_the_money_received_shrank_is_refused_and_changes_nothing():
    contract, order = a_contract(), an_order()
    [installment] = installments_of(contract, "1000.00")
    refund = Refund.request(contract, [received("600.00")], [], Decimal("500.00"), "cancelled", date(2026, 12, 1),
                            "rep-1", NOW)
    # Meanwhile 200.00 went back another way: 400.00 is all that is left to give back.
    with _Refused("refund_exceeds_received"):
        refund.apply(contract, order, [installment], [received("600.00"), received("-200.00")], [], "boss", NOW)
    assert (contract.status, order.status, installment.status, refund.status) == (
        SIGNED, "placed", "pending", "pending_approval")
