"""Use cases of payment plans and received payments; the installments' daily job.

Every change of a contract's money takes the contract's row lock first (SELECT ... FOR UPDATE), then reads
its installments: two payments at once are applied one after the other, and the second sees what the
first left due, so together they can never exceed it.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.scheduler import Every, TimedJob
from crm_shared.versioning import check_version
from sales import approval_service
from sales.approvals import APPROVED as REQUEST_APPROVED
from sales.approvals import PAYMENT, ApprovalRequest
from sales.contracts import Contract
from sales.deal_access import visible_customer_ids
from sales.money_rules import MoneyRuleViolation
from sales.order_service import invalid, must_act_for, seen_customer
from sales.payments import Installment, InstallmentInput, Payment, allocate, plan_installments, revise_plan
from sales.uow import SalesUnitOfWork, UowFactory

log = logging.getLogger(__name__)


def locked_contract(uow: SalesUnitOfWork, contract_id: str, viewer: Identity) -> Contract:
    """The contract, its row locked until the transaction ends, if `viewer` may see it; else 404."""
    contract = uow.contracts.get(contract_id, for_update=True)
    if contract is None:
        raise NotFound("contract", contract_id)
    seen_customer(uow, contract.customer_id, viewer, "contract", contract_id)
    return contract


def create_plan(uow_factory: UowFactory, contract_id: str, inputs: list[InstallmentInput],
                actor: Identity) -> tuple[Contract, list[Installment]]:
    """The payment plan of a signed or active contract: installments adding up to its amount exactly."""
    with uow_factory() as uow:
        contract = locked_contract(uow, contract_id, actor)
        must_act_for(uow, uow.customers.get(contract.customer_id), actor)
        try:
            installments = plan_installments(contract, inputs, uow.installments.of_contract(contract.id),
                                             actor.user_id, utc_now())
        except ValueError as error:
            raise invalid(error) from error
        uow.installments.add_all(installments)
        uow.commit()
        return contract, installments


def plan_version(installments: list[Installment]) -> int:
    """The plan's version, for If-Match: the sum of its installments' versions. Installments are never deleted
    and every change of one raises its version, so any change anywhere in the plan raises the sum."""
    return sum(installment.version for installment in installments)


def get_plan(uow_factory: UowFactory, contract_id: str, viewer: Identity) -> tuple[Contract, list[Installment]]:
    with uow_factory() as uow:
        contract = uow.contracts.get(contract_id)
        if contract is None:
            raise NotFound("contract", contract_id)
        seen_customer(uow, contract.customer_id, viewer, "contract", contract_id)
        return contract, uow.installments.of_contract(contract.id)


def revise_payment_plan(uow_factory: UowFactory, contract_id: str, inputs: list[InstallmentInput],
                        expected_version: int, actor: Identity) -> tuple[Contract, list[Installment]]:
    """Plan the unpaid part again, as of the plan version the actor read (412 if anything changed since)."""
    with uow_factory() as uow:
        contract = locked_contract(uow, contract_id, actor)
        must_act_for(uow, uow.customers.get(contract.customer_id), actor)
        if uow.refunds.pending_of_contract(contract.id):
            raise MoneyRuleViolation("refund_pending", "A refund of this contract is waiting for approval; the plan "
                                                       "is not changed meanwhile.")
        existing = uow.installments.of_contract(contract.id)
        check_version("payment plan", expected_version, plan_version(existing))
        try:
            added = revise_plan(contract, inputs, existing, actor.user_id, utc_now())
        except ValueError as error:
            raise invalid(error) from error
        uow.installments.add_all(added)
        uow.commit()
        return contract, [*existing, *added]


def get_installment(uow_factory: UowFactory, installment_id: str, viewer: Identity) -> Installment:
    with uow_factory() as uow:
        installment = uow.installments.get(installment_id)
        if installment is None:
            raise NotFound("installment", installment_id)
        seen_customer(uow, installment.customer_id, viewer, "installment", installment_id)
        return installment


def list_installments(uow_factory: UowFactory, viewer: Identity, contract_id: str | None = None,
                      status: str | None = None, customer_id: str | None = None) -> list[Installment]:
    with uow_factory() as uow:
        return uow.installments.list(visible_customer_ids(uow, viewer), contract_id, status, customer_id)


def record_payment(uow_factory: UowFactory, fields: dict, actor: Identity) -> Payment:
    """Record money received against a contract, matched to its installments; never more than is still due.

    Counted at once, unless the payment flow has steps for this amount: then it waits for approval, its
    amount held on its installments.
    """
    with uow_factory() as uow:
        contract = locked_contract(uow, fields["contract_id"], actor)
        must_act_for(uow, uow.customers.get(contract.customer_id), actor)
        if uow.refunds.pending_of_contract(contract.id):
            raise MoneyRuleViolation("refund_pending", "A refund cancelling this contract is waiting for approval; "
                                                       "no payment is recorded meanwhile.")
        now = utc_now()
        installments = uow.installments.of_contract(contract.id)
        explicit = [(part["installment_id"], part["amount"]) for part in fields.get("allocations") or []] or None
        try:
            allocation = allocate(installments, fields["amount"], explicit)
            payment = Payment.record(contract, allocation, fields["amount"], fields["received_on"], fields["method"],
                                     fields.get("reference"), actor.user_id, now)
        except ValueError as error:
            raise invalid(error) from error
        uow.payments.add(payment)
        request = approval_service.submit(uow, PAYMENT, payment.id, payment.amount, payment.currency, actor, now)
        payment.approval_request_id = request.id
        if request.status == REQUEST_APPROVED:
            payment.approved({i.id: i for i in installments}, now)
        uow.commit()
        return payment


def get_payment(uow_factory: UowFactory, payment_id: str, viewer: Identity) -> Payment:
    with uow_factory() as uow:
        payment = uow.payments.get(payment_id)
        if payment is None:
            raise NotFound("payment", payment_id)
        seen_customer(uow, payment.customer_id, viewer, "payment", payment_id)
        return payment


def list_payments(uow_factory: UowFactory, viewer: Identity, contract_id: str | None = None,
                  customer_id: str | None = None) -> list[Payment]:
    with uow_factory() as uow:
        return uow.payments.list(visible_customer_ids(uow, viewer), contract_id, customer_id)


class PaymentApproval:
    """The payment's side of the approval engine: counted once approved, its hold released if refused."""

    def granted(self, uow: SalesUnitOfWork, request: ApprovalRequest, now: datetime) -> None:
        payment, installments = self._payment(uow, request)
        payment.approved(installments, now)

    def refused(self, uow: SalesUnitOfWork, request: ApprovalRequest, actor_id: str, comment: str | None,
                now: datetime) -> None:
        payment, installments = self._payment(uow, request)
        payment.refused(installments, now)

    @staticmethod
    def _payment(uow: SalesUnitOfWork, request: ApprovalRequest) -> tuple[Payment, dict[str, Installment]]:
        payment = uow.payments.get(request.subject_id)
        if payment is None:
            raise NotFound("payment", request.subject_id)
        # The same lock as a payment's: the installments change under one writer at a time.
        uow.contracts.get(payment.contract_id, for_update=True)
        return payment, {i.id: i for i in uow.installments.of_contract(payment.contract_id)}


# -- the installments' job -------------------------------------------------------------------------


def run_installment_job(uow_factory: UowFactory, today: date, now: datetime | None = None) -> dict:
    """Remind of installments coming due, then mark those past their date overdue; each once.

    One installment per transaction, under its contract's lock, like a payment: a payment recorded at the
    same moment is applied before or after, never lost.
    """
    now = now or utc_now()
    steps = [
        ("reminded", lambda repo: repo.to_remind(today), lambda i: i.remind_if_due(today, now)),
        ("overdue", lambda repo: repo.late(today), lambda i: i.mark_overdue_if_late(today, now)),
    ]
    counts = {}
    for label, find, apply in steps:
        with uow_factory() as uow:
            found = find(uow.installments)
        counts[label] = 0
        for installment_id, contract_id in found:
            try:
                with uow_factory() as uow:
                    uow.contracts.get(contract_id, for_update=True)
                    installment = uow.installments.get(installment_id)
                    if installment is not None and apply(installment):
                        uow.commit()
                        counts[label] += 1
            except StaleDataError:
                log.info("installment %s changed during the job; the next run sees it", installment_id)
    return counts


def installment_jobs(uow_factory: UowFactory) -> list[TimedJob]:
    """Hourly, by date (UTC): a run late in the day catches up."""
    return [TimedJob("sales.installment_reminders", Every(timedelta(hours=1)),
                     lambda due_at: run_installment_job(uow_factory, due_at.date(), due_at))]
