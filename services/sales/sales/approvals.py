"""The approval engine's domain: flows of steps by role, a request per subject, decisions and their trail.

One small engine for every subject kind (contracts, payments, invoices and refunds). A flow is a
list of steps, each a role and the amount from which it applies; a request keeps the steps that applied
when it was submitted, so changing a flow never changes a request under way.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from crm_shared.auth import ADMIN, SALES_MANAGER, Identity
from sales.deal_rules import DealRuleViolation

CONTRACT = "contract"
PAYMENT = "payment"
INVOICE = "invoice"
REFUND = "refund"
SUBJECT_KINDS = (CONTRACT, PAYMENT, INVOICE, REFUND)

# A request's status.
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
SENT_BACK = "sent_back"
# The subject was voided while it waited: the request is closed without a decision.
WITHDRAWN = "withdrawn"

# A step's status: it waits for its turn, is the one being decided, or was decided.
WAITING = "waiting"
CURRENT = "current"

# What the trail records: the submission (step 0) and one decision per step.
SUBMITTED = "submitted"
DECISIONS = (APPROVED, REJECTED, SENT_BACK)

COMMENT_MAX = 2000


@dataclass(frozen=True)
class FlowStep:
    """One step of a flow: who decides (a role), and from which amount the step applies."""

    role: str
    min_amount: Decimal = Decimal("0.00")


# The flows a fresh installation starts with (the migration writes them); admins change them.
DEFAULT_FLOWS: dict[str, tuple[FlowStep, ...]] = {
    CONTRACT: (FlowStep(SALES_MANAGER), FlowStep(ADMIN, Decimal("100000.00"))),
    # Payments count at once until an administrator gives them a flow.
    PAYMENT: (),
    INVOICE: (FlowStep(SALES_MANAGER),),
    REFUND: (FlowStep(SALES_MANAGER),),
}


def steps_for(flow: list[FlowStep] | tuple[FlowStep, ...], amount: Decimal) -> list[FlowStep]:
    """The steps of `flow` that apply to `amount`, in order."""
    return [step for step in flow if amount >= step.min_amount]


@dataclass
class ApprovalStep:
    position: int
    role: str
    min_amount: Decimal
    status: str = WAITING
    request_id: str | None = None


@dataclass
class ApprovalEntry:
    """One line of the audit trail: who did what to which step, when, and why."""

    step_position: int
    actor_id: str
    decision: str
    at: datetime
    comment: str | None = None
    id: int | None = None
    request_id: str | None = None


@dataclass
class ApprovalRequest:
    """A subject (one contract, ...) waiting for its steps' approvers, one step at a time."""

    id: str
    subject_kind: str
    subject_id: str
    amount: Decimal
    currency: str
    submitted_by: str
    submitted_at: datetime
    status: str
    # The step being decided; 0 when none is (no step applied, or the request is closed).
    current_position: int
    steps: list[ApprovalStep] = field(default_factory=list)
    trail: list[ApprovalEntry] = field(default_factory=list)
    # The subject while the request is pending: unique, so a subject has at most one pending request.
    pending_subject: str | None = None
    decided_at: datetime | None = None
    version: int = 1

    @classmethod
    def submit(cls, subject_kind: str, subject_id: str, amount: Decimal, currency: str, flow, submitter: str,
               now: datetime) -> "ApprovalRequest":
        """A request with the flow's steps that apply to `amount`; approved at once if none applies."""
        request_id = str(uuid.uuid4())
        steps = [ApprovalStep(position, step.role, step.min_amount, request_id=request_id)
                 for position, step in enumerate(steps_for(flow, amount), start=1)]
        request = cls(
            id=request_id, subject_kind=subject_kind, subject_id=subject_id, amount=amount, currency=currency,
            submitted_by=submitter, submitted_at=now, status=PENDING, current_position=0, steps=steps,
            trail=[ApprovalEntry(0, submitter, SUBMITTED, now, request_id=request_id)],
            pending_subject=f"{subject_kind}:{subject_id}",
        )
        request._advance(now)
        return request

    @property
    def current_step(self) -> ApprovalStep | None:
        return next((s for s in self.steps if s.position == self.current_position), None)

    def decided(self, step_position: int) -> ApprovalEntry | None:
        return next((e for e in self.trail if e.step_position == step_position and e.decision in DECISIONS), None)

    def repeats(self, approver: Identity, decision: str, step_position: int | None) -> bool:
        """True if this is a decision the approver already made on that step (a retry): nothing more to do."""
        if step_position is None:
            return False
        entry = self.decided(step_position)
        return entry is not None and entry.actor_id == approver.user_id and entry.decision == decision

    def decide(self, approver: Identity, decision: str, comment: str | None, now: datetime,
               step_position: int | None = None) -> None:
        """Approve, reject or send back the current step. Reject and send back need a comment.

        `step_position`, when given, is the step the approver saw: if another step is current by now, the
        decision is refused rather than applied to a step they never looked at.
        """
        if decision not in DECISIONS:
            raise ValueError(f"a decision is one of {', '.join(DECISIONS)}, not {decision!r}")
        if self.status != PENDING:
            raise DealRuleViolation("approval_closed", f"This approval request is {self.status.replace('_', ' ')}.")
        step = self.current_step
        if step_position is not None and step_position != self.current_position:
            raise DealRuleViolation("approval_step_decided", f"Step {step_position} is not the one being decided "
                                                             f"(step {self.current_position} is).")
        if approver.user_id == self.submitted_by:
            raise DealRuleViolation("own_approval_request", "Nobody approves their own request.")
        if not approver.has_any(step.role):
            raise DealRuleViolation("not_step_approver", f"Step {step.position} is decided by the role {step.role}.")
        comment = (comment or "").strip() or None
        if decision != APPROVED and comment is None:
            raise DealRuleViolation("comment_required", "Say why: a rejection or a send-back needs a comment.",
                                    {"comment": ["Required when rejecting or sending back."]})
        step.status = decision
        self.trail.append(ApprovalEntry(step.position, approver.user_id, decision, now, comment, request_id=self.id))
        if decision == APPROVED:
            self._advance(now)
        else:
            self._close(decision, now)

    def withdraw(self, actor_id: str, now: datetime) -> None:
        """The subject went away (voided) while it waited: close the request without a decision."""
        if self.status == PENDING:
            self._close(WITHDRAWN, now)

    def _advance(self, now: datetime) -> None:
        upcoming = [s for s in self.steps if s.status == WAITING]
        if upcoming:
            upcoming[0].status = CURRENT
            self.current_position = upcoming[0].position
        else:
            self._close(APPROVED, now)

    def _close(self, status: str, now: datetime) -> None:
        self.status = status
        self.current_position = 0
        self.decided_at = now
        self.pending_subject = None
