"""The approval engine: steps by amount, one step at a time, who may decide, comments, the trail."""
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from crm_shared.auth import Identity
from sales.approvals import (
    APPROVED,
    CONTRACT,
    DEFAULT_FLOWS,
    PENDING,
    REJECTED,
    SENT_BACK,
    WITHDRAWN,
    ApprovalRequest,
    FlowStep,
    steps_for,
)
from sales.deal_rules import DealRuleViolation

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
FLOW = DEFAULT_FLOWS[CONTRACT]
MANAGER = Identity("boss", "boss", frozenset({"sales_manager"}))
ADMIN = Identity("root", "root", frozenset({"admin"}))


def submit(amount: str, flow=FLOW, submitter="rep-1") -> ApprovalRequest:
    return ApprovalRequest.submit(CONTRACT, "contract-1", D(amount), "CNY", flow, submitter, NOW)


def test_the_amount_decides_which_steps_apply():
    assert [s.role for s in steps_for(FLOW, D("99999.99"))] == ["sales_manager"]
    assert [s.role for s in steps_for(FLOW, D("100000.00"))] == ["sales_manager", "admin"]


def test_a_large_contract_needs_the_manager_then_the_admin_in_that_order():
    request = submit("150000.00")
    assert (request.status, request.current_position) == (PENDING, 1)
    with pytest.raises(DealRuleViolation) as not_yet:
        request.decide(ADMIN, APPROVED, None, NOW)
    assert (not_yet.value.status, not_yet.value.code) == (403, "not_step_approver")
    request.decide(MANAGER, APPROVED, "fine", NOW)
    assert (request.status, request.current_position) == (PENDING, 2)
    request.decide(ADMIN, APPROVED, None, NOW)
    assert (request.status, request.current_position, request.pending_subject) == (APPROVED, 0, None)
    assert [(e.step_position, e.actor_id, e.decision, e.comment) for e in request.trail] == [
        (0, "rep-1", "submitted", None), (1, "boss", APPROVED, "fine"), (2, "root", APPROVED, None)]


def test_nobody_approves_their_own_request_whatever_their_roles():
    request = submit("10.00", submitter="boss")
    with pytest.raises(DealRuleViolation) as refused:
        request.decide(MANAGER, APPROVED, None, NOW)
    assert (refused.value.status, refused.value.code) == (403, "own_approval_request")
    assert request.status == PENDING and len(request.trail) == 1


@pytest.mark.parametrize("decision", [REJECTED, SENT_BACK])
def test_rejecting_or_sending_back_needs_a_comment_and_closes_the_request(decision):
    request = submit("150000.00")
    with pytest.raises(DealRuleViolation) as refused:
        request.decide(MANAGER, decision, "  ", NOW)
    assert refused.value.code == "comment_required" and request.status == PENDING
    request.decide(MANAGER, decision, "price too low", NOW)
    assert (request.status, request.steps[0].status, request.steps[1].status) == (decision, decision, "waiting")
    with pytest.raises(DealRuleViolation) as closed:
        request.decide(ADMIN, APPROVED, None, NOW)
    assert closed.value.code == "approval_closed"


def test_a_decision_names_the_step_it_was_made_on_and_a_retry_is_recognised():
    request = submit("150000.00")
    request.decide(MANAGER, APPROVED, None, NOW, step_position=1)
    assert request.repeats(MANAGER, APPROVED, 1)
    assert not request.repeats(MANAGER, REJECTED, 1) and not request.repeats(ADMIN, APPROVED, 1)
    with pytest.raises(DealRuleViolation) as moved_on:
        request.decide(MANAGER, APPROVED, None, NOW, step_position=1)
    assert moved_on.value.code == "approval_step_decided"


def test_no_step_applies_then_it_is_approved_at_once():
    request = submit("5.00", flow=(FlowStep("admin", D("100.00")),))
    assert (request.status, request.steps) == (APPROVED, [])


def test_a_withdrawn_request_is_closed_without_a_decision():
    request = submit("10.00")
    request.withdraw("rep-1", NOW)
    assert (request.status, request.pending_subject, len(request.trail)) == (WITHDRAWN, None, 1)
