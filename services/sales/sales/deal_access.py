"""Who may see and act on a customer's orders, contracts, money and approval requests: the customer's own rules
(`sales.permissions`).

Reading a deal needs read access to its customer; acting on it (placing an order, drafting, submitting,
voiding, signing a contract) needs edit access. Approvers act through the approval engine's roles, but only on
requests whose subject belongs to a customer they may see: a sales manager decides their teams' deals, not
every team's.
"""
from __future__ import annotations

from sqlalchemy import Select, and_, or_, select

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from sales.approvals import CONTRACT, INVOICE, PAYMENT, REFUND
from sales.db import customers
from sales.db_money import invoices, payments, refunds
from sales.db_orders_contracts import approval_requests, contracts
from sales.domain import Customer

# The table of each kind of approval subject; each row names its customer. A kind missing here is seen only by
# those who see every customer, so a new kind stays hidden until it is added.
SUBJECT_TABLES = {CONTRACT: contracts, PAYMENT: payments, INVOICE: invoices, REFUND: refunds}


def may_see_customer(uow, viewer: Identity, customer: Customer) -> bool:
    return uow.permissions.may_read(customer, viewer, utc_now())


def may_act_for_customer(uow, actor: Identity, customer: Customer) -> bool:
    return uow.permissions.may_edit(customer, actor, utc_now())


def visible_customer_ids(uow, viewer: Identity) -> Select | None:
    """The customers whose orders and contracts `viewer` may list, as a subquery; None for all of them."""
    condition = uow.permissions.customer_condition(viewer, utc_now())
    return None if condition is None else select(customers.c.id).where(condition)


def visible_approval_subjects(uow, viewer: Identity):
    """A WHERE condition on `approval_requests`: those whose subject's customer `viewer` may see; None for all."""
    customer_ids = visible_customer_ids(uow, viewer)
    if customer_ids is None:
        return None
    requests = approval_requests.c
    return or_(*(
        and_(requests.subject_kind == kind,
             requests.subject_id.in_(select(table.c.id).where(table.c.customer_id.in_(customer_ids))))
        for kind, table in SUBJECT_TABLES.items()
    ))


def may_see_approval_subject(uow, viewer: Identity, request_id: str) -> bool:
    """Whether the request's subject belongs to a customer `viewer` may see."""
    condition = visible_approval_subjects(uow, viewer)
    if condition is None:
        return True
    return uow.session.execute(
        select(approval_requests.c.id).where(approval_requests.c.id == request_id, condition)
    ).first() is not None
