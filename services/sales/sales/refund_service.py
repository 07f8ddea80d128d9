"""Use cases of refunds and order cancellation (退单): request, read, and the refund's side of the approval engine.

Requesting and applying take the contract's row lock first, like payments: a payment recorded at the same
moment is counted before or after, and the refund never gives back more than was received.
"""
from __future__ import annotations

from datetime import datetime

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from sales import approval_service
from sales.approvals import APPROVED as REQUEST_APPROVED
from sales.approvals import REFUND, ApprovalRequest
from sales.deal_access import visible_customer_ids
from sales.order_service import invalid, must_act_for, seen_customer
from sales.payment_service import locked_contract
from sales.refunds import Refund
from sales.uow import SalesUnitOfWork, UowFactory


def request_refund(uow_factory: UowFactory, fields: dict, actor: Identity) -> Refund:
    """Ask to cancel the deal (or, with `amended_amount`, reduce it) and give back `amount`; applied once approved
    (at once if the flow has no step)."""
    with uow_factory() as uow:
        contract = locked_contract(uow, fields["contract_id"], actor)
        must_act_for(uow, uow.customers.get(contract.customer_id), actor)
        now = utc_now()
        try:
            refund = Refund.request(contract, uow.payments.of_contract(contract.id),
                                    uow.refunds.pending_of_contract(contract.id), fields["amount"], fields["reason"],
                                    fields["refunded_on"], actor.user_id, now, fields.get("amended_amount"))
        except ValueError as error:
            raise invalid(error) from error
        uow.refunds.add(refund)
        request = approval_service.submit(uow, REFUND, refund.id, refund.amount, refund.currency, actor, now)
        refund.approval_request_id = request.id
        if request.status == REQUEST_APPROVED:
            apply_refund(uow, refund, actor.user_id, now)
        uow.commit()
        return refund


def apply_refund(uow: SalesUnitOfWork, refund: Refund, actor_id: str, now: datetime) -> None:
    """Cancel or amend the deal the refund names, in the caller's transaction (the contract's row is locked here)."""
    contract = uow.contracts.get(refund.contract_id, for_update=True)
    order = uow.orders.get(contract.order_id)
    invoices = uow.invoices.of_contract(contract.id)
    applied = refund.apply(contract, order, uow.installments.of_contract(contract.id),
                           uow.payments.of_contract(contract.id), invoices, actor_id, now)
    if applied.payment is not None:
        uow.payments.add(applied.payment)
    if applied.amendment is not None:
        uow.amendments.add(applied.amendment)
    for invoice in applied.withdrawn:
        request = uow.approvals.get(invoice.approval_request_id) if invoice.approval_request_id else None
        if request is not None:
            request.withdraw(actor_id, now)


def get_refund(uow_factory: UowFactory, refund_id: str, viewer: Identity) -> Refund:
    with uow_factory() as uow:
        refund = uow.refunds.get(refund_id)
        if refund is None:
            raise NotFound("refund", refund_id)
        seen_customer(uow, refund.customer_id, viewer, "refund", refund_id)
        return refund


def list_refunds(uow_factory: UowFactory, viewer: Identity, contract_id: str | None = None,
                 customer_id: str | None = None) -> list[Refund]:
    with uow_factory() as uow:
        return uow.refunds.list(visible_customer_ids(uow, viewer), contract_id, customer_id)


class RefundApproval:
    """The refund's side of the approval engine: approved, it is applied in the same transaction."""

    def granted(self, uow: SalesUnitOfWork, request: ApprovalRequest, now: datetime) -> None:
        refund = self._refund(uow, request)
        apply_refund(uow, refund, request.trail[-1].actor_id, now)

    def refused(self, uow: SalesUnitOfWork, request: ApprovalRequest, actor_id: str, comment: str | None,
                now: datetime) -> None:
        self._refund(uow, request).refused(actor_id, now)

    @staticmethod
    def _refund(uow: SalesUnitOfWork, request: ApprovalRequest) -> Refund:
        refund = uow.refunds.get(request.subject_id)
        if refund is None:
            raise NotFound("refund", request.subject_id)
        return refund
