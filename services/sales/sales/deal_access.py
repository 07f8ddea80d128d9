"""Who may see and act on a customer's orders and contracts: the customer's own rules (`sales.permissions`).

Reading a deal needs read access to its customer; acting on it (placing an order, drafting, submitting,
voiding, signing a contract) needs edit access. Approvers act through the approval engine's roles instead.
"""
from __future__ import annotations

from sqlalchemy import Select, select

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from sales.db import customers
from sales.domain import Customer


def may_see_customer(uow, viewer: Identity, customer: Customer) -> bool:
    return uow.permissions.may_read(customer, viewer, utc_now())


def may_act_for_customer(uow, actor: Identity, customer: Customer) -> bool:
    return uow.permissions.may_edit(customer, actor, utc_now())


def visible_customer_ids(uow, viewer: Identity) -> Select | None:
    """The customers whose orders and contracts `viewer` may list, as a subquery; None for all of them."""
    condition = uow.permissions.customer_condition(viewer, utc_now())
    return None if condition is None else select(customers.c.id).where(condition)
