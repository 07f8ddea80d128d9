"""The use cases of recycling: locks, the preview, and the job that takes idle leads back; the only place of recycling that commits."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Callable, Mapping, Sequence

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.assignment import Assignment, Candidate, Item, Strategy, StrategyName, assign
from crm_shared.auth import SALES_REP, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.scheduler import Every, TimedJob
from leads.config import business_timezone
from leads.domain import CLAIMED, CONVERTED, Lead, LeadRuleViolation
from leads.follow_ups import RECYCLE_WARNING, Reminder
from leads.pools import Member, Pool, public_pool_for
from leads.recycling_repository import Exclusions, owned_counts
from leads.recycling_rules import (
    REASSIGN,
    REMIND_REP_AND_MANAGER,
    Decision,
    Excluded,
    Keep,
    LeadFacts,
    Recycle,
    RecyclePolicy,
    Warn,
    clocks,
    evaluate,
    may_lock,
    warning_key,
)
from leads.service import visible_lead, member_of
from leads.uow import LeadsUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], LeadsUnitOfWork]

BATCH = 500
# How often the job runs and at what local time of day (see the README): nightly at 02:00 business time.
DEFAULT_EVERY_MINUTES = 1440
DEFAULT_AT = "02:00"
JOB_NAME = "leads.recycling.run"
# A batch whose write lost a race (PostgreSQL) is re-applied; the leads that changed are then skipped.
APPLY_ATTEMPTS = 3


def _facts(lead: Lead, excluded: Exclusions) -> LeadFacts:
    return LeadFacts(
        lead_id=lead.id, owner_id=lead.owner_id, status=lead.status,
        # Leads claimed before claimed_at was kept on every hand-over count from their last activity.
        got_at=lead.claimed_at or lead.last_activity_at or lead.created_at,
        last_followed_up_at=lead.last_followed_up_at, converted=lead.status == CONVERTED,
        # Leads have no customer level yet; only the industry overrides of a policy apply.
        level=None, industry=lead.industry, locked=excluded.locked,
        has_open_opportunity=excluded.has_open_opportunity, has_open_ticket=excluded.has_open_ticket,
    )


# -- locks ---------------------------------------------------------------------------------------------


def _owned_lead(uow: LeadsUnitOfWork, lead_id: str, owner: Identity) -> Lead:
    lead, _ = visible_lead(uow, lead_id, member_of(uow, owner))
    if lead.status != CLAIMED or lead.owner_id != owner.user_id:
        raise LeadRuleViolation("not_lead_owner", "Only the rep who owns this lead can lock or unlock it.")
    return lead


def lock_lead(uow_factory: UowFactory, lead_id: str, owner: Identity) -> dict:
    """The owner keeps a lead out of recycling, within their pool's `max_locked_per_rep`."""
    now = utc_now()
    with uow_factory() as uow:
        # One lock request per rep at a time, so two cannot both take the last free lock.
        uow.claimants.lock(owner.user_id, ())
        lead = _owned_lead(uow, lead_id, owner)
        pool = uow.pools.get(lead.pool_id)
        policy = pool.rules.recycle
        limit = policy.max_locked_per_rep if policy else 0
        held = uow.recycling.locked_count(owner.user_id, pool.id)
        if uow.recycling.locked_by(lead.id) != owner.user_id:
            if policy is None or not may_lock(policy, held):
                why = (f"The pool {pool.name} recycles nothing, so its leads need no lock." if policy is None
                       else f"You may lock {limit} leads of {pool.name} against recycling; you have locked {held}.")
                raise LeadRuleViolation("lock_limit_reached", why, {"limit": limit, "locked": held})
            uow.recycling.lock(lead.id, owner.user_id, now)
            uow.audit_change("lead", lead.id, "locked", {"pool_id": pool.id})
            held += 1
        uow.commit()
        return {"lead_id": lead.id, "locked": True, "locked_count": held, "limit": limit}


def unlock_lead(uow_factory: UowFactory, lead_id: str, owner: Identity) -> dict:
    """The owner lets the recycle rules apply to the lead again; unlocking an unlocked lead changes nothing."""
    with uow_factory() as uow:
        lead = _owned_lead(uow, lead_id, owner)
        pool = uow.pools.get(lead.pool_id)
        if uow.recycling.locked_by(lead.id) is not None:
            uow.recycling.unlock(lead.id)
            uow.audit_change("lead", lead.id, "unlocked", {"pool_id": pool.id})
        held = uow.recycling.locked_count(owner.user_id, pool.id)
        uow.commit()
        limit = pool.rules.recycle.max_locked_per_rep if pool.rules.recycle else 0
        return {"lead_id": lead.id, "locked": False, "locked_count": held, "limit": limit}


# -- the preview -----------------------------------------------------------------------------------------


def _decision_name(decision: Decision) -> str:
    if isinstance(decision, Recycle):
        return "recycle"
    if isinstance(decision, Warn):
        return decision.action
    if isinstance(decision, Excluded):
        return "excluded"
    return "keep"


def _explained(policy: RecyclePolicy, lead: Lead, facts: LeadFacts, decision: Decision, at: datetime) -> dict:
    rule = reason = days = days_left = None
    if isinstance(decision, Excluded):
        reason = decision.reason_code
    elif isinstance(decision, (Recycle, Warn)):
        rule, reason = decision.rule, decision.reason
        counted = {clock.rule: clock for clock in clocks(policy, facts, at, business_timezone())}
        leading = counted.get(decision.rule.split("+")[0]) if isinstance(decision, Warn) else None
        if isinstance(decision, Recycle):
            days = max((finding.days for finding in decision.findings), default=None)
            days_left = 0
        elif leading is not None:
            days, days_left = leading.days, decision.days_left
    return {"lead_id": lead.id, "company": lead.company, "owner_id": lead.owner_id,
            "decision": _decision_name(decision), "rule": rule, "reason": reason, "days": days,
            "days_left": days_left}


def recycle_preview(uow_factory: UowFactory, pool_id: str, viewer: Identity, at: datetime | None = None,
                    unsaved_policy: dict | None = None) -> dict:
    """What the pool's policy would recycle, reassign or warn about at `at` (default now), and why; changes nothing.

    With `unsaved_policy` (a policy being edited, checked as saving checks it: 422 naming the bad key), that
    policy is evaluated on the pool's leads instead of the saved one.
    """
    at = (at or utc_now()).astimezone(timezone.utc)
    with uow_factory() as uow:
        pool = uow.pools.get(pool_id)
        member = member_of(uow, viewer)
        if pool is None or not pool.admits(member):
            raise NotFound("pool", pool_id)
        if not pool.is_admin(member):
            raise LeadRuleViolation("not_a_pool_admin", f"Only the admins of {pool.name} can preview its recycling.")
        policy = pool.rules.recycle if unsaved_policy is None else RecyclePolicy.from_dict(unsaved_policy)
        items, kept, after = [], 0, ""
        while policy is not None:
            batch = uow.recycling.owned_in_pool(pool.id, after, BATCH)
            excluded = uow.recycling.exclusions({lead.id: lead for lead in batch})
            for lead in batch:
                facts = _facts(lead, excluded[lead.id])
                decision = evaluate(policy, facts, at, business_timezone())
                if isinstance(decision, Keep):
                    kept += 1
                else:
                    items.append(_explained(policy, lead, facts, decision, at))
            if len(batch) < BATCH:
                break
            after = batch[-1].id
    counts = {name: sum(1 for item in items if item["decision"] == name)
              for name in ("recycle", "reassign", "remind_rep", "remind_rep_and_manager", "excluded")}
    return {"pool_id": pool.id, "at": at, "policy": policy.to_dict() if policy else None,
            "counts": {**counts, "keep": kept}, "items": items}


# -- the job -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """A decision taken on a lead as it was read: applied only if the lead has not changed since."""

    facts: LeadFacts
    decision: Recycle | Warn
    version: int


@dataclass
class RecycleReport:
    recycled: list[str] = field(default_factory=list)
    reassigned: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # changed between evaluation and update


def _evaluate_batch(uow_factory: UowFactory, pool_id: str, after: str, limit: int,
                    now: datetime) -> tuple[list[Planned], str | None, int]:
    with uow_factory() as uow:
        pool = uow.pools.get(pool_id)
        policy = pool.rules.recycle if pool else None
        if policy is None:
            return [], None, 0
        batch = uow.recycling.owned_in_pool(pool_id, after, limit)
        excluded = uow.recycling.exclusions({lead.id: lead for lead in batch})
        planned = []
        for lead in batch:
            facts = _facts(lead, excluded[lead.id])
            decision = evaluate(policy, facts, now, business_timezone())
            if isinstance(decision, (Recycle, Warn)):
                planned.append(Planned(facts, decision, lead.version))
        return planned, (batch[-1].id if batch else None), len(batch)


def _unchanged(lead: Lead | None, plan: Planned, excluded: Exclusions | None) -> bool:
    # The version moves on every change to the lead (claim, return, follow-up, distribution); the
    # exclusions live beside it and are read again here, in the writing transaction.
    return (lead is not None and lead.version == plan.version and lead.status == CLAIMED
            and lead.owner_id == plan.facts.owner_id and excluded is not None
            and not (excluded.locked or excluded.has_open_ticket or excluded.has_open_opportunity))


def _owner(uow: LeadsUnitOfWork, user_id: str) -> Member:
    roles, teams = uow.claimants.known(user_id)
    return Member(user_id, roles, teams, tuple(uow.markets.assigned_to(user_id, teams)))


class _Reassigner:
    """Gives a lead to the least-loaded other rep the service knows in the lead's pool, within its capacity."""

    def __init__(self, uow: LeadsUnitOfWork, pool: Pool):
        members = [_owner(uow, user_id) for user_id in uow.recycling.known_people()]
        self.members = [m for m in members if SALES_REP in m.roles and pool.scope.includes(m)]
        self.loads = owned_counts(uow.session, [m.user_id for m in self.members])
        self.capacity = pool.rules.max_private_leads

    def choose(self, lead: Lead) -> Assignment | None:
        candidates = [Candidate(m.user_id, capacity=self.capacity, open_load=self.loads.get(m.user_id, 0))
                      for m in self.members if m.user_id != lead.owner_id]
        outcome = assign(Item(lead.id), candidates, Strategy(StrategyName.LEAST_LOADED))
        if not isinstance(outcome, Assignment):
            return None
        self.loads[outcome.assignee_id] = self.loads.get(outcome.assignee_id, 0) + 1
        self.loads[lead.owner_id] = max(0, self.loads.get(lead.owner_id, 0) - 1)
        return outcome


def _apply(uow_factory: UowFactory, pool_id: str, planned: Sequence[Planned], now: datetime,
           report: RecycleReport) -> None:
    with uow_factory() as uow:
        pool = uow.pools.get(pool_id)
        found = uow.leads.get_many([plan.facts.lead_id for plan in planned])
        excluded = uow.recycling.exclusions(found)
        pools = uow.pools.all()
        reassigner = None
        done = RecycleReport()
        for plan in planned:
            lead = found.get(plan.facts.lead_id)
            if not _unchanged(lead, plan, excluded.get(plan.facts.lead_id)):
                done.skipped.append(plan.facts.lead_id)
                continue
            decision = plan.decision
            if isinstance(decision, Warn) and decision.action == REASSIGN:
                reassigner = reassigner or _Reassigner(uow, pool)
                chosen = reassigner.choose(lead)
                if chosen is not None:
                    lead.reassign(chosen.assignee_id, decision.rule, now)
                    done.reassigned.append(lead.id)
                    continue
                # Nobody else in the pool can take it: the tier's intent (take it from its owner) still holds.
                decision = Recycle(decision.rule, f"{decision.reason}; no other rep of the pool could take it")
            if isinstance(decision, Recycle):
                target = public_pool_for(_owner(uow, lead.owner_id), pools)
                lead.recycle_to(target.id, decision.rule, decision.reason, now)
                done.recycled.append(lead.id)
                continue
            note = decision.reason + (" (tell your manager)" if decision.action == REMIND_REP_AND_MANAGER else "")
            reminder = Reminder.new(kind=RECYCLE_WARNING, lead_id=lead.id, owner_id=lead.owner_id, due_at=now,
                                    now=now, note=note[:1000])
            if uow.recycling.record_warning(warning_key(plan.facts, decision), lead.id, reminder.id, now):
                uow.reminders.add(reminder)
                done.warned.append(lead.id)
        uow.commit()
    for name in ("recycled", "reassigned", "warned", "skipped"):
        getattr(report, name).extend(getattr(done, name))


def run_recycling(uow_factory: UowFactory, now: datetime, batch: int = BATCH,
                  after_evaluation: Callable[[list[Planned]], None] | None = None) -> RecycleReport:
    """Apply every pool's recycle policy at `now`, `batch` leads per transaction; running it again changes nothing.

    Each batch is evaluated, then written in its own transaction, which applies a decision only to a lead
    whose version, owner and exclusions are still as evaluated: a lead claimed, followed up or locked in
    between is left for the next run. `after_evaluation` lets tests act between the two.
    """
    with uow_factory() as uow:
        pool_ids = [pool.id for pool in uow.pools.all() if pool.rules.recycle is not None]
    report = RecycleReport()
    for pool_id in pool_ids:
        after = ""
        while True:
            planned, last_id, count = _evaluate_batch(uow_factory, pool_id, after, batch, now)
            if after_evaluation is not None:
                after_evaluation(planned)
            for attempt in range(APPLY_ATTEMPTS):
                try:
                    _apply(uow_factory, pool_id, planned, now, report)
                    break
                except StaleDataError:
                    # Someone changed one of these leads after we read it; the next attempt skips it.
                    if attempt == APPLY_ATTEMPTS - 1:
                        raise
            if count < batch:
                break
            after = last_id
    return report


def recycle_schedule(environ: Mapping[str, str] | None = None) -> Every:
    """When the job is due: every `CRM_LEADS_RECYCLE_EVERY_MINUTES`, aligned to `CRM_LEADS_RECYCLE_AT` business time.

    The scheduler counts in UTC, so the local time of day becomes a UTC offset using the business zone's
    offset now (a zone with summer time shifts the run by its hour until the worker restarts).
    """
    env = os.environ if environ is None else environ
    minutes = int(env.get("CRM_LEADS_RECYCLE_EVERY_MINUTES", DEFAULT_EVERY_MINUTES))
    if minutes < 1:
        raise ValueError("CRM_LEADS_RECYCLE_EVERY_MINUTES must be at least 1")
    local = time.fromisoformat(env.get("CRM_LEADS_RECYCLE_AT", DEFAULT_AT))
    interval = timedelta(minutes=minutes)
    utc_offset = business_timezone().utcoffset(utc_now()) or timedelta(0)
    at_local = timedelta(hours=local.hour, minutes=local.minute)
    return Every(interval, (at_local - utc_offset) % interval)


def recycle_jobs(uow_factory: UowFactory, environ: Mapping[str, str] | None = None) -> list[TimedJob]:
    """The recycle job, for the worker."""

    def run(due_at: datetime) -> None:
        report = run_recycling(uow_factory, due_at)
        log.info("recycling at %s: %d recycled, %d reassigned, %d warned, %d changed meanwhile",
                 due_at.isoformat(), len(report.recycled), len(report.reassigned), len(report.warned),
                 len(report.skipped))

    return [TimedJob(JOB_NAME, recycle_schedule(environ), run)]
