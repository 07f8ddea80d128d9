"""The order aggregate and its money: lines, discounts, tax and totals, in Decimal rounded half up to cents."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sales.deal_rules import DealRuleViolation
from sales.opportunities import WON, Opportunity

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")

PLACED = "placed"
CANCELLED = "cancelled"

SKU_MAX = 100
DESCRIPTION_MAX = 500
REASON_MAX = 1000
LINES_MAX = 200


def to_cents(value: Decimal) -> Decimal:
    """Money is kept in cents; halves go up (0.005 -> 0.01), the way invoices round."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Discount:
    """A discount given as a percentage of the amount it applies to, or as an amount: never both."""

    percent: Decimal | None = None
    amount: Decimal | None = None

    def __post_init__(self):
        if self.percent is not None and self.amount is not None:
            raise ValueError("a discount is a percentage or an amount, not both")
        if self.percent is not None and not ZERO <= self.percent <= HUNDRED:
            raise ValueError(f"a discount percentage is from 0 to 100, not {self.percent}")
        if self.amount is not None and self.amount < 0:
            raise ValueError(f"a discount amount is not negative, not {self.amount}")

    def of(self, base: Decimal, what: str) -> Decimal:
        """The discount on `base`, in cents; an amount larger than `base` is refused, never capped."""
        if self.percent is not None:
            return to_cents(base * self.percent / HUNDRED)
        if self.amount is None:
            return ZERO
        if self.amount > base:
            raise DealRuleViolation(
                "discount_exceeds_amount", f"The discount {self.amount} is more than the {what} ({base}).",
                {"discount_amount": [f"At most {base}."]})
        return to_cents(self.amount)


@dataclass(frozen=True)
class LineInput:
    """What a rep enters for one line of an order."""

    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Discount = Discount()


@dataclass
class OrderLine:
    """One priced line of an order; its discount and total are computed, never entered."""

    position: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    line_discount: Decimal
    line_total: Decimal
    order_id: str | None = None


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def _two_places(value: Decimal | None) -> Decimal | None:
    """Inputs have at most two decimals; written with exactly two, as NUMERIC(18, 2) gives them back."""
    return None if value is None else value.quantize(CENT)


def price_lines(lines: list[LineInput]) -> list[OrderLine]:
    """Each line's gross (quantity x unit price, in cents), its discount and what is left."""
    priced = []
    for position, line in enumerate(lines, start=1):
        gross = to_cents(line.quantity * line.unit_price)
        line_discount = line.discount.of(gross, f"amount of line {position}")
        priced.append(OrderLine(
            position=position, sku=line.sku, description=line.description, quantity=_two_places(line.quantity),
            unit_price=_two_places(line.unit_price), discount_percent=_two_places(line.discount.percent),
            discount_amount=_two_places(line.discount.amount), line_discount=line_discount,
            line_total=gross - line_discount,
        ))
    return priced


def totals(lines: list[OrderLine], order_discount: Discount, tax_rate: Decimal) -> Totals:
    """subtotal = the lines' gross; discount = the lines' discounts plus the order's (taken off what the lines
    leave); tax = rate x (subtotal - discount), rounded once; total = subtotal - discount + tax."""
    subtotal = sum((line.line_total + line.line_discount for line in lines), ZERO)
    after_lines = sum((line.line_total for line in lines), ZERO)
    discount = sum((line.line_discount for line in lines), ZERO) + order_discount.of(after_lines, "order's amount")
    taxable = subtotal - discount
    tax = to_cents(taxable * tax_rate / HUNDRED)
    return Totals(subtotal=subtotal, discount=discount, tax=tax, total=taxable + tax)


@dataclass
class OrderPlaced:
    order: "Order"


@dataclass
class OrderCancelled:
    order: "Order"


@dataclass
class Order:
    """What a customer bought in a won deal, priced; contracts are drafted from it."""

    id: str
    opportunity_id: str
    customer_id: str
    owner_id: str
    currency: str
    status: str
    tax_rate: Decimal
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    created_at: datetime
    created_by: str
    lines: list[OrderLine] = field(default_factory=list)
    # Contracts drafted from the order and not voided: an order with one cannot be cancelled.
    live_contracts: int = 0
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def place(cls, opportunity: Opportunity, *, lines: list[LineInput], discount: Discount, tax_rate: Decimal,
              placed_by: str, now: datetime) -> "Order":
        """An order for a won opportunity, priced line by line."""
        if opportunity.status != WON:
            raise DealRuleViolation("opportunity_not_won", f"Orders are placed for won opportunities; this one is "
                                                           f"{opportunity.status}.")
        if not 1 <= len(lines) <= LINES_MAX:
            raise ValueError(f"an order has 1 to {LINES_MAX} lines")
        if not ZERO <= tax_rate <= HUNDRED:
            raise ValueError(f"a tax rate is a percentage from 0 to 100, not {tax_rate}")
        priced = price_lines(lines)
        money = totals(priced, discount, tax_rate)
        order = cls(
            id=str(uuid.uuid4()), opportunity_id=opportunity.id, customer_id=opportunity.customer_id,
            owner_id=opportunity.owner_id, currency=opportunity.currency, status=PLACED,
            tax_rate=_two_places(tax_rate), discount_percent=_two_places(discount.percent),
            discount_amount=_two_places(discount.amount), subtotal=money.subtotal,
            discount=money.discount, tax=money.tax, total=money.total, created_at=now, created_by=placed_by,
            lines=priced,
        )
        order.events.append(OrderPlaced(order))
        return order

    def cancel(self, user_id: str, reason: str, now: datetime) -> None:
        """Cancel a placed order nobody drafted a live contract from (void the contract first)."""
        self._must_be_placed()
        if self.live_contracts:
            raise DealRuleViolation("order_has_contract", "An order with a contract that is not voided cannot be "
                                                          "cancelled; void the contract first.")
        self.status = CANCELLED
        self.cancelled_at = now
        self.cancelled_by = user_id
        self.cancel_reason = reason
        self.events.append(OrderCancelled(self))

    def contract_drafted(self) -> None:
        """A contract is drafted from this order: one live contract per order, and only while it is placed."""
        self._must_be_placed()
        if self.live_contracts:
            raise DealRuleViolation("order_has_contract", "This order already has a contract that is not voided.")
        self.live_contracts += 1

    def contract_voided(self) -> None:
        self.live_contracts = max(0, self.live_contracts - 1)

    def _must_be_placed(self) -> None:
        if self.status != PLACED:
            raise DealRuleViolation("order_cancelled", "This order is cancelled.")
