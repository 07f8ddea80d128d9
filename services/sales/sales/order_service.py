"""Use cases of orders: place one for a won opportunity, read, list, cancel. Commits here, nowhere else below."""
from __future__ import annotations

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, NotFound
from crm_shared.versioning import check_version, stale_write_refused
from sales.deal_access import may_act_for_customer, visible_customer_ids
from sales.deal_rules import DealRuleViolation
from sales.domain import Customer
from sales.orders import Discount, LineInput, Order
from sales.uow import SalesUnitOfWork, UowFactory


def invalid(error: ValueError) -> APIError:
    """A domain refusal of a value the schema let through, in the one error shape."""
    return APIError(422, "validation_failed", f"Some fields are not valid. {error}")


def seen_customer(uow: SalesUnitOfWork, customer_id: str, viewer: Identity, what: str, what_id: str) -> Customer:
    """The customer of an order or contract, if `viewer` may see it; else 404 for the thing asked about.

    Access is checked before the customer is read, as in permissions.readable_customer: a row read first could
    predate the change that gave the viewer access.
    """
    if not uow.permissions.may_read_id(customer_id, viewer, utc_now()):
        raise NotFound(what, what_id)
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFound(what, what_id)
    return customer


def must_act_for(uow: SalesUnitOfWork, customer: Customer, actor: Identity) -> None:
    if not may_act_for_customer(uow, actor, customer):
        raise DealRuleViolation("not_customer_owner", "Only the customer's owner, a team member with edit access, "
                                                      "their sales manager or an admin can do this.")


def visible_order(uow: SalesUnitOfWork, order_id: str, viewer: Identity) -> tuple[Order, Customer]:
    order = uow.orders.get(order_id)
    if order is None:
        raise NotFound("order", order_id)
    return order, seen_customer(uow, order.customer_id, viewer, "order", order_id)


def place_order(uow_factory: UowFactory, fields: dict, seller: Identity) -> Order:
    """An order for a won opportunity of a customer the seller works (409 `opportunity_not_won` otherwise)."""
    with uow_factory() as uow:
        opportunity = uow.opportunities.get(fields["opportunity_id"])
        if opportunity is None:
            raise NotFound("opportunity", fields["opportunity_id"])
        customer = seen_customer(uow, opportunity.customer_id, seller, "opportunity", opportunity.id)
        must_act_for(uow, customer, seller)
        try:
            order = Order.place(
                opportunity,
                lines=[LineInput(line["sku"], line["description"], line["quantity"], line["unit_price"],
                                 Discount(line.get("discount_percent"), line.get("discount_amount")))
                       for line in fields["lines"]],
                discount=Discount(fields.get("discount_percent"), fields.get("discount_amount")),
                tax_rate=fields["tax_rate"],
                placed_by=seller.user_id,
                now=utc_now(),
            )
        except ValueError as error:
            raise invalid(error) from error
        uow.orders.add(order)
        uow.commit()
        return order


def get_order(uow_factory: UowFactory, order_id: str, viewer: Identity) -> Order:
    with uow_factory() as uow:
        return visible_order(uow, order_id, viewer)[0]


def list_orders(uow_factory: UowFactory, viewer: Identity, opportunity_id: str | None = None,
                customer_id: str | None = None) -> list[Order]:
    with uow_factory() as uow:
        return uow.orders.list(visible_customer_ids(uow, viewer), opportunity_id, customer_id)


def cancel_order(uow_factory: UowFactory, order_id: str, reason: str, expected_version: int,
                 seller: Identity) -> Order:
    """Cancel a placed order with no live contract, as of the version the seller read (412 if it changed)."""
    with stale_write_refused("order"), uow_factory() as uow:
        order, customer = visible_order(uow, order_id, seller)
        must_act_for(uow, customer, seller)
        check_version("order", expected_version, order.version)
        order.cancel(seller.user_id, reason, utc_now())
        uow.commit()
        return order
