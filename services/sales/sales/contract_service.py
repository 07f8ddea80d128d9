"""Use cases of contracts: draft from an order, edit, submit for approval, sign, void; the daily lifecycle job."""
from __future__ import annotations

import logging
import os
import uuid
from datetime import date, datetime, timedelta
from typing import BinaryIO, Mapping

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.scheduler import Every, TimedJob
from crm_shared.versioning import check_version, stale_write_refused
from sales import approval_service
from sales.approvals import APPROVED as REQUEST_APPROVED
from sales.approvals import CONTRACT, ApprovalRequest
from sales.contract_files import ContractFileStore, clean_file_name
from sales.contract_journal import JournalEntry
from sales.contracts import APPROVED, PENDING_APPROVAL, Contract, ContractAmendment, SignedFile
from sales.deal_access import visible_customer_ids
from sales.deal_rules import DealRuleViolation
from sales.money_figures import contract_figures
from sales.order_service import invalid, must_act_for, seen_customer, visible_order
from sales.payments import REJECTED as PAYMENT_REJECTED
from sales.uow import SalesUnitOfWork, UowFactory

log = logging.getLogger(__name__)

DEFAULT_RENEWAL_DAYS = 30


def renewal_days(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    return int(env.get("CRM_SALES_CONTRACT_RENEWAL_DAYS", DEFAULT_RENEWAL_DAYS))


def visible_contract(uow: SalesUnitOfWork, contract_id: str, viewer: Identity):
    contract = uow.contracts.get(contract_id)
    if contract is None:
        raise NotFound("contract", contract_id)
    return contract, seen_customer(uow, contract.customer_id, viewer, "contract", contract_id)


def draft_contract(uow_factory: UowFactory, fields: dict, seller: Identity) -> Contract:
    """A draft for the order's total; one live contract per order (409 `order_has_contract`)."""
    try:
        with uow_factory() as uow:
            order, customer = visible_order(uow, fields["order_id"], seller)
            must_act_for(uow, customer, seller)
            try:
                contract = Contract.draft(order, title=fields["title"], start_date=fields["start_date"],
                                          end_date=fields["end_date"], drafted_by=seller.user_id, now=utc_now())
            except ValueError as error:
                raise invalid(error) from error
            uow.contracts.add(contract)
            uow.commit()
            return contract
    except StaleDataError as error:
        raise DealRuleViolation("order_changed", "The order changed meanwhile; try again.") from error


def get_contract(uow_factory: UowFactory, contract_id: str, viewer: Identity) -> Contract:
    with uow_factory() as uow:
        return visible_contract(uow, contract_id, viewer)[0]


def read_contract(uow_factory: UowFactory, contract_id: str, viewer: Identity) -> Contract:
    """One contract with its money figures (amount, received, refunded, paid, invoiced, outstanding, net)."""
    with uow_factory() as uow:
        contract = visible_contract(uow, contract_id, viewer)[0]
        contract.figures = contract_figures(contract, uow.payments.of_contract(contract.id),
                                            uow.invoices.of_contract(contract.id))
        return contract


def contract_journal(uow_factory: UowFactory, contract_id: str, viewer: Identity) -> list[JournalEntry]:
    """Every change of the contract and its money, oldest first: what, who, when, on which record, caused by what."""
    with uow_factory() as uow:
        visible_contract(uow, contract_id, viewer)
        return uow.contract_journal.of_contract(contract_id)


def contract_amendments(uow_factory: UowFactory, contract_id: str, viewer: Identity) -> list[ContractAmendment]:
    with uow_factory() as uow:
        visible_contract(uow, contract_id, viewer)
        return uow.amendments.of_contract(contract_id)


def list_contracts(uow_factory: UowFactory, viewer: Identity, status: str | None = None,
                   customer_id: str | None = None, order_id: str | None = None) -> list[Contract]:
    with uow_factory() as uow:
        return uow.contracts.list(visible_customer_ids(uow, viewer), status, customer_id, order_id)


def _transition(uow_factory: UowFactory, contract_id: str, expected_version: int, actor: Identity,
                change) -> Contract:
    """Load, check the actor and the version they read, apply `change(uow, contract)`, commit.

    A change committed meanwhile, seen here or by the database's version check, is a 412.
    """
    with stale_write_refused("contract"), uow_factory() as uow:
        contract, customer = visible_contract(uow, contract_id, actor)
        must_act_for(uow, customer, actor)
        check_version("contract", expected_version, contract.version)
        try:
            change(uow, contract)
        except ValueError as error:
            raise invalid(error) from error
        uow.commit()
        return contract


def edit_contract(uow_factory: UowFactory, contract_id: str, changes: dict, expected_version: int,
                  actor: Identity) -> Contract:
    def edit(uow, contract: Contract) -> None:
        contract.edit(changes)
        # A draft's terms change without an event; the audit log keeps who changed them.
        uow.audit_change("contract", contract.id, "edited", changes)

    return _transition(uow_factory, contract_id, expected_version, actor, edit)


def submit_contract(uow_factory: UowFactory, contract_id: str, expected_version: int, actor: Identity) -> Contract:
    """Draft -> pending approval, with a request under the contract flow (approved at once if no step applies)."""

    def submit(uow, contract: Contract) -> None:
        now = utc_now()
        contract.check_submittable()
        request = approval_service.submit(uow, CONTRACT, contract.id, contract.amount, contract.currency, actor, now)
        contract.submitted(request.id, actor.user_id, now)
        if request.status == REQUEST_APPROVED:
            contract.approval_granted(now)

    return _transition(uow_factory, contract_id, expected_version, actor, submit)


def void_contract(uow_factory: UowFactory, contract_id: str, reason: str, expected_version: int,
                  actor: Identity) -> Contract:
    """Void from any state but expired, if no money was taken (that takes a refund); a pending approval request
    is withdrawn, the order freed, the installments voided."""

    def void(uow, contract: Contract) -> None:
        now = utc_now()
        # The contract's row lock, as every money change takes first: no payment slips in after the check.
        uow.contracts.get(contract.id, for_update=True)
        if any(payment.status != PAYMENT_REJECTED for payment in uow.payments.of_contract(contract.id)):
            raise DealRuleViolation("contract_has_payments", "Money was received (or awaits approval) on this "
                                    "contract: cancel it with a refund, which voids it and records what goes back.")
        order = uow.orders.get(contract.order_id)
        previous = contract.void(order, reason, actor.user_id, now)
        if previous == PENDING_APPROVAL and contract.approval_request_id:
            request = uow.approvals.get(contract.approval_request_id)
            if request is not None:
                request.withdraw(actor.user_id, now)
        # Nothing more is expected on a voided contract.
        for installment in uow.installments.of_contract(contract.id):
            installment.void(now)

    return _transition(uow_factory, contract_id, expected_version, actor, void)


def sign_contract(uow_factory: UowFactory, store: ContractFileStore, contract_id: str, signed_on: date,
                  signatories: list[str], stream: BinaryIO, file_name: str | None, content_type: str | None,
                  expected_version: int, actor: Identity) -> Contract:
    """Record the signing of an approved contract with its signed copy; the file is kept only if it commits."""
    # Who may sign, and whether the contract may be signed, before a byte is written.
    current = get_contract(uow_factory, contract_id, actor)
    check_version("contract", expected_version, current.version)
    if current.status != APPROVED:
        raise DealRuleViolation("contract_not_approved", f"Only an approved contract can be signed. This one is "
                                                         f"{current.status.replace('_', ' ')}.")
    file_id = str(uuid.uuid4())
    kind, size = store.receive(file_id, stream, content_type)
    try:
        signed_file = SignedFile(file_id, clean_file_name(file_name), kind, size)
        contract = _transition(uow_factory, contract_id, expected_version, actor, lambda uow, contract: contract.sign(
            signed_on, signatories, signed_file, actor.user_id, utc_now()))
    except BaseException:
        store.discard(file_id)
        raise
    store.keep(file_id)
    return contract


def signed_file(uow_factory: UowFactory, store: ContractFileStore, contract_id: str, viewer: Identity):
    contract = get_contract(uow_factory, contract_id, viewer)
    if not contract.file_id or not store.path(contract.file_id).exists():
        raise NotFound("signed file of contract", contract_id)
    return contract, store.path(contract.file_id)


class ContractApproval:
    """The contract's side of the approval engine: it learns whether it was approved."""

    def granted(self, uow: SalesUnitOfWork, request: ApprovalRequest, now: datetime) -> None:
        self._contract(uow, request).approval_granted(now)

    def refused(self, uow: SalesUnitOfWork, request: ApprovalRequest, actor_id: str, comment: str | None,
                now: datetime) -> None:
        self._contract(uow, request).approval_refused(request.status, actor_id, comment, now)

    @staticmethod
    def _contract(uow: SalesUnitOfWork, request: ApprovalRequest) -> Contract:
        contract = uow.contracts.get(request.subject_id)
        if contract is None:
            raise NotFound("contract", request.subject_id)
        return contract


# -- the lifecycle job ---------------------------------------------------------------------------


def run_lifecycle(uow_factory: UowFactory, today: date, days_before_end: int, now: datetime | None = None) -> dict:
    """Activate signed contracts whose start came, expire active ones past their end, remind of renewals.

    One contract per transaction: one that a person changes at the same moment is left for the next run.
    """
    now = now or utc_now()
    steps = [
        ("activated", lambda repo: repo.ids_to_activate(today), lambda c: c.activate_if_started(today, now)),
        ("expired", lambda repo: repo.ids_to_expire(today), lambda c: c.expire_if_ended(today, now)),
        ("reminded", lambda repo: repo.ids_due_for_renewal(today + timedelta(days=days_before_end)),
         lambda c: c.remind_renewal_if_due(today, days_before_end, now)),
    ]
    counts = {}
    for label, find, apply in steps:
        with uow_factory() as uow:
            ids = find(uow.contracts)
        counts[label] = 0
        for contract_id in ids:
            try:
                with uow_factory() as uow:
                    contract = uow.contracts.get(contract_id)
                    if contract is not None and apply(contract):
                        uow.commit()
                        counts[label] += 1
            except StaleDataError:
                log.info("contract %s changed during the lifecycle run; the next run sees it", contract_id)
    return counts


def contract_jobs(uow_factory: UowFactory, environ: Mapping[str, str] | None = None) -> list[TimedJob]:
    """Hourly: contracts start, end and come up for renewal by date (UTC), so a run late in the day catches up."""
    days = renewal_days(environ)
    return [TimedJob("sales.contract_lifecycle", Every(timedelta(hours=1)),
                     lambda due_at: run_lifecycle(uow_factory, due_at.date(), days, due_at))]
