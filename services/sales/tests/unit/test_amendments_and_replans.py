"""Partial refunds that amend a contract, re-planning the unpaid part, and the contract's figures: each rule's test
fails without it."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from sales.contracts import SIGNED, VOIDED, Contract, ContractAmended
from sales.invoices import Invoice
from sales.money_figures import contract_figures
from sales.money_rules import MoneyRuleViolation
from sales.orders import Order
from sales.payments import (
    PAID,
    PARTIALLY_PAID,
    PENDING,
    RECEIVED,
    VOID,
    InstallmentInput,
    Payment,
    PaymentPlanRevised,
    plan_installments,
    revise_plan,
)
from sales.refunds import Refund

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
ON = date(2026, 11, 28)
FIELDS = {"title_type": "company", "title": "ACME Ltd", "tax_id": "91310000MA1", "amount": Decimal("600.00"),
          "tax_rate": Decimal("13")}


def contract(amount: str = "1000.00") -> Contract:
    return Contract(id="c-1", order_id="o-1", customer_id="cu-1", owner_id="rep-1", title="ERP", amount=Decimal(amount),
                    currency="CNY", status=SIGNED, start_date=date(2027, 1, 1), end_date=date(2027, 12, 31),
                    created_at=NOW, created_by="rep-1")


def plan(*amounts: str):
    """Installments of a 1,000.00 contract, the n-th due on the 28th of month n of 2027."""
    inputs = [InstallmentInput(n, Decimal(a), date(2027, n, 28), "bank_transfer", 0)
              for n, a in enumerate(amounts, start=1)]
    return plan_installments(contract(), inputs, [], "rep-1", NOW)


def received(amount: str) -> Payment:
    return Payment(id=f"p-{amount}", contract_id="c-1", customer_id="cu-1", amount=Decimal(amount), currency="CNY",
                   received_on=ON, method="cash", status=RECEIVED, allocations=[], recorded_by="rep-1",
                   recorded_at=NOW)


def refused(code: str):
    class Refusal:
        def __enter__(self):
            return self

        def __exit__(self, kind, error, _tb):
            assert kind is MoneyRuleViolation, f"expected {code}, got {kind}"
            assert error.code == code, error.code
            return True

    return Refusal()


def order() -> Order:
    return Order(id="o-1", opportunity_id="op-1", customer_id="cu-1", owner_id="rep-1", currency="CNY",
                 status="placed", tax_rate=Decimal("0"), discount_percent=None, discount_amount=None,
                 subtotal=Decimal("1000.00"), discount=Decimal("0.00"), tax=Decimal("0.00"), total=Decimal("1000.00"),
                 live_contracts=1, created_at=NOW, created_by="rep-1")


def live_sum(installments) -> Decimal:
    return sum((i.planned_amount for i in installments if i.status != VOID), Decimal("0.00"))


def paid_sum(installments) -> Decimal:
    return sum((i.paid_amount for i in installments if i.status != VOID), Decimal("0.00"))


def issued(deal, amount: str, number: str) -> Invoice:
    invoice = Invoice.request(deal, Decimal("0"), {**FIELDS, "amount": Decimal(amount)}, "rep-1", NOW)
    invoice.approved(NOW)
    invoice.issue(number, ON, "rep-1", NOW)
    return invoice


def partial_refund(deal, installments, payments, amount: str, amended: str, invoices=()):
    refund = Refund.request(deal, payments, [], Decimal(amount), "Second site dropped", ON, "rep-1", NOW,
                            amended_amount=Decimal(amended))
    return refund, refund.apply(deal, order(), installments, payments, list(invoices), "boss", NOW)


# -- amendments ------------------------------------------------------------------------------------------


def test_a_partial_refund_amends_the_contract_and_fits_the_plan_to_the_cent():
    deal = contract()
    first, second = installments = plan("300.00", "700.00")
    first.receive(Decimal("300.00"))
    second.receive(Decimal("100.00"))
    refund, applied = partial_refund(deal, installments, [received("400.00")], "150.00", "500.00")
    assert (deal.status, deal.amount) == (SIGNED, Decimal("500.00"))
    amendment = applied.amendment
    assert (amendment.amount_before, amendment.amount_after, amendment.refund_id) == (
        Decimal("1000.00"), Decimal("500.00"), refund.id)
    assert refund.amendment_id == amendment.id and refund.status == "completed"
    assert [type(e) for e in deal.events] == [ContractAmended]
    # The refund comes off the latest payments first, the reduction off the latest unpaid part.
    assert (first.planned_amount, first.paid_amount, first.status) == (Decimal("300.00"), Decimal("250.00"),
                                                                       PARTIALLY_PAID)
    assert (second.planned_amount, second.paid_amount, second.status) == (Decimal("200.00"), Decimal("0.00"), PENDING)
    assert (live_sum(installments), paid_sum(installments)) == (Decimal("500.00"), Decimal("250.00"))
    assert applied.payment.amount == Decimal("-150.00")
    assert [(a["number"], a["amount"]) for a in applied.payment.allocations] == [(2, "-100.00"), (1, "-50.00")]
    assert set(refund.adjusted_installment_ids) == {first.id, second.id} and refund.voided_installment_ids == []


def test_an_installment_the_amendment_leaves_nothing_planned_on_is_voided_keeping_what_it_planned():
    deal = contract()
    first, second, third = installments = plan("300.00", "333.33", "366.67")
    first.receive(Decimal("300.00"))
    refund, _ = partial_refund(deal, installments, [received("300.00")], "0.00", "433.33")
    assert (third.status, third.planned_amount) == (VOID, Decimal("366.67"))
    assert (second.status, second.planned_amount) == (PENDING, Decimal("133.33"))
    assert live_sum(installments) == deal.amount == Decimal("433.33")
    assert refund.voided_installment_ids == [third.id] and refund.payment_id is None


def test_an_amendment_must_leave_no_more_kept_than_the_amended_amount():
    deal = contract()
    with refused("refund_leaves_overpayment"):
        Refund.request(deal, [received("400.00")], [], Decimal("99.99"), "x", ON, "rep-1", NOW,
                       amended_amount=Decimal("300.00"))
    assert Refund.request(deal, [received("400.00")], [], Decimal("100.00"), "x", ON, "rep-1", NOW,
                          amended_amount=Decimal("300.00")).amended_amount == Decimal("300.00")


@pytest.mark.parametrize("amended", ["1000.00", "1000.01", "0.00"])
def test_an_amendment_reduces_the_amount_and_leaves_some(amended):
    with refused("amendment_not_a_reduction"):
        Refund.request(contract(), [], [], Decimal("0.00"), "x", ON, "rep-1", NOW, amended_amount=Decimal(amended))


def test_an_amendment_flags_issued_invoices_only_when_more_was_invoiced_than_it_keeps():
    deal = contract()
    installments = plan("300.00", "700.00")
    low = issued(deal, "300.00", "INV-1")
    partial_refund(deal, installments, [], "0.00", "500.00", [low])
    assert (low.reversal_due, low.refund_id) == (False, None)

    deal = contract()
    installments = plan("300.00", "700.00")
    high = issued(deal, "600.00", "INV-2")
    waiting = Invoice.request(deal, Decimal("600.00"), {**FIELDS, "amount": Decimal("100.00")}, "rep-1", NOW)
    refund, applied = partial_refund(deal, installments, [], "0.00", "500.00", [high, waiting])
    assert (high.reversal_due, refund.invoices_to_reverse) == (True, [high.id])
    assert applied.withdrawn == [waiting] and waiting.status == "withdrawn"


def test_a_full_refund_still_cancels_the_deal():
    deal = contract()
    installments = plan("300.00", "700.00")
    refund = Refund.request(deal, [], [], Decimal("0.00"), "cancelled", ON, "rep-1", NOW)
    applied = refund.apply(deal, order(), installments, [], [], "boss", NOW)
    assert (deal.status, deal.amount, applied.amendment) == (VOIDED, Decimal("1000.00"), None)
    assert [i.status for i in installments] == [VOID, VOID]


# -- re-planning the unpaid part -------------------------------------------------------------------------


def inputs(*amounts: str, first_number: int = 3) -> list[InstallmentInput]:
    return [InstallmentInput(n, Decimal(a), date(2027, n, 15), "bank_transfer", 7)
            for n, a in enumerate(amounts, start=first_number)]


def test_revising_a_plan_keeps_what_was_paid_and_plans_the_rest_to_the_cent():
    deal = contract()
    first, second = installments = plan("300.00", "700.00")
    first.receive(Decimal("300.00"))
    second.receive(Decimal("100.00"))
    added = revise_plan(deal, inputs("200.00", "200.00", "200.00"), installments, "rep-1", NOW)
    assert (first.status, first.planned_amount) == (PAID, Decimal("300.00"))
    # Partly paid: closed at what was paid, its paid part unchanged.
    assert (second.status, second.planned_amount, second.paid_amount) == (PAID, Decimal("100.00"), Decimal("100.00"))
    assert [(i.number, i.planned_amount, i.remind_days_before, i.status) for i in added] == [
        (3, Decimal("200.00"), 7, PENDING), (4, Decimal("200.00"), 7, PENDING), (5, Decimal("200.00"), 7, PENDING)]
    assert live_sum([*installments, *added]) == deal.amount
    [event] = added[0].events
    assert isinstance(event, PaymentPlanRevised) and event.closed == [second] and event.kept == [first]


def test_a_revised_plan_voids_unpaid_installments():
    deal = contract()
    installments = plan("300.00", "700.00")
    added = revise_plan(deal, inputs("1000.00"), installments, "rep-1", NOW)
    assert [i.status for i in installments] == [VOID, VOID]
    assert live_sum([*installments, *added]) == Decimal("1000.00")


@pytest.mark.parametrize("amounts", [("300.00", "299.99"), ("300.00", "300.01")])
def test_a_revised_plan_must_add_up_to_what_is_left_to_pay(amounts):
    deal = contract()
    first, second = installments = plan("300.00", "700.00")
    first.receive(Decimal("400.00") - Decimal("100.00"))
    second.receive(Decimal("100.00"))
    with refused("installments_must_equal_contract"):
        revise_plan(deal, inputs(*amounts), installments, "rep-1", NOW)
    assert (second.status, second.planned_amount) == (PARTIALLY_PAID, Decimal("700.00"))


def test_a_revised_plan_may_not_reuse_a_paid_installments_number_nor_touch_money_waiting_for_approval():
    deal = contract()
    first, second = installments = plan("300.00", "700.00")
    first.receive(Decimal("300.00"))
    with pytest.raises(ValueError):
        revise_plan(deal, inputs("700.00", first_number=1), installments, "rep-1", NOW)
    second.reserve(Decimal("50.00"))
    with refused("payment_pending_approval"):
        revise_plan(deal, inputs("700.00"), installments, "rep-1", NOW)


# -- figures ---------------------------------------------------------------------------------------------


def test_the_figures_count_refunds_and_reversals_once_each():
    deal = contract("1000.00")
    first = issued(deal, "400.00", "INV-1")
    second = issued(deal, "100.00", "INV-2")
    red = second.reverse("INV-2R", ON, "wrong title", "rep-1", NOW)
    pending = Invoice.request(deal, Decimal("500.00"), {**FIELDS, "amount": Decimal("50.00")}, "rep-1", NOW)
    figures = contract_figures(deal, [received("600.00"), received("-150.00")], [first, second, red, pending])
    assert (figures.amount, figures.received, figures.refunded, figures.paid) == (
        Decimal("1000.00"), Decimal("600.00"), Decimal("150.00"), Decimal("450.00"))
    assert (figures.invoiced, figures.outstanding, figures.net) == (Decimal("400.00"), Decimal("550.00"),
                                                                    Decimal("1000.00"))
    deal.status = VOIDED
    voided = contract_figures(deal, [received("600.00"), received("-150.00")], [])
    assert (voided.outstanding, voided.net) == (Decimal("0.00"), Decimal("450.00"))


# -- the contract's journal ------------------------------------------------------------------------------


def test_the_journal_names_the_record_an_event_is_about_and_the_record_that_caused_it():
    from crm_shared.envelope import Envelope
    from sales.contract_journal import journal_row

    def row(name: str, **payload):
        return journal_row(Envelope.new(name, payload, producer="sales", actor="boss"))

    amended = row("sales.contract.amended.v1", contract_id="c-1", refund_id="r-1", approval_request_id=None)
    assert (amended["record_kind"], amended["record_id"], amended["caused_by_kind"], amended["caused_by_id"],
            amended["actor_id"]) == ("contract", "c-1", "refund", "r-1", "boss")
    approved = row("sales.contract.approved.v1", contract_id="c-1", approval_request_id="a-1")
    assert (approved["caused_by_kind"], approved["caused_by_id"]) == ("approval_request", "a-1")
    requested = row("sales.refund.requested.v1", contract_id="c-1", refund_id="r-1", approval_request_id="a-2")
    assert (requested["record_kind"], requested["record_id"], requested["caused_by_kind"]) == ("refund", "r-1", None)
    assert row("sales.customer.created.v1", customer_id="cu-1") is None
