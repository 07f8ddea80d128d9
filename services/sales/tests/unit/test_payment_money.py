"""The money rules of payment plans, payments and invoices, on the domain alone: each test fails without its rule."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from sales.contracts import ACTIVE, APPROVED, SIGNED, Contract
from sales.invoices import INVOICE, ISSUED, RED_LETTER, REVERSED, Invoice
from sales.money_rules import MoneyRuleViolation
from sales.refunds import Refund
from sales.payments import (
    OVERDUE,
    PAID,
    PARTIALLY_PAID,
    PENDING,
    RECEIVED,
    REJECTED,
    InstallmentDueSoon,
    InstallmentInput,
    InstallmentOverdue,
    Payment,
    PaymentPlanCreated,
    allocate,
    plan_installments,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def contract(status=SIGNED, amount="1000.00") -> Contract:
    return Contract(id="c-1", order_id="o-1", customer_id="cu-1", owner_id="rep-1", title="ERP", amount=Decimal(amount),
                    currency="CNY", status=status, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31),
                    created_at=NOW, created_by="rep-1")


def plan(*amounts: str, status=SIGNED, total="1000.00", remind=0):
    """Installments of a contract for `total`, the n-th due on the 28th of month n of 2027."""
    inputs = [InstallmentInput(n, Decimal(a), date(2027, n, 28), "bank_transfer", remind)
              for n, a in enumerate(amounts, start=1)]
    return plan_installments(contract(status, total), inputs, [], "rep-1", NOW)


def refused(code: str):
    class Refusal:
        def __enter__(self):
            return self

        def __exit__(self, kind, error, _tb):
            assert kind is MoneyRuleViolation, f"expected {code}, got {kind}"
            assert error.code == code, error.code
            return True

    return Refusal()


# -- payment plans -----------------------------------------------------------------------------------------


def test_a_plan_whose_installments_add_up_to_the_contract_is_made_pending_with_one_event():
    installments = plan("300.00", "700.00")
    assert [(i.number, i.planned_amount, i.status) for i in installments] == [
        (1, Decimal("300.00"), PENDING), (2, Decimal("700.00"), PENDING)]
    assert [type(e) for e in installments[0].events] == [PaymentPlanCreated]


@pytest.mark.parametrize("amounts", [("300.00", "699.99"), ("300.00", "700.01"), ("1000.00", "0.01")])
def test_installments_must_add_up_to_the_contract_amount_to_the_cent(amounts):
    with refused("installments_must_equal_contract"):
        plan(*amounts)


def test_a_plan_needs_a_signed_or_active_contract():
    assert plan("1000.00", status=ACTIVE)
    with refused("contract_not_in_force"):
        plan("1000.00", status=APPROVED)


def test_a_contract_has_one_live_plan():
    existing = plan("1000.00")
    with refused("payment_plan_exists"):
        plan_installments(contract(), [InstallmentInput(1, Decimal("1000.00"), date(2027, 1, 1), "cash")],
                          existing, "rep-1", NOW)


# -- payments --------------------------------------------------------------------------------------------


def test_oldest_first_allocation_fills_the_earliest_installment_then_the_next():
    first, second = plan("300.00", "700.00")
    allocation = allocate([second, first], Decimal("500.00"), None)
    assert [(i.number, part) for i, part in allocation] == [(1, Decimal("300.00")), (2, Decimal("200.00"))]


def test_a_payment_can_never_exceed_what_is_still_due():
    installments = plan("300.00", "700.00")
    installments[0].receive(Decimal("300.00"))
    with refused("payment_exceeds_due"):
        allocate(installments, Decimal("700.01"), None)
    assert allocate(installments, Decimal("700.00"), None)[0][1] == Decimal("700.00")


def test_an_explicit_allocation_may_not_exceed_its_installment():
    first, second = plan("300.00", "700.00")
    [(installment, part)] = allocate([first, second], Decimal("400.00"), [(first.id, Decimal("400.00"))])
    with refused("allocation_exceeds_installment_due"):
        installment.reserve(part)
    assert first.reserved_amount == Decimal("0.00")


def test_an_explicit_allocation_adds_up_to_the_payment():
    first, second = plan("300.00", "700.00")
    with refused("allocation_must_equal_payment"):
        allocate([first, second], Decimal("400.00"), [(first.id, Decimal("300.00"))])


def test_partial_then_full_payment_moves_an_installment_to_partially_paid_then_paid():
    [installment] = plan("1000.00")
    installment.receive(Decimal("400.00"))
    assert (installment.status, installment.due) == (PARTIALLY_PAID, Decimal("600.00"))
    installment.receive(Decimal("600.00"))
    assert (installment.status, installment.due) == (PAID, Decimal("0.00"))
    with refused("installment_not_payable"):
        installment.receive(Decimal("0.01"))


def test_a_payment_waiting_for_approval_holds_its_amount_and_counts_only_once_approved():
    installments = plan("300.00", "700.00")
    by_id = {i.id: i for i in installments}
    waiting = Payment.record(contract(), allocate(installments, Decimal("800.00"), None), Decimal("800.00"),
                             date(2026, 11, 27), "bank_transfer", None, "rep-1", NOW)
    assert sum(i.paid_amount for i in installments) == Decimal("0.00")
    # What it holds is no longer due: a second payment cannot take it too.
    with refused("payment_exceeds_due"):
        allocate(installments, Decimal("200.01"), None)
    waiting.approved(by_id, NOW)
    assert waiting.status == RECEIVED and waiting.events
    assert [(i.status, i.paid_amount, i.reserved_amount) for i in installments] == [
        (PAID, Decimal("300.00"), Decimal("0.00")), (PARTIALLY_PAID, Decimal("500.00"), Decimal("0.00"))]


def test_a_refused_payment_releases_what_it_held():
    installments = plan("1000.00")
    waiting = Payment.record(contract(), allocate(installments, Decimal("800.00"), None), Decimal("800.00"),
                             date(2026, 11, 27), "cash", None, "rep-1", NOW)
    waiting.refused({i.id: i for i in installments}, NOW)
    assert waiting.status == REJECTED
    assert installments[0].due == Decimal("1000.00")


def test_an_installment_past_its_date_is_marked_overdue_once_and_a_paid_one_never():
    first, second = plan("300.00", "700.00")
    first.receive(Decimal("300.00"))
    day_after = date(2027, 2, 1)
    assert not first.mark_overdue_if_late(day_after, NOW)
    assert not second.mark_overdue_if_late(date(2027, 2, 28), NOW)  # its own day is still in time
    assert second.mark_overdue_if_late(date(2027, 3, 1), NOW)
    assert not second.mark_overdue_if_late(date(2027, 3, 2), NOW)
    assert second.status == OVERDUE and [type(e) for e in second.events] == [InstallmentOverdue]
    # Still payable once overdue, and still overdue until paid in full.
    second.receive(Decimal("100.00"))
    assert second.status == OVERDUE


def test_the_reminder_comes_its_days_before_the_date_once():
    [installment] = plan("1000.00", remind=3)
    assert not installment.remind_if_due(date(2027, 1, 24), NOW)
    assert installment.remind_if_due(date(2027, 1, 25), NOW)
    assert not installment.remind_if_due(date(2027, 1, 26), NOW)
    [event] = [e for e in installment.events if not isinstance(e, PaymentPlanCreated)]
    assert isinstance(event, InstallmentDueSoon) and event.days_left == 3


# -- invoices --------------------------------------------------------------------------------------------

FIELDS = {"title_type": "company", "title": "ACME Ltd", "tax_id": "91310000MA1", "amount": Decimal("600.00"),
          "tax_rate": Decimal("13")}


def test_never_more_invoiced_than_the_contract_amount():
    assert Invoice.request(contract(), Decimal("400.00"), FIELDS, "rep-1", NOW).amount == Decimal("600.00")
    with refused("invoice_exceeds_contract"):
        Invoice.request(contract(), Decimal("400.01"), FIELDS, "rep-1", NOW)


def test_a_company_title_needs_a_tax_id_an_individual_does_not():
    with refused("tax_id_required"):
        Invoice.request(contract(), Decimal("0"), {**FIELDS, "tax_id": " "}, "rep-1", NOW)
    assert Invoice.request(contract(), Decimal("0"), {**FIELDS, "title_type": "individual", "tax_id": None},
                           "rep-1", NOW).tax_id is None


def test_only_an_approved_invoice_is_issued_and_only_an_issued_one_reversed():
    invoice = Invoice.request(contract(), Decimal("0"), FIELDS, "rep-1", NOW)
    with refused("invoice_not_approved"):
        invoice.issue("INV-1", date(2026, 11, 27), "rep-1", NOW)
    with refused("invoice_not_issued"):
        invoice.reverse("INV-R1", date(2026, 11, 27), "refund", "rep-1", NOW)
    invoice.approved(NOW)
    invoice.issue("INV-1", date(2026, 11, 27), "rep-1", NOW)
    red = invoice.reverse("INV-R1", date(2026, 11, 28), "refund", "rep-1", NOW)
    assert (invoice.status, invoice.reversed_by_invoice_id) == (REVERSED, red.id)
    assert (red.kind, red.status, red.amount, red.reverses_invoice_id) == (RED_LETTER, ISSUED, Decimal("-600.00"),
                                                                           invoice.id)
    assert invoice.kind == INVOICE
    assert invoice.tax_amount == Decimal("69.03")


# -- refunds ---------------------------------------------------------------------------------------------


def received(amount: str) -> Payment:
    return Payment(id=f"p-{amount}", contract_id="c-1", customer_id="cu-1", amount=Decimal(amount), currency="CNY",
                   received_on=date(2026, 11, 27), method="cash", status=RECEIVED, allocations=[],
                   recorded_by="rep-1", recorded_at=NOW)


def test_a_refund_never_exceeds_what_was_received_net_of_refunds():
    payments = [received("600.00"), received("-100.00")]
    assert Refund.request(contract(), payments, [], Decimal("500.00"), "cancelled", date(2026, 11, 27), "rep-1",
                          NOW).amount == Decimal("500.00")
    with refused("refund_exceeds_received"):
        Refund.request(contract(), payments, [], Decimal("500.01"), "cancelled", date(2026, 11, 27), "rep-1", NOW)


def test_one_refund_waits_at_a_time_and_none_while_a_payment_waits():
    waiting = Refund.request(contract(), [], [], Decimal("0.00"), "cancelled", date(2026, 11, 27), "rep-1", NOW)
    with refused("refund_pending"):
        Refund.request(contract(), [], [waiting], Decimal("0.00"), "again", date(2026, 11, 27), "rep-1", NOW)
    pending_payment = received("10.00")
    pending_payment.status = "pending_approval"
    with refused("payment_pending_approval"):
        Refund.request(contract(), [pending_payment], [], Decimal("0.00"), "x", date(2026, 11, 27), "rep-1", NOW)


def test_applying_a_refund_voids_the_contract_and_unpaid_installments_and_records_negative_money():
    from sales.orders import Order

    deal = contract()
    order = Order(id="o-1", opportunity_id="op-1", customer_id="cu-1", owner_id="rep-1", currency="CNY",
                  status="placed", tax_rate=Decimal("0"), discount_percent=None, discount_amount=None,
                  subtotal=Decimal("1000.00"), discount=Decimal("0.00"), tax=Decimal("0.00"), total=Decimal("1000.00"),
                  live_contracts=1, created_at=NOW, created_by="rep-1")
    first, second = plan("300.00", "700.00")
    first.receive(Decimal("300.00"))
    second.receive(Decimal("100.00"))
    issued = Invoice.request(deal, Decimal("0"), {**FIELDS, "amount": Decimal("300.00")}, "rep-1", NOW)
    issued.approved(NOW)
    issued.issue("INV-9", date(2026, 11, 27), "rep-1", NOW)
    waiting = Invoice.request(deal, Decimal("300"), {**FIELDS, "amount": Decimal("100.00")}, "rep-1", NOW)
    refund = Refund.request(deal, [received("400.00")], [], Decimal("250.00"), "cancelled", date(2026, 11, 28),
                            "rep-1", NOW)
    applied = refund.apply(deal, order, [first, second], [received("400.00")], [issued, waiting], "boss", NOW)
    payment, withdrawn = applied.payment, applied.withdrawn
    assert applied.amendment is None
    assert (deal.status, order.status, refund.status) == ("voided", "cancelled", "completed")
    assert (first.status, second.status) == (PAID, "void")
    assert (payment.amount, payment.refund_id, refund.payment_id) == (Decimal("-250.00"), refund.id, payment.id)
    assert (issued.reversal_due, issued.refund_id, refund.invoices_to_reverse) == (True, refund.id, [issued.id])
    assert withdrawn == [waiting] and waiting.status == "withdrawn"
