"""Refusals of the order-to-contract rules (orders, approvals, contracts): one stable code per rule."""
from __future__ import annotations

from crm_shared.errors import APIError

# 409 when the state of the order, contract or approval is in the way; 403 when the rule is about the
# person; 422 when the request itself cannot be right whatever the state.
RULE_STATUS = {
    "opportunity_not_won": 409,
    "order_cancelled": 409,
    "order_has_contract": 409,
    "order_changed": 409,
    "discount_exceeds_amount": 422,
    "not_customer_owner": 403,
    "contract_not_draft": 409,
    "contract_not_pending_approval": 409,
    "contract_not_approved": 409,
    "contract_not_signed": 409,
    "contract_not_voidable": 409,
    "contract_has_payments": 409,
    "approval_closed": 409,
    "approval_step_decided": 409,
    "approval_pending": 409,
    "own_approval_request": 403,
    "not_step_approver": 403,
    "comment_required": 422,
    "unknown_approval_subject": 422,
    "contract_file_too_large": 413,
    "unsupported_contract_file_type": 415,
    "empty_file": 422,
}


class DealRuleViolation(APIError):
    """A rule of orders, approvals or contracts refused the action; the code names the rule."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(RULE_STATUS[code], code, message, errors)
