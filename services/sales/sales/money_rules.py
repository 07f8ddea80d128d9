"""Refusals of the money rules (payment plans, payments, invoices): one stable code per rule.

409 when the state of the contract, its installments or invoices is in the way; 422 when the request itself
cannot be right whatever the state.
"""
from __future__ import annotations

from decimal import Decimal

from crm_shared.errors import APIError

MONEY_RULE_STATUS = {
    "contract_not_in_force": 409,
    "payment_plan_exists": 409,
    "no_payment_plan": 409,
    "installments_must_equal_contract": 422,
    "payment_exceeds_due": 409,
    "allocation_exceeds_installment_due": 409,
    "installment_not_payable": 409,
    "allocation_must_equal_payment": 422,
    "currency_mismatch": 422,
    "invoice_exceeds_contract": 409,
    "invoice_not_approved": 409,
    "invoice_not_issued": 409,
    "invoice_number_taken": 409,
    "tax_id_required": 422,
    "refund_pending": 409,
    "payment_pending_approval": 409,
    "refund_exceeds_received": 409,
    "refund_leaves_overpayment": 409,
    "amendment_not_a_reduction": 409,
}

CENT = Decimal("0.01")
# NUMERIC(18, 2): sixteen digits before the point, two after.
MONEY_MAX = Decimal("9999999999999999.99")


class MoneyRuleViolation(APIError):
    """A money rule refused the action; the code names the rule, and nothing was changed."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(MONEY_RULE_STATUS[code], code, message, errors)


def check_amount(value: Decimal, what: str = "an amount") -> Decimal:
    """`value` itself if it is a Decimal from 0 to MONEY_MAX with at most two decimals; ValueError if not."""
    if not isinstance(value, Decimal) or not Decimal(0) <= value <= MONEY_MAX or value != value.quantize(CENT):
        raise ValueError(f"{what} is a Decimal from 0 to {MONEY_MAX} with at most two decimals, not {value!r}")
    return value


def money(amount: Decimal) -> str:
    """An amount as the API and the events show it: a decimal string with two places."""
    return str(Decimal(amount).quantize(CENT))
