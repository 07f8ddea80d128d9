"""The contract aggregate: drafted from an order, approved through the approval engine, signed, in force, ended.

    draft -> pending_approval -> approved -> signed -> active -> expired
    pending_approval -> draft (rejected or sent back: edit and submit again)
    draft, pending_approval, approved, signed, active -> voided

A signed or active contract may be amended to a smaller amount by a partial refund (部分退单): it stays in
force, and the amendment records the amount before and after and the refund that made it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sales.deal_rules import DealRuleViolation
from sales.money_rules import MoneyRuleViolation
from sales.orders import Order

DRAFT = "draft"
PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
SIGNED = "signed"
ACTIVE = "active"
EXPIRED = "expired"
VOIDED = "voided"
STATUSES = (DRAFT, PENDING_APPROVAL, APPROVED, SIGNED, ACTIVE, EXPIRED, VOIDED)
VOIDABLE = (DRAFT, PENDING_APPROVAL, APPROVED, SIGNED, ACTIVE)
# In force or about to be: these get a renewal reminder before their end date.
RUNNING = (SIGNED, ACTIVE)

TITLE_MAX = 200
REASON_MAX = 1000
SIGNATORY_MAX = 200
SIGNATORIES_MAX = 10


@dataclass(frozen=True)
class SignedFile:
    file_id: str
    file_name: str
    content_type: str
    size: int


@dataclass
class ContractDrafted:
    contract: "Contract"


@dataclass
class ContractChanged:
    """A transition; `name` is the event's verb (submitted, approved, signed, ...)."""

    contract: "Contract"
    verb: str
    at: datetime
    actor_id: str | None = None
    comment: str | None = None
    previous_status: str | None = None
    # Set when a refund made the change (voided it).
    refund_id: str | None = None


@dataclass
class ContractAmendment:
    """One change of a contract's amount: before, after, why, and the refund that made it."""

    id: str
    contract_id: str
    amount_before: Decimal
    amount_after: Decimal
    currency: str
    reason: str
    amended_by: str
    amended_at: datetime
    refund_id: str | None = None


@dataclass
class ContractAmended:
    contract: "Contract"
    amendment: ContractAmendment


@dataclass
class ContractRenewalDue:
    contract: "Contract"
    at: datetime
    days_left: int


@dataclass
class Contract:
    id: str
    order_id: str
    customer_id: str
    owner_id: str
    title: str
    # The order's total, fixed when drafted.
    amount: Decimal
    currency: str
    status: str
    start_date: date
    end_date: date
    created_at: datetime
    created_by: str
    approval_request_id: str | None = None
    # rejected or sent_back: what the last approval said when it sent the contract back to draft.
    last_approval_outcome: str | None = None
    signed_on: date | None = None
    signatories: list[str] | None = None
    file_id: str | None = None
    file_name: str | None = None
    file_type: str | None = None
    file_size: int | None = None
    signed_by: str | None = None
    renewal_reminded_at: datetime | None = None
    voided_at: datetime | None = None
    voided_by: str | None = None
    void_reason: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)
    # The money read model (sales.money_figures), filled by the use case that reads one contract; not stored.
    figures: object = field(default=None, compare=False, repr=False)

    @classmethod
    def draft(cls, order: Order, *, title: str, start_date: date, end_date: date, drafted_by: str,
              now: datetime) -> "Contract":
        """A draft for `order`, for the order's total; the order then has its one live contract."""
        _check_terms(title, start_date, end_date)
        order.contract_drafted()
        contract = cls(
            id=str(uuid.uuid4()), order_id=order.id, customer_id=order.customer_id, owner_id=order.owner_id,
            title=title, amount=order.total, currency=order.currency, status=DRAFT, start_date=start_date,
            end_date=end_date, created_at=now, created_by=drafted_by,
        )
        contract.events.append(ContractDrafted(contract))
        return contract

    def edit(self, changes: dict) -> None:
        """Title and dates, while it is a draft; the amount is the order's and never edited."""
        self._must_be(DRAFT, "contract_not_draft", "Only a draft contract can be edited.")
        title = changes.get("title", self.title)
        start_date = changes.get("start_date", self.start_date)
        end_date = changes.get("end_date", self.end_date)
        _check_terms(title, start_date, end_date)
        self.title, self.start_date, self.end_date = title, start_date, end_date

    def check_submittable(self) -> None:
        self._must_be(DRAFT, "contract_not_draft", "Only a draft contract can be submitted for approval.")

    def submitted(self, request_id: str, user_id: str, now: datetime) -> None:
        self.check_submittable()
        self.status = PENDING_APPROVAL
        self.approval_request_id = request_id
        self.last_approval_outcome = None
        self.events.append(ContractChanged(self, "submitted", now, user_id, previous_status=DRAFT))

    def approval_granted(self, now: datetime) -> None:
        self._must_be(PENDING_APPROVAL, "contract_not_pending_approval", "This contract is not waiting for approval.")
        self.status = APPROVED
        self.events.append(ContractChanged(self, "approved", now, previous_status=PENDING_APPROVAL))

    def approval_refused(self, outcome: str, actor_id: str, comment: str | None, now: datetime) -> None:
        """Rejected or sent back: back to draft, to be changed and submitted again, or voided."""
        self._must_be(PENDING_APPROVAL, "contract_not_pending_approval", "This contract is not waiting for approval.")
        self.status = DRAFT
        self.last_approval_outcome = outcome
        self.events.append(ContractChanged(self, outcome, now, actor_id, comment, previous_status=PENDING_APPROVAL))

    def sign(self, signed_on: date, signatories: list[str], signed_file: SignedFile, user_id: str,
             now: datetime) -> None:
        """Record the signing of an approved contract: when, by whom, and the signed copy."""
        self._must_be(APPROVED, "contract_not_approved", "Only an approved contract can be signed.")
        names = [name.strip() for name in signatories]
        if not 1 <= len(names) <= SIGNATORIES_MAX or any(not n or len(n) > SIGNATORY_MAX for n in names):
            raise ValueError(f"a contract has 1 to {SIGNATORIES_MAX} signatories, each named")
        self.status = SIGNED
        self.signed_on = signed_on
        self.signatories = names
        self.file_id = signed_file.file_id
        self.file_name = signed_file.file_name
        self.file_type = signed_file.content_type
        self.file_size = signed_file.size
        self.signed_by = user_id
        self.events.append(ContractChanged(self, "signed", now, user_id, previous_status=APPROVED))

    def activate_if_started(self, today: date, now: datetime) -> bool:
        if self.status != SIGNED or self.start_date > today:
            return False
        self.status = ACTIVE
        self.events.append(ContractChanged(self, "activated", now, previous_status=SIGNED))
        return True

    def expire_if_ended(self, today: date, now: datetime) -> bool:
        """An active contract whose end date has passed (the end date is its last day in force)."""
        if self.status != ACTIVE or self.end_date >= today:
            return False
        self.status = EXPIRED
        self.events.append(ContractChanged(self, "expired", now, previous_status=ACTIVE))
        return True

    def remind_renewal_if_due(self, today: date, days_before: int, now: datetime) -> bool:
        """Once per contract: a running contract ending within `days_before` days gets its reminder."""
        if self.status not in RUNNING or self.renewal_reminded_at is not None:
            return False
        if today < self.end_date - timedelta(days=days_before):
            return False
        self.renewal_reminded_at = now
        self.events.append(ContractRenewalDue(self, now, (self.end_date - today).days))
        return True

    def void(self, order: Order, reason: str, user_id: str, now: datetime, refund_id: str | None = None) -> str:
        """Void it from any state but expired or voided; the order may then be cancelled. Returns the old status."""
        if self.status not in VOIDABLE:
            raise DealRuleViolation("contract_not_voidable", f"A contract that is {self.status} cannot be voided.")
        previous = self.status
        self.status = VOIDED
        self.voided_at = now
        self.voided_by = user_id
        self.void_reason = reason
        order.contract_voided()
        self.events.append(ContractChanged(self, "voided", now, user_id, reason, previous_status=previous,
                                           refund_id=refund_id))
        return previous

    def amend(self, amount: Decimal, reason: str, user_id: str, now: datetime,
              refund_id: str | None = None) -> ContractAmendment:
        """Reduce the amount of a contract in force; it stays in force. Returns the amendment, to be kept."""
        if self.status not in RUNNING:
            raise MoneyRuleViolation("contract_not_in_force", "Only a signed or active contract is amended; this one "
                                                             f"is {self.status.replace('_', ' ')}.")
        if not Decimal("0.00") < amount < self.amount:
            raise MoneyRuleViolation("amendment_not_a_reduction", f"An amendment reduces the amount: more than 0.00 "
                                    f"and less than {self.amount} {self.currency}, not {amount}.")
        amendment = ContractAmendment(
            id=str(uuid.uuid4()), contract_id=self.id, amount_before=self.amount, amount_after=amount,
            currency=self.currency, reason=reason, amended_by=user_id, amended_at=now, refund_id=refund_id)
        self.amount = amount
        self.events.append(ContractAmended(self, amendment))
        return amendment

    def _must_be(self, status: str, code: str, message: str) -> None:
        if self.status != status:
            raise DealRuleViolation(code, f"{message} This one is {self.status.replace('_', ' ')}.")


def _check_terms(title: str, start_date: date, end_date: date) -> None:
    if not title.strip() or len(title) > TITLE_MAX:
        raise ValueError(f"a title has 1 to {TITLE_MAX} characters and is not blank")
    if end_date < start_date:
        raise ValueError("a contract ends on or after the day it starts")
