"""The claim rules: who may take which pool leads, how many, and when; each refusal names its rule."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping, Sequence

from leads.domain import POOL, Lead, LeadRuleViolation
from leads.pools import Member, Pool, PoolRules


@dataclass(frozen=True)
class Holdings:
    """Leads someone (a rep, or a team's members together) owns."""

    open: int = 0
    converted: int = 0

    def counted(self, rules: PoolRules) -> int:
        return self.open + (self.converted if rules.count_converted else 0)


@dataclass(frozen=True)
class Standing:
    """What a rep has done today and holds now, read while the rep's claims are serialised."""

    claimed_today: Mapping[str, int] = field(default_factory=dict)  # pool id -> claims since the day began
    own: Holdings = Holdings()
    teams: Mapping[str, Holdings] = field(default_factory=dict)  # team id -> what its members hold


@dataclass(frozen=True)
class StandingNeeds:
    """Which parts of a Standing the rules of the pools involved look at; the others need not be read."""

    claimed_today: bool = False
    own: bool = False
    teams: bool = False

    @classmethod
    def of(cls, rules: Sequence[PoolRules]) -> "StandingNeeds":
        return cls(
            claimed_today=any(rule.daily_claim_quota is not None for rule in rules),
            own=any(rule.max_private_leads is not None for rule in rules),
            teams=any(rule.max_team_leads is not None for rule in rules),
        )


def involved_rules(leads: Sequence[Lead], pools: Mapping[str, Pool]) -> list[PoolRules]:
    return [pools[pool_id].rules for pool_id in sorted({lead.pool_id for lead in leads})]


def check_still_in_pool(leads: Sequence[Lead], pools: Mapping[str, Pool]) -> None:
    """The refusals that need nothing but the leads: too many at once, or one of them taken already.

    Checked before the claimant's lock is taken, so a claim that lost the race hears 409 at once.
    """
    involved = {lead.pool_id: pools[lead.pool_id] for lead in leads}
    batch_limit = min(pool.rules.max_claim_batch for pool in involved.values())
    if len(leads) > batch_limit:
        raise LeadRuleViolation(
            "claim_batch_too_large", f"At most {batch_limit} leads can be claimed at once from this pool.",
            {"lead_ids": [f"At most {batch_limit} leads per claim."]},
        )
    for lead in leads:
        if lead.status != POOL:
            raise LeadRuleViolation("lead_already_claimed", f"Lead {lead.id} has already been claimed.")


def check_claim(leads: Sequence[Lead], pools: Mapping[str, Pool], claimant: Member, standing: Standing,
                now: datetime) -> None:
    """Refuse, naming the first rule broken, unless `claimant` may take all of `leads` at once.

    `standing` need only hold what `StandingNeeds.of` the involved pools' rules asks for.
    """
    check_still_in_pool(leads, pools)
    involved = {lead.pool_id: pools[lead.pool_id] for lead in leads}
    for lead in leads:
        pool = involved[lead.pool_id]
        if not pool.enabled:
            raise LeadRuleViolation("pool_disabled", f"The pool {pool.name} is disabled; its leads cannot be claimed.")
        if not pool.admits(claimant):
            raise LeadRuleViolation("not_a_pool_member", f"You are not a member of the pool {pool.name}.")
        _check_timing(lead, pool, claimant, now)
        if not pool.is_admin(claimant):
            _check_markets(lead, pool, claimant)
    for pool_id, pool in involved.items():
        quota = pool.rules.daily_claim_quota
        wanted = sum(1 for lead in leads if lead.pool_id == pool_id)
        done = standing.claimed_today.get(pool_id, 0)
        if quota is not None and done + wanted > quota:
            raise LeadRuleViolation(
                "daily_claim_quota_reached",
                f"You may claim {quota} leads a day from {pool.name}; you have claimed {done} today.",
                {"quota": quota, "claimed_today": done},
            )
    check_capacity(claimant, standing, [pool.rules for pool in involved.values()], len(leads))


def check_capacity(owner: Member, standing: Standing, rules: Sequence[PoolRules], adding: int) -> None:
    """Refuse if `owner`, or one of their teams, would hold more leads than the pool allows."""
    for rule in rules:
        if rule.max_private_leads is not None:
            held = standing.own.counted(rule)
            if held + adding > rule.max_private_leads:
                raise LeadRuleViolation(
                    "private_capacity_reached",
                    f"A rep may hold {rule.max_private_leads} leads; {owner.user_id} holds {held}.",
                    {"limit": rule.max_private_leads, "held": held},
                )
        if rule.max_team_leads is not None:
            for team_id in sorted(owner.team_ids):
                held = standing.teams.get(team_id, Holdings()).counted(rule)
                if held + adding > rule.max_team_leads:
                    raise LeadRuleViolation(
                        "private_capacity_reached",
                        f"A team may hold {rule.max_team_leads} leads; team {team_id} holds {held}.",
                        {"limit": rule.max_team_leads, "held": held, "team_id": team_id},
                    )


def check_distribution(leads: Sequence[Lead], pool: Pool, distributor: Member, owner: Member,
                       standing: Standing) -> None:
    """Pool admins give any pool lead to anyone in the pool's scope, markets aside, within the owner's capacity."""
    if not pool.is_admin(distributor):
        raise LeadRuleViolation("not_a_pool_admin", f"Only the admins of {pool.name} can distribute its leads.")
    for lead in leads:
        if lead.status != POOL:
            raise LeadRuleViolation("lead_already_claimed", f"Lead {lead.id} has already been claimed.")
        if lead.pool_id != pool.id:
            raise LeadRuleViolation("lead_not_in_pool", f"Lead {lead.id} is not in the pool {pool.name}.")
    if not pool.admits(owner):
        raise LeadRuleViolation(
            "not_a_pool_member", f"{owner.user_id} is not a member of the pool {pool.name}.",
            {"owner_id": ["Not a member of this pool."]},
        )
    check_capacity(owner, standing, [pool.rules], len(leads))


def check_reveal(pool: Pool, reader: Member, opened_today: int, already_opened: bool) -> None:
    """Opening a masked lead costs one of the day's opens, unless this reader opened it today already."""
    if not pool.admits(reader):
        raise LeadRuleViolation("not_a_pool_member", f"You are not a member of the pool {pool.name}.")
    quota = pool.rules.daily_open_quota
    if already_opened or quota is None:
        return
    if opened_today >= quota:
        raise LeadRuleViolation(
            "daily_open_quota_reached", f"You may open {quota} leads a day in {pool.name}; you have used them all.",
            {"quota": quota, "opened_today": opened_today},
        )


def _check_timing(lead: Lead, pool: Pool, claimant: Member, now: datetime) -> None:
    entered = lead.entered_pool_at or lead.created_at
    embargo = timedelta(hours=pool.rules.embargo_hours)
    if embargo and now < entered + embargo:
        raise LeadRuleViolation(
            "public_pool_embargo", f"Lead {lead.id} entered the pool recently; it can be claimed from "
            f"{(entered + embargo).isoformat()}.", {"claimable_from": (entered + embargo).isoformat()},
        )
    cooldown = timedelta(hours=pool.rules.reclaim_cooldown_hours)
    if cooldown and lead.previous_owner_id == claimant.user_id and now < entered + cooldown:
        raise LeadRuleViolation(
            "reclaim_cooldown", f"You had lead {lead.id} until recently; you can claim it again from "
            f"{(entered + cooldown).isoformat()}.", {"claimable_from": (entered + cooldown).isoformat()},
        )


def _check_markets(lead: Lead, pool: Pool, claimant: Member) -> None:
    if claimant.markets:
        if not any(market.covers(lead) for market in claimant.markets):
            raise LeadRuleViolation("outside_your_markets", f"Lead {lead.id} is outside your markets.")
    elif pool.rules.require_market:
        raise LeadRuleViolation(
            "outside_your_markets", f"The pool {pool.name} only lets reps claim within their markets; you have none."
        )
