"""Contract states: every transition from where it is allowed, and a 409 naming the rule from anywhere else."""
from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest

from sales.contracts import (
    ACTIVE,
    APPROVED,
    DRAFT,
    EXPIRED,
    PENDING_APPROVAL,
    SIGNED,
    VOIDED,
    Contract,
    SignedFile,
)
from sales.deal_rules import DealRuleViolation
from sales.opportunities import WON, Opportunity
from sales.orders import Discount, LineInput, Order

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
FILE = SignedFile("file-1", "signed.pdf", "application/pdf", 1234)


def order() -> Order:
    won = Opportunity(id="opp-1", customer_id="cust-1", name="ERP", stage="negotiation", amount=D("1.00"),
                      currency="CNY", owner_id="rep-1", status=WON, created_at=NOW, created_by="rep-1")
    return Order.place(won, lines=[LineInput("A", "", D("2"), D("500.00"))], discount=Discount(), tax_rate=D("13"),
                       placed_by="rep-1", now=NOW)


def contract_in(status: str) -> tuple[Contract, Order]:
    placed = order()
    contract = Contract.draft(placed, title="ERP licence", start_date=date(2027, 1, 1), end_date=date(2027, 12, 31),
                              drafted_by="rep-1", now=NOW)
    steps = {
        PENDING_APPROVAL: lambda: contract.submitted("req-1", "rep-1", NOW),
        APPROVED: lambda: contract.approval_granted(NOW),
        SIGNED: lambda: contract.sign(date(2026, 12, 1), ["Ms Li"], FILE, "rep-1", NOW),
        ACTIVE: lambda: contract.activate_if_started(date(2027, 1, 1), NOW),
        EXPIRED: lambda: contract.expire_if_ended(date(2028, 1, 1), NOW),
    }
    for step in (PENDING_APPROVAL, APPROVED, SIGNED, ACTIVE, EXPIRED):
        if contract.status == status:
            break
        steps[step]()
    assert contract.status == status
    return contract, placed


def test_a_draft_is_for_the_orders_total():
    contract, placed = contract_in(DRAFT)
    assert contract.amount == placed.total == D("1130.00") and placed.live_contracts == 1


@pytest.mark.parametrize("status", [DRAFT, PENDING_APPROVAL, SIGNED, ACTIVE, EXPIRED])
def test_only_an_approved_contract_is_signed(status):
    contract, _ = contract_in(status)
    with pytest.raises(DealRuleViolation) as refused:
        contract.sign(date(2026, 12, 1), ["Ms Li"], FILE, "rep-1", NOW)
    assert (refused.value.status, refused.value.code, contract.status) == (409, "contract_not_approved", status)
    assert contract.file_id is None or status in (SIGNED, ACTIVE, EXPIRED)


@pytest.mark.parametrize("status", [PENDING_APPROVAL, APPROVED, SIGNED])
def test_only_a_draft_is_edited_or_submitted(status):
    contract, _ = contract_in(status)
    with pytest.raises(DealRuleViolation) as refused:
        contract.edit({"title": "other"})
    assert refused.value.code == "contract_not_draft" and contract.title == "ERP licence"
    with pytest.raises(DealRuleViolation):
        contract.submitted("req-2", "rep-1", NOW)


@pytest.mark.parametrize("status", [DRAFT, PENDING_APPROVAL, APPROVED, SIGNED, ACTIVE])
def test_voiding_from_any_state_before_the_end_frees_the_order(status):
    contract, placed = contract_in(status)
    assert contract.void(placed, "customer withdrew", "rep-1", NOW) == status
    assert (contract.status, placed.live_contracts) == (VOIDED, 0)


@pytest.mark.parametrize("status", [EXPIRED])
def test_an_expired_or_voided_contract_cannot_be_voided(status):
    contract, placed = contract_in(status)
    with pytest.raises(DealRuleViolation) as refused:
        contract.void(placed, "late", "rep-1", NOW)
    assert refused.value.code == "contract_not_voidable" and contract.status == EXPIRED
    contract, placed = contract_in(DRAFT)
    contract.void(placed, "no", "rep-1", NOW)
    with pytest.raises(DealRuleViolation):
        contract.void(placed, "again", "rep-1", NOW)


def test_rejection_and_send_back_return_it_to_draft_with_the_outcome():
    contract, _ = contract_in(PENDING_APPROVAL)
    contract.approval_refused("sent_back", "boss", "fix the dates", NOW)
    assert (contract.status, contract.last_approval_outcome) == (DRAFT, "sent_back")
    contract.edit({"end_date": date(2027, 6, 30)})
    assert contract.end_date == date(2027, 6, 30)


def test_activation_expiry_and_the_renewal_reminder_go_by_date_and_the_reminder_comes_once():
    contract, _ = contract_in(SIGNED)
    assert not contract.activate_if_started(date(2026, 12, 31), NOW)
    assert contract.activate_if_started(date(2027, 1, 1), NOW) and contract.status == ACTIVE
    assert not contract.remind_renewal_if_due(date(2027, 11, 30), 30, NOW)  # 31 days before the end
    assert contract.remind_renewal_if_due(date(2027, 12, 1), 30, NOW)
    assert contract.events[-1].days_left == 30
    assert not contract.remind_renewal_if_due(date(2027, 12, 2), 30, NOW)
    assert not contract.expire_if_ended(date(2027, 12, 31), NOW)  # its last day is still in force
    assert contract.expire_if_ended(date(2028, 1, 1), NOW) and contract.status == EXPIRED
