"""The auto-distribution rule: what a pool may store, and which rep each new lead goes to."""
from collections import Counter

import pytest

from crm_shared.assignment import Assignment, Item, NoAssignee, NoAssigneeCode
from leads.distribution_rules import DistributionRule, InvalidDistributionRule, Rep, plan
from leads.pools import PoolRules


def rule(**data) -> DistributionRule:
    return DistributionRule.from_dict(data)


def owners(result) -> list:
    return [outcome.assignee_id if isinstance(outcome, Assignment) else None for outcome in result.outcomes]


def items(count: int, markets=frozenset()) -> list[Item]:
    return [Item(f"lead-{n}", markets=markets) for n in range(count)]


NO_LIMITS = PoolRules()


# -- the stored rule -----------------------------------------------------------------------------

def test_a_rule_reads_back_what_it_writes_inside_the_pool_rules():
    rules = PoolRules.from_dict({"distribution": {"strategy": "capacity_weighted", "user_ids": ["rep-1", "rep-2"],
                                                  "capacities": {"rep-2": 4}, "default_capacity": 2}})
    assert rules.distribution.capacity_of("rep-1") == 2 and rules.distribution.capacity_of("rep-2") == 4
    assert PoolRules.from_dict(rules.to_dict()) == rules
    assert rules.to_dict()["distribution"] == {"strategy": "capacity_weighted", "user_ids": ["rep-1", "rep-2"],
                                               "capacities": {"rep-2": 4}, "default_capacity": 2}


def test_pools_without_a_rule_and_rules_of_none_distribute_nothing():
    assert PoolRules().distribution is None
    assert PoolRules.from_dict({"distribution": None}).distribution is None
    assert not rule(strategy="none").distributes
    assert rule(strategy="round_robin").distributes


@pytest.mark.parametrize("data, key", [
    ({}, "strategy"),
    ({"strategy": "skills_based"}, "strategy"),
    ({"strategy": "random"}, "strategy"),
    ({"strategy": "round_robin", "rep_ids": ["rep-1"]}, "rep_ids"),
    ({"strategy": "round_robin", "user_ids": []}, "user_ids"),
    ({"strategy": "round_robin", "user_ids": ["rep-1", "rep-1"]}, "user_ids"),
    ({"strategy": "round_robin", "user_ids": "rep-1"}, "user_ids"),
    ({"strategy": "round_robin", "user_ids": ["x" * 37]}, "user_ids"),
    ({"strategy": "round_robin", "capacities": {"rep-1": -1}}, "capacities.rep-1"),
    ({"strategy": "round_robin", "capacities": {"rep-1": True}}, "capacities.rep-1"),
    ({"strategy": "round_robin", "capacities": {"rep-1": 1.5}}, "capacities.rep-1"),
    ({"strategy": "round_robin", "capacities": ["rep-1"]}, "capacities"),
    ({"strategy": "least_loaded", "default_capacity": -3}, "default_capacity"),
    ({"strategy": "capacity_weighted"}, "default_capacity"),
    ({"strategy": "capacity_weighted", "user_ids": ["rep-1", "rep-2"], "capacities": {"rep-1": 3}}, "default_capacity"),
])
def test_a_rule_that_cannot_be_used_is_refused_naming_the_setting(data, key):
    with pytest.raises(InvalidDistributionRule) as refused:
        DistributionRule.from_dict(data)
    assert refused.value.status == 422 and refused.value.code == "validation_failed"
    assert refused.value.key == key
    assert list(refused.value.errors) == [f"rules.distribution.{key}" if key else "rules.distribution"]


def test_a_rule_must_be_an_object():
    with pytest.raises(InvalidDistributionRule):
        DistributionRule.from_dict("round_robin")


def test_capacity_weighted_needs_no_default_when_every_listed_rep_has_a_capacity():
    assert rule(strategy="capacity_weighted", user_ids=["rep-1"], capacities={"rep-1": 3}).capacity_of("rep-1") == 3


# -- choosing ------------------------------------------------------------------------------------

REPS = [Rep("rep-1"), Rep("rep-2"), Rep("rep-3")]


def test_round_robin_takes_turns_and_continues_after_the_last_one_served():
    result = plan(items(7), rule(strategy="round_robin"), NO_LIMITS, REPS, {}, cursor="rep-2")
    assert owners(result) == ["rep-3", "rep-1", "rep-2", "rep-3", "rep-1", "rep-2", "rep-3"]
    assert result.state.cursor == "rep-3"


def test_least_loaded_fills_up_whoever_holds_fewest_open_leads():
    reps = [Rep("rep-1", open=5), Rep("rep-2", open=1), Rep("rep-3", open=2)]
    result = plan(items(5), rule(strategy="least_loaded"), NO_LIMITS, reps, {}, cursor=None)
    assert Counter(owners(result)) == {"rep-2": 3, "rep-3": 2}
    assert {c.id: c.open_load for c in result.candidates} == {"rep-1": 5, "rep-2": 4, "rep-3": 4}


def test_capacity_weighted_shares_leads_in_proportion_to_capacity_and_never_beyond_it():
    weighted = rule(strategy="capacity_weighted", capacities={"rep-1": 6}, default_capacity=2)
    result = plan(items(12), weighted, NO_LIMITS, REPS, {}, cursor=None)
    assert Counter(owners(result)) == {"rep-1": 6, "rep-2": 2, "rep-3": 2, None: 2}
    assert {outcome.code for outcome in result.outcomes if isinstance(outcome, NoAssignee)} == {
        NoAssigneeCode.ALL_AT_CAPACITY}


def test_by_market_gives_a_lead_only_to_reps_of_its_market_and_leaves_the_rest_in_the_pool():
    reps = [Rep("rep-1", market_ids=frozenset({"east"})), Rep("rep-2", market_ids=frozenset({"west"})), Rep("rep-3")]
    by_market = rule(strategy="by_market")
    east = plan(items(2, frozenset({"east"})), by_market, NO_LIMITS, reps, {}, cursor=None)
    assert owners(east) == ["rep-1", "rep-1"]
    nowhere = plan(items(1, frozenset({"north"})) + items(1), by_market, NO_LIMITS, reps, {}, cursor=None)
    assert owners(nowhere) == [None, None]
    assert {outcome.code for outcome in nowhere.outcomes} == {NoAssigneeCode.NONE_IN_MARKET}


def test_the_pools_private_capacity_caps_every_strategy_counting_converted_leads_when_the_pool_does():
    reps = [Rep("rep-1", open=1, converted=2), Rep("rep-2", open=0, converted=0)]
    counted = PoolRules(max_private_leads=3, count_converted=True)
    result = plan(items(6), rule(strategy="round_robin"), counted, reps, {}, cursor=None)
    assert Counter(owners(result)) == {"rep-2": 3, None: 3}
    uncounted = PoolRules(max_private_leads=3)
    result = plan(items(6), rule(strategy="round_robin"), uncounted, reps, {}, cursor=None)
    assert Counter(owners(result)) == {"rep-1": 2, "rep-2": 3, None: 1}


def test_the_rules_own_capacity_and_the_pools_cap_whichever_is_smaller():
    capped = rule(strategy="least_loaded", capacities={"rep-1": 1}, default_capacity=10)
    result = plan(items(10), capped, PoolRules(max_private_leads=2), REPS[:2], {}, cursor=None)
    assert Counter(owners(result)) == {"rep-1": 1, "rep-2": 2, None: 7}


def test_a_team_at_its_cap_gets_nothing_more_even_within_one_batch():
    reps = [Rep("rep-1", team_ids=frozenset({"a"})), Rep("rep-2", team_ids=frozenset({"a"})),
            Rep("rep-3", team_ids=frozenset({"b"}))]
    result = plan(items(9), rule(strategy="round_robin"), PoolRules(max_team_leads=4), reps, {"a": 1, "b": 2},
                  cursor=None)
    given = Counter(owners(result))
    assert given["rep-1"] + given["rep-2"] == 3 and given["rep-3"] == 2 and given[None] == 4


def test_a_rule_listing_reps_gives_only_to_them():
    result = plan(items(4), rule(strategy="round_robin", user_ids=["rep-3", "rep-9"]), NO_LIMITS, REPS, {}, cursor=None)
    assert owners(result) == ["rep-3"] * 4


def test_with_no_candidates_every_lead_stays_in_the_pool():
    result = plan(items(3), rule(strategy="round_robin"), NO_LIMITS, [], {}, cursor="rep-1")
    assert owners(result) == [None, None, None] and result.state.cursor == "rep-1"
