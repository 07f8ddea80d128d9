"""A contract's money figures, computed in this one place: what the contract, reporting and the tests all read.

    amount       the contract's amount now (after any amendment)
    received     money received (payments counted, before refunds)
    refunded     money given back by refunds
    paid         received less refunded: what the customer has paid, net
    invoiced     issued invoices less their red-letter reversals
    outstanding  still expected: the amount less what was paid, nothing once the contract is voided
    net          what the deal is worth now: paid plus outstanding (the amount, or what was kept if cancelled)
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sales.contracts import VOIDED, Contract
from sales.invoices import ISSUED, REVERSED, Invoice
from sales.payments import RECEIVED, Payment

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ContractFigures:
    amount: Decimal
    currency: str
    received: Decimal
    refunded: Decimal
    paid: Decimal
    invoiced: Decimal
    outstanding: Decimal
    net: Decimal


def contract_figures(contract: Contract, payments: list[Payment], invoices: list[Invoice]) -> ContractFigures:
    """The figures of `contract` from its payments (refunds are negative payments) and invoices."""
    counted = [p.amount for p in payments if p.status == RECEIVED]
    received = sum((amount for amount in counted if amount > ZERO), ZERO)
    refunded = -sum((amount for amount in counted if amount < ZERO), ZERO)
    paid = received - refunded
    # A reversed invoice and its red-letter twin (issued, negative) cancel out.
    invoiced = sum((i.amount for i in invoices if i.status in (ISSUED, REVERSED)), ZERO)
    outstanding = ZERO if contract.status == VOIDED else max(contract.amount - paid, ZERO)
    return ContractFigures(amount=contract.amount, currency=contract.currency, received=received, refunded=refunded,
                           paid=paid, invoiced=invoiced, outstanding=outstanding, net=paid + outstanding)
