"""The use cases of sales: finding customers, and who may see which."""
from __future__ import annotations

from typing import Callable

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SERVICE_AGENT, SERVICE_MANAGER, Identity
from crm_shared.errors import NotFound
from sales.domain import Customer
from sales.repository import CustomerQuery
from sales.uow import SalesUnitOfWork

UowFactory = Callable[[], SalesUnitOfWork]
# Everyone but a rep sees every customer; a rep sees the customers they own.
SEES_ALL = (ADMIN, SALES_MANAGER, EXECUTIVE, SERVICE_AGENT, SERVICE_MANAGER)


def _visible(customer: Customer | None, customer_id: str, viewer: Identity) -> Customer:
    if customer is not None and (viewer.has_any(*SEES_ALL) or customer.owner_id == viewer.user_id):
        return customer
    # Missing or another rep's: the same answer, so ids cannot be probed.
    raise NotFound("customer", customer_id)


def get_customer(uow_factory: UowFactory, customer_id: str, viewer: Identity) -> Customer:
    with uow_factory() as uow:
        return _visible(uow.customers.get(customer_id), customer_id, viewer)


def list_customers(uow_factory: UowFactory, query: CustomerQuery, viewer: Identity) -> tuple[list[Customer], int]:
    if not viewer.has_any(*SEES_ALL):
        query = query.only_owned_by(viewer.user_id)
    with uow_factory() as uow:
        return uow.customers.list(query)
