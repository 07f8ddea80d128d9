"""What a claim refuses before any lock, and which counts the rules in force need read under it."""
from datetime import datetime, timezone

import pytest

from leads.claims import StandingNeeds, check_still_in_pool, involved_rules
from leads.domain import Lead, LeadRuleViolation
from leads.pools import LEAD_POOL, Pool, PoolRules, PoolScope

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def a_pool(**rules) -> Pool:
    return Pool.new(name="P", kind=LEAD_POOL, now=NOW, scope=PoolScope(roles=("sales_rep",)), rules=PoolRules(**rules))


def a_lead(pool: Pool) -> Lead:
    lead = Lead.register(company="Acme", contact_name="Li", channel="web", pool_id=pool.id, now=NOW)
    lead.events.clear()
    return lead


def test_a_lead_claimed_already_is_refused_before_any_lock():
    pool = a_pool()
    taken, free = a_lead(pool), a_lead(pool)
    taken.claim("rep-1", NOW)
    check_still_in_pool([free], {pool.id: pool})
    with pytest.raises(LeadRuleViolation) as refused:
        check_still_in_pool([free, taken], {pool.id: pool})
    assert refused.value.code == "lead_already_claimed"


def test_a_batch_too_large_is_named_before_a_lead_claimed_already():
    pool = a_pool(max_claim_batch=1)
    taken = a_lead(pool)
    taken.claim("rep-1", NOW)
    with pytest.raises(LeadRuleViolation) as refused:
        check_still_in_pool([taken, a_lead(pool)], {pool.id: pool})
    assert refused.value.code == "claim_batch_too_large"


def test_only_the_counts_a_rule_limits_are_needed():
    assert StandingNeeds.of([PoolRules()]) == StandingNeeds()
    assert StandingNeeds.of([PoolRules(daily_claim_quota=5)]) == StandingNeeds(claimed_today=True)
    assert StandingNeeds.of([PoolRules(max_private_leads=5)]) == StandingNeeds(own=True)
    assert StandingNeeds.of([PoolRules(), PoolRules(max_team_leads=9)]) == StandingNeeds(teams=True)


def test_the_rules_involved_are_those_of_the_leads_pools():
    open_pool, capped = a_pool(), a_pool(max_team_leads=3)
    pools = {open_pool.id: open_pool, capped.id: capped}
    assert involved_rules([a_lead(open_pool)], pools) == [open_pool.rules]
    assert StandingNeeds.of(involved_rules([a_lead(open_pool), a_lead(capped)], pools)).teams
