"""The assignment engine: each strategy, fairness, ties, capacity, filters, relaxation, and every refusal."""
from collections import Counter
from datetime import timedelta

import pytest

from crm_shared.assignment import (
    Assignment,
    AssignmentState,
    Candidate,
    Item,
    NoAssignee,
    NoAssigneeCode,
    Strategy,
    StrategyName,
    assign,
    assign_many,
    relaxation_steps_earned,
    relaxed_requirements,
)

ROUND_ROBIN = Strategy(StrategyName.ROUND_ROBIN)
LEAST_LOADED = Strategy(StrategyName.LEAST_LOADED)
CAPACITY_WEIGHTED = Strategy(StrategyName.CAPACITY_WEIGHTED)
BY_MARKET = Strategy(StrategyName.BY_MARKET)
SKILLS_BASED = Strategy(StrategyName.SKILLS_BASED)
ALL_STRATEGIES = [ROUND_ROBIN, LEAST_LOADED, CAPACITY_WEIGHTED, BY_MARKET, SKILLS_BASED]


def reps(*ids: str, **fields) -> list[Candidate]:
    return [Candidate(id, **fields) for id in ids]


def chosen(outcome) -> str:
    assert isinstance(outcome, Assignment), outcome
    return outcome.assignee_id


def assignees(batch) -> list[str]:
    return [chosen(outcome) for outcome in batch.outcomes]


def an_item_any_strategy_can_take() -> Item:
    return Item(markets={"east"})


# Round robin


def test_round_robin_starts_with_the_smallest_id_and_continues_after_the_cursor():
    candidates = reps("rep-c", "rep-a", "rep-b")
    assert chosen(assign(Item(), candidates, ROUND_ROBIN)) == "rep-a"
    assert chosen(assign(Item(), candidates, ROUND_ROBIN, AssignmentState(cursor="rep-a"))) == "rep-b"
    assert chosen(assign(Item(), candidates, ROUND_ROBIN, AssignmentState(cursor="rep-c"))) == "rep-a"


def test_round_robin_returns_the_new_cursor_for_the_caller_to_persist():
    outcome = assign(Item(), reps("a", "b"), ROUND_ROBIN, AssignmentState(cursor="a"))
    assert outcome.state == AssignmentState(cursor="b")


def test_ten_leads_round_robin_over_three_reps_give_four_three_three():
    batch = assign_many([Item() for _ in range(10)], reps("a", "b", "c"), ROUND_ROBIN)
    assert assignees(batch) == ["a", "b", "c", "a", "b", "c", "a", "b", "c", "a"]
    assert [candidate.open_load for candidate in batch.candidates] == [4, 3, 3]
    assert batch.state == AssignmentState(cursor="a")


def test_round_robin_ignores_load_so_a_busy_rep_still_gets_their_turn():
    candidates = [Candidate("a", open_load=50), Candidate("b", open_load=0)]
    assert chosen(assign(Item(), candidates, ROUND_ROBIN)) == "a"


def test_round_robin_skips_unavailable_reps_and_reps_at_capacity_without_losing_the_rotation():
    candidates = [
        Candidate("a"),
        Candidate("b", available=False),
        Candidate("c", capacity=2, open_load=2),
        Candidate("d"),
    ]
    outcome = assign(Item(), candidates, ROUND_ROBIN, AssignmentState(cursor="a"))
    assert chosen(outcome) == "d"
    assert outcome.reason == "next in rotation after a among 2 available (1 away, 1 at capacity)"


def test_round_robin_continues_in_id_order_when_the_last_assignee_has_left_the_pool():
    outcome = assign(Item(), reps("a", "c"), ROUND_ROBIN, AssignmentState(cursor="b"))
    assert chosen(outcome) == "c"


def test_round_robin_stays_fair_over_many_items_in_one_call_each():
    candidates = reps("a", "b", "c", "d")
    state = AssignmentState()
    counts: Counter[str] = Counter()
    for _ in range(1000):
        outcome = assign(Item(), candidates, ROUND_ROBIN, state)
        counts[chosen(outcome)] += 1
        state = outcome.state
    assert counts == {"a": 250, "b": 250, "c": 250, "d": 250}


def test_the_candidates_order_in_the_list_does_not_change_the_choice():
    forward = reps("a", "b", "c", markets={"east"})
    backward = list(reversed(forward))
    item = an_item_any_strategy_can_take()
    for strategy in ALL_STRATEGIES:
        assert chosen(assign(item, forward, strategy)) == chosen(assign(item, backward, strategy)) == "a"


# Least loaded


def test_least_loaded_chooses_the_candidate_holding_the_fewest_open_items():
    candidates = [Candidate("a", open_load=4), Candidate("b", open_load=2), Candidate("c", open_load=3)]
    outcome = assign(Item(), candidates, LEAST_LOADED)
    assert chosen(outcome) == "b"
    assert outcome.reason == "least loaded (2 open) among 3 available"


def test_a_tie_on_load_goes_to_the_next_in_rotation_after_the_cursor():
    candidates = [Candidate("a", open_load=1), Candidate("b", open_load=1), Candidate("c", open_load=1)]
    outcome = assign(Item(), candidates, LEAST_LOADED, AssignmentState(cursor="b"))
    assert chosen(outcome) == "c"
    assert outcome.reason == "least loaded (1 open, tied with 2 others, next in rotation) among 3 available"


def test_a_tie_on_load_without_a_cursor_goes_to_the_smallest_id():
    assert chosen(assign(Item(), reps("b", "a"), LEAST_LOADED)) == "a"


def test_least_loaded_evens_out_uneven_loads_over_a_batch():
    candidates = [Candidate("a", open_load=5), Candidate("b"), Candidate("c")]
    batch = assign_many([Item() for _ in range(10)], candidates, LEAST_LOADED)
    assert assignees(batch)[:5] == ["b", "c", "b", "c", "b"]
    assert [candidate.open_load for candidate in batch.candidates] == [5, 5, 5]


def test_equal_candidates_under_least_loaded_take_turns_like_round_robin():
    batch = assign_many([Item() for _ in range(6)], reps("a", "b", "c"), LEAST_LOADED)
    assert assignees(batch) == ["a", "b", "c", "a", "b", "c"]


# Capacity weighted


def test_capacity_weighted_chooses_the_lowest_fill_after_taking_the_item():
    candidates = [Candidate("a", capacity=10, open_load=5), Candidate("b", capacity=4, open_load=1)]
    outcome = assign(Item(), candidates, CAPACITY_WEIGHTED)
    assert chosen(outcome) == "b"
    assert outcome.reason == "lowest load for capacity (2 of 4 after taking it) among 2 available"


def test_capacity_weighted_shares_a_batch_in_proportion_to_capacity():
    candidates = [Candidate("a", capacity=10), Candidate("b", capacity=20), Candidate("c", capacity=30)]
    batch = assign_many([Item() for _ in range(30)], candidates, CAPACITY_WEIGHTED)
    assert Counter(assignees(batch)) == {"a": 5, "b": 10, "c": 15}


def test_capacity_weighted_shares_in_proportion_to_weight_when_nobody_has_a_capacity():
    candidates = [Candidate("a", weight=1.0), Candidate("b", weight=2.0), Candidate("c", weight=0.5)]
    batch = assign_many([Item() for _ in range(35)], candidates, CAPACITY_WEIGHTED)
    assert Counter(assignees(batch)) == {"a": 10, "b": 20, "c": 5}
    assert "weight 2" in batch.outcomes[0].reason or "weight 2" in batch.outcomes[1].reason


def test_capacity_weighted_multiplies_capacity_by_weight():
    candidates = [Candidate("a", capacity=10, weight=2.0), Candidate("b", capacity=10)]
    batch = assign_many([Item() for _ in range(9)], candidates, CAPACITY_WEIGHTED)
    assert Counter(assignees(batch)) == {"a": 6, "b": 3}


def test_capacity_weighted_never_exceeds_a_capacity_across_a_batch():
    candidates = [Candidate("a", capacity=2), Candidate("b", capacity=3, open_load=1)]
    batch = assign_many([Item(id=f"lead-{n}") for n in range(6)], candidates, CAPACITY_WEIGHTED)
    assert [candidate.open_load for candidate in batch.candidates] == [2, 3]
    assert Counter(assignment.assignee_id for assignment in batch.assignments) == {"a": 2, "b": 2}
    refused = [outcome for outcome in batch.outcomes if isinstance(outcome, NoAssignee)]
    assert [outcome.item_id for outcome in refused] == ["lead-4", "lead-5"]
    assert {outcome.code for outcome in refused} == {NoAssigneeCode.ALL_AT_CAPACITY}


# By market


def test_by_market_considers_only_candidates_working_in_one_of_the_items_markets():
    candidates = [
        Candidate("a", markets={"west"}),
        Candidate("b", open_load=3, markets={"east"}),
        Candidate("c", open_load=5, markets={"east", "north"}),
    ]
    outcome = assign(Item(markets={"east"}), candidates, BY_MARKET)
    assert chosen(outcome) == "b"
    assert outcome.reason == "least loaded (3 open) among 2 available in market east"


def test_a_lead_in_several_markets_can_go_to_a_rep_of_any_of_them():
    candidates = [
        Candidate("a", open_load=4, markets={"east"}),
        Candidate("b", open_load=1, markets={"south"}),
        Candidate("c", open_load=0, markets={"west"}),
    ]
    outcome = assign(Item(markets={"east", "south"}), candidates, BY_MARKET)
    assert chosen(outcome) == "b"
    assert outcome.reason.endswith("in markets east, south")


def test_by_market_balances_a_batch_within_the_market():
    candidates = [Candidate("a", markets={"east"}), Candidate("b", markets={"east"}), Candidate("c", markets={"west"})]
    batch = assign_many([Item(markets={"east"}) for _ in range(4)], candidates, BY_MARKET)
    assert assignees(batch) == ["a", "b", "a", "b"]


def test_the_other_strategies_ignore_markets():
    candidates = [Candidate("a", markets={"west"})]
    for strategy in (ROUND_ROBIN, LEAST_LOADED, CAPACITY_WEIGHTED, SKILLS_BASED):
        assert chosen(assign(Item(markets={"east"}), candidates, strategy)) == "a"


# Skills based


def test_skills_based_takes_only_candidates_meeting_every_required_level():
    candidates = [
        Candidate("a", skills={"german": 3}),
        Candidate("b", skills={"german": 2, "billing": 5}),
        Candidate("c", open_load=2, skills={"german": 4, "billing": 2}),
    ]
    outcome = assign(Item(required_skills={"german": 3, "billing": 2}), candidates, SKILLS_BASED)
    assert chosen(outcome) == "c"
    assert outcome.relaxed_steps == 0
    assert outcome.reason == "least loaded (2 open) among 1 available with german>=3, billing>=2"


def test_skills_based_picks_the_least_loaded_among_the_skilled():
    candidates = [
        Candidate("a", open_load=3, skills={"billing": 1}),
        Candidate("b", open_load=1, skills={"billing": 2}),
        Candidate("c", open_load=0),
    ]
    assert chosen(assign(Item(required_skills={"billing": 1}), candidates, SKILLS_BASED)) == "b"


@pytest.mark.parametrize(
    "steps, requirement",
    [
        (0, {"german": 3, "billing": 2}),
        (1, {"german": 3, "billing": 1}),
        (2, {"german": 3}),
        (3, {"german": 2}),
        (4, {"german": 1}),
        (5, {}),
        (9, {}),
    ],
)
def test_each_relaxation_step_lowers_the_least_important_skill_by_one_level_then_drops_it(steps, requirement):
    assert relaxed_requirements({"german": 3, "billing": 2}, steps) == requirement


def test_relaxation_steps_are_earned_once_per_full_relax_after_period():
    assert relaxation_steps_earned(timedelta(minutes=29), timedelta(minutes=10)) == 2
    assert relaxation_steps_earned(timedelta(minutes=30), timedelta(minutes=10)) == 3
    assert relaxation_steps_earned(timedelta(hours=5), None) == 0


def test_an_item_nobody_is_skilled_for_waits_until_relax_after_has_passed():
    strategy = Strategy(StrategyName.SKILLS_BASED, relax_after=timedelta(minutes=10))
    candidates = [Candidate("a", skills={"german": 3, "billing": 1})]
    item = Item(required_skills={"german": 3, "billing": 2}, waited=timedelta(minutes=7))
    outcome = assign(item, candidates, strategy)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.NONE_WITH_SKILLS
    assert outcome.next_relaxation_in == timedelta(minutes=3)
    assert outcome.reason == "no candidate has german>=3, billing>=2 (of 1 candidate); the requirement loosens in 3m"


def test_after_the_wait_the_requirement_relaxes_one_step_and_the_reason_says_so():
    strategy = Strategy(StrategyName.SKILLS_BASED, relax_after=timedelta(minutes=10))
    candidates = [Candidate("a", skills={"german": 3, "billing": 1}), Candidate("b", skills={"billing": 2})]
    item = Item(required_skills={"german": 3, "billing": 2}, waited=timedelta(minutes=12))
    outcome = assign(item, candidates, strategy)
    assert chosen(outcome) == "a"
    assert outcome.relaxed_steps == 1
    assert outcome.reason == (
        "least loaded (0 open) among 1 available with german>=3, billing>=1, relaxed 1 step after waiting 12m"
    )


def test_relaxation_keeps_the_most_important_skill_longest():
    strategy = Strategy(StrategyName.SKILLS_BASED, relax_after=timedelta(minutes=10))
    candidates = [Candidate("speaks-german", skills={"german": 3}), Candidate("knows-billing", skills={"billing": 2})]
    item = Item(required_skills={"german": 3, "billing": 2}, waited=timedelta(minutes=20))
    assert chosen(assign(item, candidates, strategy)) == "speaks-german"


def test_a_stricter_match_wins_over_a_looser_one_even_when_the_looser_one_holds_less():
    strategy = Strategy(StrategyName.SKILLS_BASED, relax_after=timedelta(minutes=1))
    candidates = [
        Candidate("expert", open_load=9, skills={"billing": 3}),
        Candidate("novice", open_load=0, skills={"billing": 1}),
    ]
    outcome = assign(Item(required_skills={"billing": 3}, waited=timedelta(hours=1)), candidates, strategy)
    assert chosen(outcome) == "expert"
    assert outcome.relaxed_steps == 0


def test_relaxation_also_covers_skilled_candidates_who_are_away_or_full():
    strategy = Strategy(StrategyName.SKILLS_BASED, relax_after=timedelta(minutes=10))
    candidates = [
        Candidate("expert-away", available=False, skills={"billing": 2}),
        Candidate("expert-full", capacity=1, open_load=1, skills={"billing": 2}),
        Candidate("novice", skills={"billing": 1}),
    ]
    waiting = Item(required_skills={"billing": 2}, waited=timedelta(minutes=5))
    refused = assign(waiting, candidates, strategy)
    assert isinstance(refused, NoAssignee)
    assert refused.code == NoAssigneeCode.ALL_AT_CAPACITY
    assert refused.next_relaxation_in == timedelta(minutes=5)
    waited_long_enough = Item(required_skills={"billing": 2}, waited=timedelta(minutes=10))
    assert chosen(assign(waited_long_enough, candidates, strategy)) == "novice"


def test_after_relaxing_every_skill_anyone_can_take_the_item():
    strategy = Strategy(StrategyName.SKILLS_BASED, relax_after=timedelta(minutes=5))
    item = Item(required_skills={"german": 1, "billing": 1}, waited=timedelta(minutes=10))
    outcome = assign(item, [Candidate("anyone")], strategy)
    assert chosen(outcome) == "anyone"
    assert outcome.relaxed_steps == 2
    assert "no skills required" in outcome.reason


def test_without_relax_after_a_skills_requirement_never_relaxes():
    item = Item(required_skills={"german": 1}, waited=timedelta(days=30))
    outcome = assign(item, [Candidate("a")], SKILLS_BASED)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.NONE_WITH_SKILLS
    assert outcome.next_relaxation_in is None


def test_when_nothing_is_left_to_relax_the_refusal_says_so_and_gives_no_retry_time():
    strategy = Strategy(StrategyName.SKILLS_BASED, relax_after=timedelta(minutes=5))
    item = Item(required_skills={"german": 1}, waited=timedelta(minutes=5))
    outcome = assign(item, [Candidate("a", available=False)], strategy)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.NONE_AVAILABLE
    assert outcome.next_relaxation_in is None
    assert outcome.reason == "no candidate with no skills required is available (1 away) even after relaxing 1 step"


# Team restriction


@pytest.mark.parametrize("strategy", ALL_STRATEGIES, ids=lambda strategy: strategy.name)
def test_a_team_restriction_filters_before_every_strategy(strategy):
    candidates = [Candidate("a", markets={"east"}, teams={"sales"}), Candidate("b", markets={"east"}, teams={"emea"})]
    outcome = assign(Item(markets={"east"}, team="emea"), candidates, strategy)
    assert chosen(outcome) == "b"
    assert "in team emea" in outcome.reason


# Every reason nobody can take an item


@pytest.mark.parametrize("strategy", ALL_STRATEGIES, ids=lambda strategy: strategy.name)
def test_with_no_candidates_at_all_the_code_is_no_candidates(strategy):
    outcome = assign(an_item_any_strategy_can_take(), [], strategy)
    assert outcome == NoAssignee(None, NoAssigneeCode.NO_CANDIDATES, "there are no candidates")


def test_when_nobody_is_in_the_items_team_the_code_is_none_in_team():
    outcome = assign(Item(id="t-1", team="billing"), [Candidate("a", teams={"sales"})], LEAST_LOADED)
    assert outcome == NoAssignee("t-1", NoAssigneeCode.NONE_IN_TEAM, "no candidate is in team billing (of 1 candidate)")


def test_when_nobody_works_in_the_items_markets_the_code_is_none_in_market():
    candidates = [Candidate("a", markets={"west"}), Candidate("b", available=False, markets={"north"})]
    outcome = assign(Item(markets={"east"}), candidates, BY_MARKET)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.NONE_IN_MARKET
    assert outcome.reason == "no candidate works in market east (of 2 candidates)"


def test_an_item_in_no_market_cannot_be_assigned_by_market():
    outcome = assign(Item(), [Candidate("a", markets={"east"})], BY_MARKET)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.NONE_IN_MARKET
    assert outcome.reason == "the item belongs to no market"


def test_when_nobody_has_the_skills_the_code_is_none_with_skills():
    outcome = assign(Item(required_skills={"french": 2}), [Candidate("a", skills={"french": 1})], SKILLS_BASED)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.NONE_WITH_SKILLS
    assert outcome.reason == "no candidate has french>=2 (of 1 candidate)"


@pytest.mark.parametrize("strategy", ALL_STRATEGIES, ids=lambda strategy: strategy.name)
def test_when_everyone_is_away_the_code_is_none_available(strategy):
    candidates = [Candidate("a", available=False, markets={"east"}), Candidate("b", available=False, markets={"east"})]
    outcome = assign(an_item_any_strategy_can_take(), candidates, strategy)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.NONE_AVAILABLE
    assert "(2 away)" in outcome.reason


@pytest.mark.parametrize("strategy", ALL_STRATEGIES, ids=lambda strategy: strategy.name)
def test_when_everyone_available_is_full_the_code_is_all_at_capacity(strategy):
    candidates = [
        Candidate("a", capacity=3, open_load=3, markets={"east"}),
        Candidate("b", capacity=0, markets={"east"}),
        Candidate("c", available=False, markets={"east"}),
    ]
    outcome = assign(an_item_any_strategy_can_take(), candidates, strategy)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.ALL_AT_CAPACITY
    assert outcome.reason.startswith("every available candidate")
    assert outcome.reason.endswith("is at capacity (1 away, 2 at capacity)")


def test_a_market_refusal_names_the_market_when_its_reps_are_away():
    outcome = assign(Item(markets={"east"}), [Candidate("a", available=False, markets={"east"})], BY_MARKET)
    assert outcome == NoAssignee(
        None, NoAssigneeCode.NONE_AVAILABLE, "no candidate in market east is available (1 away)"
    )


def test_the_skills_filter_reports_skilled_candidates_who_are_away_as_none_available():
    candidates = [Candidate("a", available=False, skills={"billing": 2}), Candidate("b")]
    outcome = assign(Item(required_skills={"billing": 2}), candidates, SKILLS_BASED)
    assert isinstance(outcome, NoAssignee)
    assert outcome.code == NoAssigneeCode.NONE_AVAILABLE
    assert outcome.reason == "no candidate with billing>=2 is available (1 away)"


def test_the_codes_are_stable_strings():
    assert {code.value for code in NoAssigneeCode} == {
        "no_candidates",
        "none_in_team",
        "none_in_market",
        "none_with_skills",
        "none_available",
        "all_at_capacity",
    }


# Batches


def test_a_batch_respects_capacity_and_refuses_the_rest_in_order():
    candidates = [Candidate("a", capacity=2), Candidate("b", capacity=1)]
    batch = assign_many([Item(id=str(n)) for n in range(5)], candidates, ROUND_ROBIN)
    kinds = [(outcome.item_id, getattr(outcome, "assignee_id", None)) for outcome in batch.outcomes]
    assert kinds == [("0", "a"), ("1", "b"), ("2", "a"), ("3", None), ("4", None)]
    assert batch.state == AssignmentState(cursor="a")


def test_a_batch_leaves_the_callers_candidates_unchanged():
    candidates = reps("a", "b")
    batch = assign_many([Item(), Item()], candidates, LEAST_LOADED)
    assert [candidate.open_load for candidate in candidates] == [0, 0]
    assert [candidate.open_load for candidate in batch.candidates] == [1, 1]


def test_a_batch_continues_the_rotation_from_the_state_passed_in():
    batch = assign_many([Item(), Item()], reps("a", "b", "c"), ROUND_ROBIN, AssignmentState(cursor="b"))
    assert assignees(batch) == ["c", "a"]


def test_a_refused_item_does_not_move_the_cursor():
    candidates = [Candidate("a", markets={"east"}), Candidate("b", markets={"west"})]
    items = [Item(markets={"east"}), Item(markets={"north"}), Item(markets={"west"})]
    batch = assign_many(items, candidates, BY_MARKET)
    assert isinstance(batch.outcomes[1], NoAssignee)
    assert batch.state == AssignmentState(cursor="b")


def test_an_empty_batch_returns_the_state_unchanged():
    batch = assign_many([], reps("a"), ROUND_ROBIN, AssignmentState(cursor="a"))
    assert batch.outcomes == ()
    assert batch.state == AssignmentState(cursor="a")


# Inputs the engine refuses


def test_a_strategy_can_be_named_by_its_stored_string():
    assert Strategy("least_loaded").name is StrategyName.LEAST_LOADED


@pytest.mark.parametrize(
    "build",
    [
        lambda: Strategy("fastest_typist"),
        lambda: Strategy(StrategyName.ROUND_ROBIN, relax_after=timedelta(minutes=5)),
        lambda: Strategy(StrategyName.SKILLS_BASED, relax_after=timedelta(0)),
        lambda: Candidate("a", capacity=-1),
        lambda: Candidate("a", open_load=-1),
        lambda: Candidate("a", weight=0),
        lambda: Candidate("a", weight=float("nan")),
        lambda: Candidate("a", skills={"german": -1}),
        lambda: Candidate(42),
        lambda: Candidate(""),
        lambda: Item(waited=timedelta(seconds=-1)),
        lambda: Item(required_skills={"german": 1.5}),
    ],
)
def test_nonsense_inputs_are_refused_when_built(build):
    with pytest.raises(ValueError):
        build()


def test_the_same_candidate_listed_twice_is_refused():
    with pytest.raises(ValueError, match="listed twice"):
        assign(Item(), reps("a", "a"), ROUND_ROBIN)


def test_candidates_and_items_are_immutable_values():
    skills = {"german": 2}
    candidate = Candidate("a", skills=skills, markets=["east"], teams=("emea",))
    skills["german"] = 5
    assert candidate.skills == {"german": 2}
    assert candidate.markets == frozenset({"east"})
    with pytest.raises(TypeError):
        candidate.skills["german"] = 9
