"""Use cases of the approval engine: submit a subject, the approvers' to-do list, decide, the flows.

The engine knows subjects only by kind and id; what a decision means for the subject (a contract becomes
approved, or a draft again) is the subject's callback, run in the same transaction as the decision.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Mapping, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import ADMIN, EXECUTIVE, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.versioning import VersionMismatch, check_version
from sales.approvals import APPROVED, PENDING, SUBJECT_KINDS, ApprovalRequest, FlowStep
from sales.deal_access import may_see_approval_subject, visible_approval_subjects
from sales.deal_rules import DealRuleViolation
from sales.uow import SalesUnitOfWork, UowFactory

# Besides the submitter and the steps' roles, these roles oversee every approval request.
OVERSEES_APPROVALS = (ADMIN, EXECUTIVE)


class ApprovalSubject(Protocol):
    """What a kind of subject does when its request is decided; both run inside the decision's transaction."""

    def granted(self, uow: SalesUnitOfWork, request: ApprovalRequest, now: datetime) -> None: ...

    def refused(self, uow: SalesUnitOfWork, request: ApprovalRequest, actor_id: str, comment: str | None,
                now: datetime) -> None: ...


def may_see_request(uow: SalesUnitOfWork, request: ApprovalRequest, viewer: Identity) -> bool:
    """The submitter, those who see every deal, and holders of a role of its steps who may see its customer."""
    if viewer.user_id == request.submitted_by or viewer.has_any(*OVERSEES_APPROVALS):
        return True
    return (viewer.has_any(*(step.role for step in request.steps))
            and may_see_approval_subject(uow, viewer, request.id))


def submit(uow: SalesUnitOfWork, subject_kind: str, subject_id: str, amount: Decimal, currency: str,
           submitter: Identity, now: datetime) -> ApprovalRequest:
    """Open a request for a subject under its kind's current flow; the caller commits (with the subject)."""
    request = ApprovalRequest.submit(subject_kind, subject_id, amount, currency, uow.approvals.flow(subject_kind),
                                     submitter.user_id, now)
    uow.approvals.add(request)
    try:
        uow.session.flush()
    except IntegrityError as error:
        raise DealRuleViolation("approval_pending", "This is already waiting for approval.") from error
    return request


def decide(uow_factory: UowFactory, subjects: Mapping[str, ApprovalSubject], request_id: str, decision: str,
           comment: str | None, expected_version: int, approver: Identity,
           step_position: int | None = None) -> ApprovalRequest:
    """Approve, reject or send back the current step; the subject hears the outcome once the request closes.

    Two approvers deciding at once: one wins, the other gets 412 `version_mismatch` and nothing of theirs
    is kept (the version check, and the one-decision-per-step constraint under it). The same decision sent
    again for the same step by the same approver (a retry) changes nothing and answers 200.
    """
    try:
        with uow_factory() as uow:
            request = uow.approvals.get(request_id)
            if request is None or not may_see_request(uow, request, approver):
                raise NotFound("approval request", request_id)
            if request.repeats(approver, decision, step_position):
                return request
            check_version("approval request", expected_version, request.version)
            now = utc_now()
            request.decide(approver, decision, comment, now, step_position)
            # A step decided short of the last publishes no event; both the request and its subject keep it.
            details = {"approval_request_id": request.id, "decision": decision, "comment": comment,
                       "status": request.status}
            uow.audit_change("approval_request", request.id, decision, details)
            uow.audit_change(request.subject_kind, request.subject_id, f"approval_{decision}", details)
            subject = subjects[request.subject_kind]
            if request.status == APPROVED:
                subject.granted(uow, request, now)
            elif request.status != PENDING:
                subject.refused(uow, request, approver.user_id, comment, now)
            uow.commit()
            return request
    except (StaleDataError, IntegrityError) as error:
        raise VersionMismatch("approval request") from error


def get_request(uow_factory: UowFactory, request_id: str, viewer: Identity) -> ApprovalRequest:
    with uow_factory() as uow:
        request = uow.approvals.get(request_id)
        if request is None or not may_see_request(uow, request, viewer):
            raise NotFound("approval request", request_id)
        return request


def todo(uow_factory: UowFactory, approver: Identity) -> list[ApprovalRequest]:
    """Requests waiting on a role the approver holds, of customers they may see, not their own; oldest first."""
    with uow_factory() as uow:
        return uow.approvals.todo(approver.roles, approver.user_id, visible_approval_subjects(uow, approver))


def _known_kind(subject_kind: str) -> None:
    if subject_kind not in SUBJECT_KINDS:
        raise NotFound("approval flow", subject_kind)


def get_flow(uow_factory: UowFactory, subject_kind: str) -> list[FlowStep]:
    _known_kind(subject_kind)
    with uow_factory() as uow:
        return uow.approvals.flow(subject_kind)


def replace_flow(uow_factory: UowFactory, subject_kind: str, steps: list[FlowStep]) -> list[FlowStep]:
    """The steps new requests of this kind go through; requests under way keep theirs."""
    _known_kind(subject_kind)
    with uow_factory() as uow:
        uow.approvals.replace_flow(subject_kind, steps)
        uow.audit_change("approval_flow", subject_kind, "replaced",
                         {"steps": [{"role": s.role, "min_amount": s.min_amount} for s in steps]})
        uow.commit()
        return steps
