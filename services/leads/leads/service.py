"""The use cases of the lead pool: the only place that commits."""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Sequence

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, NotFound
from leads.claims import (
    Holdings,
    Standing,
    StandingNeeds,
    check_claim,
    check_distribution,
    check_reveal,
    check_still_in_pool,
    involved_rules,
)
from leads.config import business_day
from leads.distribution import distribute_new_leads
from leads.domain import POOL, FirstOpportunity, Lead, LeadRuleViolation
from leads.duplicates import refuse_duplicates
from leads.pools import LEAD_POOL, Member, Pool, public_pool_for
from leads.repository import LeadQuery
from leads.uow import LeadsUnitOfWork

UowFactory = Callable[[], LeadsUnitOfWork]


def member_of(uow: LeadsUnitOfWork, identity: Identity) -> Member:
    """The caller as pools see them: token roles and teams plus the markets assigned to them or their teams."""
    markets = uow.markets.assigned_to(identity.user_id, identity.team_ids)
    return Member(identity.user_id, identity.roles, identity.team_ids, tuple(markets))


def _standing(uow: LeadsUnitOfWork, member: Member, now: datetime, needs: StandingNeeds) -> Standing:
    """What the rules in force count of `member`; a count no rule limits is left out (each is a query)."""
    _, day_began = business_day(now)
    teams = {}
    if needs.teams:
        teams = {team: uow.leads.holdings(uow.claimants.team_members(team)) for team in member.team_ids}
    return Standing(
        claimed_today=uow.history.claims_since(member.user_id, day_began) if needs.claimed_today else {},
        own=uow.leads.holdings([member.user_id]) if needs.own else Holdings(),
        teams=teams,
    )


def _may_see(uow: LeadsUnitOfWork, lead: Lead, pool: Pool, member: Member) -> bool:
    # The same rules as `visible_query` puts in SQL: admins everything; anyone their own leads and the
    # pool leads of their pools; a sales manager also the leads of their teams' members.
    if member.sees_every_lead or lead.owner_id == member.user_id or (lead.status == POOL and pool.admits(member)):
        return True
    return lead.owner_id is not None and uow.claimants.in_teams(lead.owner_id, member.overseen_teams)


def visible_lead(uow: LeadsUnitOfWork, lead_id: str, member: Member) -> tuple[Lead, Pool]:
    """The lead and its pool if `member` may see it; 404 otherwise, so ids cannot be probed."""
    lead = uow.leads.get(lead_id)
    if lead is None:
        raise NotFound("lead", lead_id)
    pool = uow.pools.get(lead.pool_id)
    if not _may_see(uow, lead, pool, member):
        # Another team's lead or another pool's: answer as if it did not exist, so ids cannot be probed.
        raise NotFound("lead", lead_id)
    return lead, pool


def _views(uow: LeadsUnitOfWork, leads: Sequence[Lead], pools: dict[str, Pool], member: Member, now: datetime) -> list[dict]:
    """Leads as `member` may see them: public pool leads masked unless opened today."""
    maskable = [l for l in leads if l.status == POOL and pools[l.pool_id].masks_contacts_for(member)]
    day, _ = business_day(now)
    opened = uow.reveals.opened(member.user_id, day, [l.id for l in maskable])
    masked = {l.id for l in maskable} - opened
    return [lead.view(masked=lead.id in masked) for lead in leads]


def visible_query(uow: LeadsUnitOfWork, member: Member, query: LeadQuery) -> tuple[LeadQuery, dict[str, Pool]]:
    """`query` narrowed to what `member` may see, and every pool by id; a pool they are not in is refused."""
    pools = {pool.id: pool for pool in uow.pools.all()}
    if query.pool_id:
        pool = pools.get(query.pool_id)
        if pool is None:
            raise NotFound("pool", query.pool_id)
        if not pool.admits(member):
            raise LeadRuleViolation("not_a_pool_member", f"You are not a member of the pool {pool.name}.")
    if not member.sees_every_lead:
        member_pools = tuple(pool_id for pool_id, pool in pools.items() if pool.admits(member))
        query = LeadQuery(**{**query.__dict__, "visible_pools": member_pools, "visible_to_owner": member.user_id,
                             "visible_teams": tuple(sorted(member.overseen_teams))})
    return query, pools


def lead_views(uow: LeadsUnitOfWork, leads: Sequence[Lead], pools: dict[str, Pool], member: Member) -> list[dict]:
    """Leads as `member` may see them now, masked where the list masks them (for search and export)."""
    return _views(uow, leads, pools, member, utc_now())


def create_lead(uow_factory: UowFactory, fields: dict) -> Lead:
    """A new lead in its pool, refused if it duplicates one; a pool with a distribution rule gives it to a rep at once."""
    fields = dict(fields)
    pool_id = fields.pop("pool_id", None)
    allow_duplicate = fields.pop("allow_duplicate", False)
    with uow_factory() as uow:
        pool = uow.pools.get(pool_id) if pool_id else uow.pools.default(LEAD_POOL)
        if pool is None:
            raise APIError(422, "validation_failed", "There is no such pool.", {"pool_id": ["No pool with this id."]})
        matches = refuse_duplicates(uow, fields, allow_duplicate)
        now = utc_now()
        lead = Lead.register(now=now, pool_id=pool.id, **fields)
        uow.leads.add(lead)
        distribute_new_leads(uow, pool, [lead], now)
        uow.commit()
        # Not stored: the create response reports the (weak, or allowed) duplicates it found.
        lead.duplicates = matches
        return lead


def get_lead(uow_factory: UowFactory, lead_id: str, viewer: Identity) -> dict:
    with uow_factory() as uow:
        member = member_of(uow, viewer)
        lead, pool = visible_lead(uow, lead_id, member)
        return _views(uow, [lead], {pool.id: pool}, member, utc_now())[0]


def list_leads(uow_factory: UowFactory, query: LeadQuery, viewer: Identity) -> tuple[list[dict], int, bool]:
    """A page of the leads `viewer` may see, the number of them (capped) and whether the cap was reached."""
    with uow_factory() as uow:
        member = member_of(uow, viewer)
        query, pools = visible_query(uow, member, query)
        items, total, capped = uow.leads.list(query)
        views = _views(uow, items, pools, member, utc_now())
        # Learn the rep's roles and teams (a no-op unless they changed), so admins can distribute to them.
        uow.claimants.remember(viewer.user_id, viewer.roles, viewer.team_ids, utc_now())
        uow.commit()
        return views, total, capped


def claim_leads(uow_factory: UowFactory, lead_ids: Sequence[str], rep: Identity) -> list[Lead]:
    """All of `lead_ids` or none; exactly one of simultaneous claims of a lead wins, the others get 409."""
    now = utc_now()
    try:
        with uow_factory() as uow:
            found = uow.leads.get_many(lead_ids)
            missing = [lead_id for lead_id in lead_ids if lead_id not in found]
            if missing:
                raise NotFound("lead", missing[0])
            # No visibility check: a rep who lost the race must learn it was claimed (409), not 404.
            leads = [found[lead_id] for lead_id in lead_ids]
            pools = {pool.id: pool for pool in uow.pools.all()}
            # A lead taken already is refused before any lock: most losers of a race end here.
            check_still_in_pool(leads, pools)
            needs = StandingNeeds.of(involved_rules(leads, pools))
            # The rep's lock makes their quota and capacity checks run one at a time; their teams' locks do
            # the same for the team's members, needed only while a team capacity is in force. A lead that
            # changes after it was read here is caught by its version when it is saved (StaleDataError).
            uow.claimants.lock(rep.user_id, rep.team_ids if needs.teams else ())
            uow.claimants.remember(rep.user_id, rep.roles, rep.team_ids, now)
            member = member_of(uow, rep)
            check_claim(leads, pools, member, _standing(uow, member, now, needs), now)
            for lead in leads:
                lead.claim(rep.user_id, now)
            uow.commit()
            return leads
    except StaleDataError as error:
        raise LeadRuleViolation("lead_already_claimed", "Someone else has already claimed this lead.") from error


def reveal_lead(uow_factory: UowFactory, lead_id: str, reader: Identity) -> dict:
    """Show a masked public pool lead in full; the first opening of the day costs one of the day's opens."""
    now = utc_now()
    day, _ = business_day(now)
    with uow_factory() as uow:
        uow.claimants.lock(reader.user_id, ())
        uow.claimants.remember(reader.user_id, reader.roles, reader.team_ids, now)
        member = member_of(uow, reader)
        lead, pool = visible_lead(uow, lead_id, member)
        if lead.status == POOL and pool.masks_contacts_for(member):
            already = bool(uow.reveals.opened(reader.user_id, day, [lead.id]))
            check_reveal(pool, member, uow.reveals.count(reader.user_id, pool.id, day), already)
            if not already:
                uow.reveals.add(reader.user_id, lead.id, pool.id, day, now)
                # Seeing a public pool lead's contacts publishes no event; the audit log still shows who did.
                uow.audit_change("lead", lead.id, "revealed", {"pool_id": pool.id})
        uow.commit()
        return lead.view()


def return_lead(uow_factory: UowFactory, lead_id: str, reason: str, note: str | None, owner: Identity) -> Lead:
    """The owner returns a lead to the public pool their scope points to, with one of its reasons."""
    try:
        with uow_factory() as uow:
            member = member_of(uow, owner)
            lead, _ = visible_lead(uow, lead_id, member)
            target = public_pool_for(member, uow.pools.all())
            lead.return_to(target.id, target.rules.return_reasons, owner.user_id, reason, utc_now(), note)
            uow.commit()
            return lead
    except StaleDataError as error:
        raise LeadRuleViolation("lead_changed", "The lead changed while you were returning it; try again.") from error


def convert_lead(uow_factory: UowFactory, lead_id: str, user: Identity,
                 opportunity: FirstOpportunity | None = None) -> Lead:
    """The owner converts their lead; sales makes the customer (and opens `opportunity`) from the event."""
    try:
        with uow_factory() as uow:
            lead, _ = visible_lead(uow, lead_id, member_of(uow, user))
            lead.convert(user.user_id, utc_now(), opportunity)
            uow.commit()
            return lead
    except StaleDataError as error:
        raise LeadRuleViolation("lead_changed", "The lead changed while you were converting it; try again.") from error


def distribute_leads(uow_factory: UowFactory, pool_id: str, lead_ids: Sequence[str], owner_id: str,
                     distributor: Identity) -> list[Lead]:
    """A pool admin gives pool leads to someone in the pool's scope, all or none."""
    now = utc_now()
    try:
        with uow_factory() as uow:
            pool = uow.pools.get(pool_id)
            if pool is None:
                raise NotFound("pool", pool_id)
            admin = member_of(uow, distributor)
            if not pool.is_admin(admin):
                raise LeadRuleViolation("not_a_pool_admin", f"Only the admins of {pool.name} can distribute its leads.")
            # What we know of the owner comes from their own past requests: roles and teams from their token.
            roles, teams = uow.claimants.known(owner_id)
            uow.claimants.lock(owner_id, teams)
            found = uow.leads.get_many(lead_ids)
            missing = [lead_id for lead_id in lead_ids if lead_id not in found]
            if missing:
                raise NotFound("lead", missing[0])
            leads = [found[lead_id] for lead_id in lead_ids]
            owner = Member(owner_id, roles, teams, tuple(uow.markets.assigned_to(owner_id, teams)))
            standing = _standing(uow, owner, now, StandingNeeds.of([pool.rules]))
            check_distribution(leads, pool, admin, owner, standing)
            for lead in leads:
                lead.distribute(owner_id, distributor.user_id, now)
            uow.commit()
            return leads
    except StaleDataError as error:
        raise LeadRuleViolation("lead_already_claimed", "Someone else has already claimed one of these leads.") from error


def ownership_history(uow_factory: UowFactory, lead_id: str, viewer: Identity) -> list:
    with uow_factory() as uow:
        visible_lead(uow, lead_id, member_of(uow, viewer))
        return uow.history.of_lead(lead_id)
