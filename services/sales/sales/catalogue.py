"""The product catalogue and an opportunity's product lines: quantities, unit prices and discounts, in Decimal."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Sequence

from crm_shared.errors import APIError

from sales.money_rules import CENT, MONEY_MAX, check_amount

LINES_MAX = 100


class InvalidLines(APIError):
    """A product line breaks a rule; 422 naming the line and the rule."""

    def __init__(self, message: str, index: int | None = None):
        super().__init__(422, "validation_failed", message, {"lines": {str(index): [message]} if index is not None else [message]})


@dataclass
class Product:
    """Something the company sells, at a list price in one currency; inactive products are not sold any more."""

    id: str
    sku: str
    name: str
    unit_price: Decimal
    currency: str
    active: bool
    created_at: datetime
    version: int = 1

    @classmethod
    def new(cls, sku: str, name: str, unit_price: Decimal, currency: str, now: datetime) -> "Product":
        check_amount(unit_price, "a unit price")
        return cls(str(uuid.uuid4()), sku, name, unit_price, currency, True, now)

    def edit(self, changes: dict) -> None:
        if "unit_price" in changes:
            check_amount(changes["unit_price"], "a unit price")
        for name, value in changes.items():
            setattr(self, name, value)


@dataclass(frozen=True)
class Line:
    """A product on an opportunity: quantity × unit price, less a discount (an amount) on the line."""

    id: str
    product_id: str
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price - self.discount).quantize(CENT)


@dataclass(frozen=True)
class LineInput:
    """A line as a rep asks for it: the unit price defaults to the catalogue's."""

    product_id: str
    quantity: Decimal
    discount: Decimal = Decimal("0.00")
    unit_price: Decimal | None = None


def priced_lines(inputs: Sequence[LineInput], products: dict[str, Product]) -> tuple[list[Line], str | None]:
    """The lines with prices from the catalogue (unless given), checked; and their one currency (None if no lines)."""
    if len(inputs) > LINES_MAX:
        raise InvalidLines(f"An opportunity has at most {LINES_MAX} product lines.")
    lines, currencies = [], set()
    for index, line in enumerate(inputs):
        product = products.get(line.product_id)
        if product is None:
            raise InvalidLines(f"No product with id {line.product_id}.", index)
        if not product.active:
            raise InvalidLines(f"Product {product.sku} is no longer sold.", index)
        if line.quantity <= 0:
            raise InvalidLines("A quantity is more than zero.", index)
        unit_price = product.unit_price if line.unit_price is None else line.unit_price
        priced = Line(str(uuid.uuid4()), product.id, product.sku, product.name, line.quantity, unit_price, line.discount)
        if line.discount > line.quantity * unit_price:
            raise InvalidLines(f"The discount {line.discount} is more than the line's {(line.quantity * unit_price).quantize(CENT)}.", index)
        if priced.total > MONEY_MAX:
            raise InvalidLines("The line's total is too large.", index)
        currencies.add(product.currency)
        lines.append(priced)
    if len(currencies) > 1:
        raise InvalidLines(f"All lines of an opportunity are in one currency, not {', '.join(sorted(currencies))}.")
    return lines, (currencies.pop() if currencies else None)


def total_of(lines: Sequence[Line]) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00"))
