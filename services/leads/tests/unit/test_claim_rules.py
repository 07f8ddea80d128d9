"""Each claim rule on its own, with plain domain objects and no database."""
from datetime import datetime, timedelta, timezone

import pytest

from leads.claims import Holdings, Standing, check_claim, check_distribution, check_reveal
from leads.domain import Lead, LeadRuleViolation
from leads.markets import Market, MarketConditions
from leads.pools import LEAD_POOL, PUBLIC_POOL, Member, Pool, PoolRules, PoolScope, public_pool_for

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
REP = Member("rep-1", frozenset({"sales_rep"}), frozenset({"team-a"}))
MANAGER = Member("manager-1", frozenset({"sales_manager"}))
EAST = Market.new(name="East", now=NOW, conditions=MarketConditions(regions=("华东",)))


def a_pool(kind=LEAD_POOL, **rules) -> Pool:
    return Pool.new(name="P", kind=kind, now=NOW, scope=PoolScope(roles=("sales_rep",)), rules=PoolRules(**rules))


def a_lead(pool: Pool, **facts) -> Lead:
    lead = Lead.register(company="Acme", contact_name="Li", channel="web", pool_id=pool.id, now=NOW, **facts)
    lead.events.clear()
    return lead


def refusal(leads, pool, who=REP, standing=Standing(), now=NOW) -> LeadRuleViolation:
    with pytest.raises(LeadRuleViolation) as refused:
        check_claim(leads, {pool.id: pool}, who, standing, now)
    return refused.value


def test_a_rep_in_scope_may_claim_under_the_default_rules():
    pool = a_pool()
    check_claim([a_lead(pool)], {pool.id: pool}, REP, Standing(), NOW)


def test_a_claimed_lead_is_refused_with_409():
    pool = a_pool()
    lead = a_lead(pool)
    lead.claim("rep-2", NOW)
    error = refusal([lead], pool)
    assert (error.code, error.status) == ("lead_already_claimed", 409)


def test_a_disabled_pool_refuses_claims():
    pool = a_pool()
    pool.enabled = False
    assert refusal([a_lead(pool)], pool).code == "pool_disabled"


def test_someone_outside_the_pools_scope_may_not_claim():
    pool = a_pool()
    outsider = Member("svc-1", frozenset({"service_agent"}))
    error = refusal([a_lead(pool)], pool, who=outsider)
    assert (error.code, error.status) == ("not_a_pool_member", 403)


@pytest.mark.parametrize("scope, member", [
    (PoolScope(user_ids=("rep-1",)), Member("rep-1")),
    (PoolScope(team_ids=("team-a",)), Member("rep-9", team_ids=frozenset({"team-a"}))),
    (PoolScope(roles=("sales_rep",)), Member("rep-9", roles=frozenset({"sales_rep"}))),
    (PoolScope(market_ids=(EAST.id,)), Member("rep-9", markets=(EAST,))),
])
def test_a_pool_admits_listed_users_teams_roles_and_markets(scope, member):
    pool = Pool.new(name="P", kind=LEAD_POOL, now=NOW, scope=scope)
    assert pool.admits(member)
    assert not pool.admits(Member("stranger"))


def test_pool_admins_belong_to_their_pool_whatever_its_scope():
    pool = Pool.new(name="P", kind=LEAD_POOL, now=NOW, admin_ids=["lead-9"])
    assert pool.admits(Member("lead-9")) and pool.is_admin(Member("lead-9"))
    assert pool.is_admin(MANAGER)


def test_a_rep_may_claim_only_within_their_markets():
    pool = a_pool()
    rep = Member("rep-1", frozenset({"sales_rep"}), markets=(EAST,))
    check_claim([a_lead(pool, region="华东")], {pool.id: pool}, rep, Standing(), NOW)
    error = refusal([a_lead(pool, region="华南")], pool, who=rep)
    assert (error.code, error.status) == ("outside_your_markets", 403)


def test_a_rep_without_markets_may_claim_anything_unless_the_pool_requires_a_market():
    open_pool = a_pool()
    check_claim([a_lead(open_pool, region="华南")], {open_pool.id: open_pool}, REP, Standing(), NOW)
    strict = a_pool(require_market=True)
    assert refusal([a_lead(strict)], strict).code == "outside_your_markets"


def test_pool_admins_claim_outside_markets():
    strict = a_pool(require_market=True)
    check_claim([a_lead(strict)], {strict.id: strict}, MANAGER, Standing(), NOW)


def test_market_conditions_match_region_industry_size_and_any_tag():
    market = MarketConditions(regions=("华东",), industries=("制造业",), company_sizes=("50-199",), tags=("vip", "expo"))
    pool = a_pool()
    assert market.match(a_lead(pool, region="华东", industry="制造业", company_size="50-199", tags=["expo"]))
    assert not market.match(a_lead(pool, region="华东", industry="制造业", company_size="50-199", tags=["cold"]))
    assert not market.match(a_lead(pool, region="华东", industry="零售", company_size="50-199", tags=["vip"]))
    assert MarketConditions().match(a_lead(pool))


def test_a_claim_request_may_not_exceed_the_pools_batch_size():
    pool = a_pool(max_claim_batch=2)
    error = refusal([a_lead(pool) for _ in range(3)], pool)
    assert (error.code, error.status) == ("claim_batch_too_large", 422)
    check_claim([a_lead(pool) for _ in range(2)], {pool.id: pool}, REP, Standing(), NOW)


def test_a_rep_cannot_claim_beyond_the_daily_quota():
    pool = a_pool(daily_claim_quota=5)
    check_claim([a_lead(pool)], {pool.id: pool}, REP, Standing(claimed_today={pool.id: 4}), NOW)
    error = refusal([a_lead(pool)], pool, standing=Standing(claimed_today={pool.id: 5}))
    assert (error.code, error.status) == ("daily_claim_quota_reached", 403)
    assert refusal([a_lead(pool), a_lead(pool)], pool, standing=Standing(claimed_today={pool.id: 4})).code == \
        "daily_claim_quota_reached"
    # Claims from another pool do not count.
    check_claim([a_lead(pool)], {pool.id: pool}, REP, Standing(claimed_today={"other": 9}), NOW)


def test_a_rep_cannot_hold_more_leads_than_the_private_capacity():
    pool = a_pool(max_private_leads=3)
    check_claim([a_lead(pool)], {pool.id: pool}, REP, Standing(own=Holdings(open=2, converted=5)), NOW)
    error = refusal([a_lead(pool)], pool, standing=Standing(own=Holdings(open=3)))
    assert (error.code, error.status) == ("private_capacity_reached", 403)


def test_converted_leads_count_towards_capacity_only_if_the_pool_says_so():
    counting = a_pool(max_private_leads=3, count_converted=True)
    error = refusal([a_lead(counting)], counting, standing=Standing(own=Holdings(open=1, converted=2)))
    assert error.code == "private_capacity_reached"


def test_a_team_cannot_hold_more_leads_than_the_team_capacity():
    pool = a_pool(max_team_leads=10)
    check_claim([a_lead(pool)], {pool.id: pool}, REP, Standing(teams={"team-a": Holdings(open=9)}), NOW)
    error = refusal([a_lead(pool)], pool, standing=Standing(teams={"team-a": Holdings(open=10)}))
    assert error.code == "private_capacity_reached" and error.errors["team_id"] == "team-a"


def returned_by(pool: Pool, rep: str, at: datetime) -> Lead:
    lead = a_lead(pool)
    lead.claim(rep, at - timedelta(days=1))
    lead.return_to(pool.id, ["other"], rep, "other", at)
    return lead


def test_the_previous_owner_cannot_reclaim_during_the_cooldown():
    pool = a_pool(PUBLIC_POOL, reclaim_cooldown_hours=24)
    lead = returned_by(pool, "rep-1", NOW)
    error = refusal([lead], pool, now=NOW + timedelta(hours=23))
    assert (error.code, error.status) == ("reclaim_cooldown", 403)
    check_claim([lead], {pool.id: pool}, REP, Standing(), NOW + timedelta(hours=24))
    other = Member("rep-2", frozenset({"sales_rep"}))
    check_claim([lead], {pool.id: pool}, other, Standing(), NOW + timedelta(hours=1))


def test_nobody_claims_a_lead_during_the_public_pool_embargo():
    pool = a_pool(PUBLIC_POOL, embargo_hours=2)
    lead = returned_by(pool, "rep-9", NOW)
    error = refusal([lead], pool, now=NOW + timedelta(minutes=119))
    assert (error.code, error.status) == ("public_pool_embargo", 409)
    check_claim([lead], {pool.id: pool}, REP, Standing(), NOW + timedelta(hours=2))


def test_a_batch_is_refused_whole_if_one_lead_breaks_a_rule():
    pool = a_pool()
    taken = a_lead(pool)
    taken.claim("rep-2", NOW)
    assert refusal([a_lead(pool), taken], pool).code == "lead_already_claimed"


def test_only_pool_admins_distribute_and_only_to_members_within_their_capacity():
    pool = a_pool(max_private_leads=1, require_market=True)
    lead = a_lead(pool)
    with pytest.raises(LeadRuleViolation) as not_admin:
        check_distribution([lead], pool, REP, REP, Standing())
    assert not_admin.value.code == "not_a_pool_admin"
    with pytest.raises(LeadRuleViolation) as outsider:
        check_distribution([lead], pool, MANAGER, Member("svc-1"), Standing())
    assert outsider.value.code == "not_a_pool_member"
    with pytest.raises(LeadRuleViolation) as full:
        check_distribution([lead], pool, MANAGER, REP, Standing(own=Holdings(open=1)))
    assert full.value.code == "private_capacity_reached"
    check_distribution([lead], pool, MANAGER, REP, Standing())  # markets do not bind admins


def test_distribution_takes_only_unclaimed_leads_of_that_pool():
    pool, other = a_pool(), a_pool()
    with pytest.raises(LeadRuleViolation) as elsewhere:
        check_distribution([a_lead(other)], pool, MANAGER, REP, Standing())
    assert elsewhere.value.code == "lead_not_in_pool"


def test_public_pool_contacts_are_masked_for_reps_but_not_for_admins():
    public, lead_pool = a_pool(PUBLIC_POOL), a_pool()
    assert public.masks_contacts_for(REP) and not public.masks_contacts_for(MANAGER)
    assert not lead_pool.masks_contacts_for(REP)


def test_opening_masked_leads_is_limited_per_day_and_reopening_is_free():
    pool = a_pool(PUBLIC_POOL, daily_open_quota=2)
    check_reveal(pool, REP, opened_today=1, already_opened=False)
    with pytest.raises(LeadRuleViolation) as spent:
        check_reveal(pool, REP, opened_today=2, already_opened=False)
    assert (spent.value.code, spent.value.status) == ("daily_open_quota_reached", 403)
    check_reveal(pool, REP, opened_today=2, already_opened=True)


def test_a_returned_lead_goes_to_the_public_pool_matching_its_owner_else_the_default():
    default = Pool.new(name="Default", kind=PUBLIC_POOL, now=NOW, scope=PoolScope(roles=("sales_rep",)))
    default.is_default = True
    team_pool = Pool.new(name="Team A", kind=PUBLIC_POOL, now=NOW + timedelta(seconds=1),
                         scope=PoolScope(team_ids=("team-a",)))
    lead_pool = a_pool()
    assert public_pool_for(REP, [default, team_pool, lead_pool]) is team_pool
    assert public_pool_for(Member("rep-2", frozenset({"sales_rep"})), [default, team_pool]) is default
    team_pool.enabled = False
    assert public_pool_for(REP, [default, team_pool]) is default
