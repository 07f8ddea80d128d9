"""Orders: only for won deals; line and order discounts, tax and totals in Decimal, rounded half up to cents."""
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from sales.deal_rules import DealRuleViolation
from sales.opportunities import LOST, OPEN, WON, Opportunity
from sales.orders import CANCELLED, Discount, LineInput, Order, price_lines, to_cents, totals

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def opportunity(status=WON) -> Opportunity:
    return Opportunity(id="opp-1", customer_id="cust-1", name="ERP", stage="negotiation", amount=D("1000.00"),
                       currency="CNY", owner_id="rep-1", status=status, created_at=NOW, created_by="rep-1")


def place(lines, discount=Discount(), tax_rate=D("13"), status=WON) -> Order:
    return Order.place(opportunity(status), lines=lines, discount=discount, tax_rate=tax_rate, placed_by="rep-1",
                       now=NOW)


def test_halves_round_up_to_the_cent_not_to_even():
    assert to_cents(D("0.125")) == D("0.13")
    assert to_cents(D("2.675")) == D("2.68")  # a float would make this 2.67
    assert to_cents(D("0.135")) == D("0.14")


@pytest.mark.parametrize("status", [OPEN, LOST])
def test_an_order_needs_a_won_opportunity(status):
    with pytest.raises(DealRuleViolation) as refused:
        place([LineInput("SKU-1", "Licence", D("1"), D("100.00"))], status=status)
    assert (refused.value.status, refused.value.code) == (409, "opportunity_not_won")


def test_totals_of_lines_with_percent_and_amount_discounts_an_order_discount_and_tax():
    order = place([
        LineInput("LIC", "Licences", D("3"), D("333.33"), Discount(percent=D("10"))),  # 999.99 - 100.00 (99.999)
        LineInput("SVC", "Set-up", D("1.5"), D("200.00"), Discount(amount=D("50.00"))),  # 300.00 - 50.00
    ], discount=Discount(percent=D("5")), tax_rate=D("13"))
    assert [(line.line_discount, line.line_total) for line in order.lines] == [
        (D("100.00"), D("899.99")), (D("50.00"), D("250.00"))]
    # order discount: 5% of 1149.99 = 57.4995 -> 57.50
    assert order.subtotal == D("1299.99")
    assert order.discount == D("100.00") + D("50.00") + D("57.50")
    # tax: 13% of 1092.49 = 142.0237 -> 142.02
    assert order.tax == D("142.02")
    assert order.total == D("1092.49") + D("142.02")
    assert order.owner_id == "rep-1" and order.currency == "CNY" and order.status == "placed"
    assert [type(event).__name__ for event in order.events] == ["OrderPlaced"]


def test_tax_is_rounded_once_on_the_order_not_per_line():
    lines = price_lines([LineInput("A", "", D("1"), D("0.05")), LineInput("B", "", D("1"), D("0.05"))])
    # per line: 0.0065 -> 0.01 each, 0.02 in all; on the order: 0.013 -> 0.01
    assert totals(lines, Discount(), D("13")).tax == D("0.01")


def test_an_amount_discount_larger_than_what_it_discounts_is_refused_not_capped():
    with pytest.raises(DealRuleViolation) as refused:
        place([LineInput("A", "", D("1"), D("10.00"), Discount(amount=D("10.01")))])
    assert (refused.value.status, refused.value.code) == (422, "discount_exceeds_amount")
    with pytest.raises(DealRuleViolation):
        place([LineInput("A", "", D("2"), D("10.00"))], discount=Discount(amount=D("20.01")))


def test_a_discount_is_a_percentage_or_an_amount_not_both():
    with pytest.raises(ValueError):
        Discount(percent=D("5"), amount=D("1.00"))


def test_an_order_with_a_live_contract_is_not_cancelled_until_the_contract_is_voided():
    order = place([LineInput("A", "", D("1"), D("10.00"))])
    order.contract_drafted()
    with pytest.raises(DealRuleViolation) as refused:
        order.cancel("rep-1", "customer changed their mind", NOW)
    assert refused.value.code == "order_has_contract" and order.status == "placed"
    with pytest.raises(DealRuleViolation):
        order.contract_drafted()  # one live contract per order
    order.contract_voided()
    order.cancel("rep-1", "customer changed their mind", NOW)
    assert order.status == CANCELLED
    with pytest.raises(DealRuleViolation) as again:
        order.cancel("rep-1", "twice", NOW)
    assert again.value.code == "order_cancelled"
