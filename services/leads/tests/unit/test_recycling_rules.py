"""The recycle rules on plain facts: conditions, thresholds, exclusions, warnings, tiers, day counting, validation."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from leads.recycling_rules import (
    BUSINESS_TZ, Excluded, InvalidRecyclePolicy, Keep, LeadFacts, RecyclePolicy, Recycle, Tier, Warn, clocks,
    days_between, evaluate, may_lock, preview, to_reassign, to_recycle, to_remind, warning_key,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 10:00 in Shanghai, 02:00 UTC: far from either midnight, so "N days later" is unambiguous.
CLAIMED = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def policy(**settings) -> RecyclePolicy:
    return RecyclePolicy.from_dict(settings)


def lead(**facts) -> LeadFacts:
    defaults = dict(lead_id="lead-1", owner_id="rep-1", status="claimed", got_at=CLAIMED, level="C")
    return LeadFacts(**{**defaults, **facts})


def day(n: int, hour: int = 2) -> datetime:
    """`n` days after the claim, at `hour` UTC."""
    return CLAIMED + timedelta(days=n, hours=hour - 2)


# -- each condition alone --------------------------------------------------------------------------


def test_a_lead_without_a_follow_up_for_longer_than_the_limit_is_recycled_naming_the_rule_and_the_limit():
    decision = evaluate(policy(no_follow_up_days={"default": 7, "by_level": {"C": 7}}), lead(), day(9))
    assert decision == Recycle("no_follow_up_days", "no follow-up for 9 days (limit 7 for level C)",
                               decision.findings)
    assert [(f.rule, f.days, f.limit, f.basis) for f in decision.findings] == [("no_follow_up_days", 9, 7, "level C")]


def test_a_lead_within_its_follow_up_limit_is_kept_with_the_days_left():
    decision = evaluate(policy(no_follow_up_days=7), lead(), day(4))
    assert decision == Keep("no follow-up for 4 days (limit 7 by default): 3 days left", 3)


def test_a_lead_is_recycled_on_the_day_its_limit_is_reached():
    assert isinstance(evaluate(policy(no_follow_up_days=7), lead(), day(6)), Keep)
    assert isinstance(evaluate(policy(no_follow_up_days=7), lead(), day(7)), Recycle)


def test_a_follow_up_restarts_the_no_follow_up_clock():
    decision = evaluate(policy(no_follow_up_days=7), lead(last_followed_up_at=day(5)), day(9))
    assert decision == Keep("no follow-up for 4 days (limit 7 by default): 3 days left", 3)


def test_a_lead_claimed_recently_with_an_old_follow_up_counts_from_the_claim():
    old_follow_up_by_the_previous_owner = CLAIMED - timedelta(days=30)
    decision = evaluate(policy(no_follow_up_days=7), lead(last_followed_up_at=old_follow_up_by_the_previous_owner),
                        day(2))
    assert decision == Keep("no follow-up for 2 days (limit 7 by default): 5 days left", 5)


def test_a_lead_not_converted_within_the_limit_is_recycled_even_when_followed_up_yesterday():
    decision = evaluate(policy(not_converted_days=30), lead(last_followed_up_at=day(30)), day(31))
    assert (decision.rule, decision.reason) == ("not_converted_days", "not converted for 31 days (limit 30 by default)")


# -- any / all -------------------------------------------------------------------------------------

BOTH = dict(no_follow_up_days=7, not_converted_days=30)


def test_with_any_one_met_condition_is_enough():
    decision = evaluate(policy(combine="any", **BOTH), lead(), day(8))
    assert isinstance(decision, Recycle) and decision.rule == "no_follow_up_days"


def test_with_any_every_met_condition_is_named():
    decision = evaluate(policy(combine="any", **BOTH), lead(), day(31))
    assert decision.rule == "no_follow_up_days+not_converted_days"
    assert decision.reason == ("no follow-up for 31 days (limit 7 by default) "
                               "and not converted for 31 days (limit 30 by default)")


def test_with_all_one_met_condition_is_not_enough_and_the_last_clock_decides_the_days_left():
    decision = evaluate(policy(combine="all", **BOTH), lead(), day(8))
    assert decision == Keep("not converted for 8 days (limit 30 by default): 22 days left", 22)


def test_with_all_the_lead_is_recycled_once_every_condition_is_met():
    followed_up_long_ago = evaluate(policy(combine="all", **BOTH), lead(last_followed_up_at=day(20)), day(30))
    assert isinstance(followed_up_long_ago, Recycle)
    assert followed_up_long_ago.rule == "no_follow_up_days+not_converted_days"
    followed_up_lately = evaluate(policy(combine="all", **BOTH), lead(last_followed_up_at=day(28)), day(30))
    assert isinstance(followed_up_lately, Keep) and followed_up_lately.days_left == 5


def test_any_is_the_default_combination():
    assert policy(no_follow_up_days=7).combine == "any"


# -- thresholds by level and industry ----------------------------------------------------------------

BY_LEVEL_AND_INDUSTRY = {"default": 7, "by_level": {"A": 30, "B": 14}, "by_industry": {"manufacturing": 21}}


@pytest.mark.parametrize("level, industry, limit, basis", [
    ("A", None, 30, "level A"),
    ("B", None, 14, "level B"),
    ("C", None, 7, "default"),
    (None, None, 7, "default"),
    ("C", "manufacturing", 21, "industry manufacturing"),
    ("C", "retail", 7, "default"),
])
def test_the_limit_follows_the_customer_level_or_industry_else_the_default(level, industry, limit, basis):
    [clock] = clocks(policy(no_follow_up_days=BY_LEVEL_AND_INDUSTRY), lead(level=level, industry=industry), day(1))
    assert (clock.limit, clock.basis) == (limit, basis)


def test_when_level_and_industry_both_set_a_limit_the_larger_more_lenient_one_wins():
    rules = policy(no_follow_up_days=BY_LEVEL_AND_INDUSTRY)
    [level_a] = clocks(rules, lead(level="A", industry="manufacturing"), day(1))
    [level_b] = clocks(rules, lead(level="B", industry="manufacturing"), day(1))
    assert (level_a.limit, level_a.basis) == (30, "level A")
    assert (level_b.limit, level_b.basis) == (21, "industry manufacturing")


def test_a_level_a_lead_outlives_the_default_limit():
    rules = policy(no_follow_up_days=BY_LEVEL_AND_INDUSTRY)
    assert isinstance(evaluate(rules, lead(level="C"), day(8)), Recycle)
    assert isinstance(evaluate(rules, lead(level="A"), day(8)), Keep)
    assert evaluate(rules, lead(level="A"), day(30)).reason == "no follow-up for 30 days (limit 30 for level A)"


def test_the_not_converted_condition_takes_the_same_shape_of_thresholds():
    rules = policy(not_converted_days={"default": 30, "by_industry": {"manufacturing": 60}})
    assert isinstance(evaluate(rules, lead(industry="manufacturing"), day(45)), Keep)
    assert isinstance(evaluate(rules, lead(industry="retail"), day(45)), Recycle)


# -- exclusions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("facts, code", [
    (dict(locked=True), "locked"),
    (dict(has_open_opportunity=True), "open_opportunity"),
    (dict(has_open_ticket=True), "open_ticket"),
    (dict(status="pool", owner_id=None, got_at=None), "not_owned"),
    (dict(owner_id=None), "not_owned"),
    (dict(status="converted"), "converted"),
    (dict(converted=True), "converted"),
])
def test_an_excluded_lead_is_never_recycled_however_idle(facts, code):
    assert evaluate(policy(no_follow_up_days=7), lead(**facts), day(100)) == Excluded(code)


def test_exclusions_are_checked_in_a_fixed_order():
    everything = lead(locked=True, has_open_opportunity=True, has_open_ticket=True)
    assert evaluate(policy(no_follow_up_days=7), everything, day(100)) == Excluded("locked")
    assert evaluate(policy(no_follow_up_days=7), replace(everything, locked=False), day(100)) == \
        Excluded("open_opportunity")


def test_a_rep_may_lock_leads_up_to_the_pools_limit_and_none_by_default():
    assert may_lock(policy(no_follow_up_days=7, max_locked_per_rep=2), 1)
    assert not may_lock(policy(no_follow_up_days=7, max_locked_per_rep=2), 2)
    assert not may_lock(policy(no_follow_up_days=7), 0)


# -- warnings ----------------------------------------------------------------------------------


def test_the_rep_is_warned_n_days_before_the_limit_and_every_night_after_until_it():
    rules = policy(no_follow_up_days=7, warn_days_before=3)
    assert isinstance(evaluate(rules, lead(), day(3)), Keep)
    warnings = [evaluate(rules, lead(), day(n)) for n in (4, 5, 6)]
    assert [(w.action, w.days_left, w.rule, w.tier) for w in warnings] == [
        ("remind_rep", 3, "no_follow_up_days", None),
        ("remind_rep", 2, "no_follow_up_days", None),
        ("remind_rep", 1, "no_follow_up_days", None),
    ]
    assert warnings[0].reason == "no follow-up for 4 days (limit 7 by default): remind the rep, 3 days left"
    assert isinstance(evaluate(rules, lead(), day(7)), Recycle)


def test_the_nightly_warnings_of_one_period_share_one_key_so_the_rep_hears_once():
    rules = policy(no_follow_up_days=7, warn_days_before=3)
    keys = {warning_key(lead(), evaluate(rules, lead(), day(n))) for n in (4, 5, 6)}
    assert keys == {"lead-1:2026-03-02T02:00:00+00:00:no_follow_up_days:warn:remind_rep"}


def test_a_new_owner_or_a_follow_up_starts_a_period_with_its_own_warning_key():
    rules = policy(no_follow_up_days=7, warn_days_before=3)
    first = warning_key(lead(), evaluate(rules, lead(), day(5)))
    new_owner = lead(owner_id="rep-2", got_at=day(10))
    followed_up = lead(last_followed_up_at=day(3))
    assert warning_key(new_owner, evaluate(rules, new_owner, day(15))) != first
    assert warning_key(followed_up, evaluate(rules, followed_up, day(8))) != first


TIERED = dict(no_follow_up_days=7, tiers=[
    {"day": 3, "action": "remind_rep"},
    {"day": 5, "action": "remind_rep_and_manager"},
    {"day": 7, "action": "reassign"},
])


@pytest.mark.parametrize("n, action", [
    (2, None), (3, "remind_rep"), (4, "remind_rep"), (5, "remind_rep_and_manager"), (6, "remind_rep_and_manager"),
    (7, "reassign"), (9, "reassign"),
])
def test_tiers_come_in_order_and_a_reassign_tier_on_the_limit_day_beats_recycling(n, action):
    decision = evaluate(policy(**TIERED), lead(), day(n))
    if action is None:
        assert isinstance(decision, Keep)
    else:
        assert (decision.action, decision.days_left) == (action, max(0, 7 - n))


def test_each_tier_has_its_own_warning_key():
    rules = policy(**TIERED)
    keys = [warning_key(lead(), evaluate(rules, lead(), day(n))) for n in (3, 4, 5, 6)]
    assert keys[0] == keys[1] != keys[2] == keys[3]
    assert keys[2].endswith(":no_follow_up_days:day5:remind_rep_and_manager")


def test_a_recycle_tier_recycles_before_the_limit_and_says_so():
    rules = policy(no_follow_up_days=7, tiers=[{"day": 3, "action": "remind_rep"}, {"day": 5, "action": "recycle"}])
    decision = evaluate(rules, lead(), day(5))
    assert decision == Recycle("tiers", "no follow-up for 5 days (limit 7 by default): the tier of day 5 recycles",
                               decision.findings)


def test_a_reminder_tier_on_or_after_the_limit_gives_way_to_recycling():
    rules = policy(no_follow_up_days={"default": 7, "by_level": {"A": 30}},
                   tiers=[{"day": 7, "action": "remind_rep"}, {"day": 10, "action": "remind_rep_and_manager"}])
    assert isinstance(evaluate(rules, lead(level="C"), day(7)), Recycle)
    assert isinstance(evaluate(rules, lead(level="C"), day(10)), Recycle)
    assert evaluate(rules, lead(level="A"), day(10)).action == "remind_rep_and_manager"


def test_with_any_the_tiers_run_on_the_clock_that_runs_out_first():
    rules = policy(no_follow_up_days=7, not_converted_days=9, tiers=[{"day": 5, "action": "remind_rep"}])
    decision = evaluate(rules, lead(last_followed_up_at=day(3)), day(8))
    assert (decision.action, decision.rule, decision.days_left) == ("remind_rep", "not_converted_days", 1)


# -- day boundaries in Asia/Shanghai ----------------------------------------------------------------

# 23:30 on 1 March in Shanghai is 15:30 UTC: Shanghai's midnight falls at 16:00 UTC, UTC's eight hours later.
LATE_EVENING = datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc)


def test_a_day_begins_at_midnight_in_shanghai_not_at_midnight_utc():
    assert days_between(LATE_EVENING, datetime(2026, 3, 1, 15, 59, tzinfo=timezone.utc), SHANGHAI) == 0
    assert days_between(LATE_EVENING, datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc), SHANGHAI) == 1
    morning_in_shanghai = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
    assert days_between(morning_in_shanghai, datetime(2026, 3, 2, 0, 30, tzinfo=timezone.utc), SHANGHAI) == 0
    assert days_between(morning_in_shanghai, datetime(2026, 3, 2, 0, 30, tzinfo=timezone.utc), timezone.utc) == 1


def test_the_deadline_is_the_start_of_the_limit_day_in_shanghai():
    facts = lead(got_at=LATE_EVENING)
    [clock] = clocks(policy(no_follow_up_days=7), facts, LATE_EVENING)
    assert clock.deadline == datetime(2026, 3, 8, 0, 0, tzinfo=SHANGHAI)
    assert isinstance(evaluate(policy(no_follow_up_days=7), facts, clock.deadline - timedelta(seconds=1)), Keep)
    assert isinstance(evaluate(policy(no_follow_up_days=7), facts, clock.deadline), Recycle)


def test_the_same_instants_counted_in_utc_give_a_later_deadline():
    facts = lead(got_at=LATE_EVENING)
    eight_am_in_shanghai_on_the_limit_day = datetime(2026, 3, 8, 0, 0, tzinfo=timezone.utc)
    assert isinstance(evaluate(policy(no_follow_up_days=7), facts, eight_am_in_shanghai_on_the_limit_day), Recycle)
    assert isinstance(evaluate(policy(no_follow_up_days=7), facts, datetime(2026, 3, 7, 23, 0, tzinfo=timezone.utc),
                               tz=timezone.utc), Keep)


def test_asia_shanghai_is_the_default_business_time_zone():
    assert BUSINESS_TZ == SHANGHAI


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="naive"):
        evaluate(policy(no_follow_up_days=7), lead(got_at=datetime(2026, 3, 2)), day(1))


# -- preview and what the job acts on -------------------------------------------------------------------


def test_the_preview_says_what_would_happen_to_each_lead_and_why_and_the_job_selects_from_it():
    rules = policy(**TIERED)
    leads = [lead(lead_id="idle"), lead(lead_id="fresh", got_at=day(6)), lead(lead_id="locked", locked=True),
             lead(lead_id="late", got_at=day(-1))]
    results = preview(rules, leads, day(5))
    assert [(facts.lead_id, type(decision).__name__) for facts, decision in results] == [
        ("idle", "Warn"), ("fresh", "Keep"), ("locked", "Excluded"), ("late", "Warn")]
    assert [(f.lead_id, w.action) for f, w in to_remind(results)] == [("idle", "remind_rep_and_manager"),
                                                                     ("late", "remind_rep_and_manager")]
    assert [f.lead_id for f, _ in to_reassign(preview(rules, leads, day(7)))] == ["idle", "late"]
    recycled = to_recycle(preview(policy(no_follow_up_days=7), leads, day(7)))
    assert [(f.lead_id, f.owner_id, d.rule) for f, d in recycled] == [("idle", "rep-1", "no_follow_up_days"),
                                                                     ("late", "rep-1", "no_follow_up_days")]


def test_running_the_job_twice_recycles_once_because_a_recycled_lead_is_no_longer_owned():
    rules = policy(no_follow_up_days=7)
    assert isinstance(evaluate(rules, lead(), day(8)), Recycle)
    after_the_first_run = lead(status="pool", owner_id=None, got_at=None)
    assert evaluate(rules, after_the_first_run, day(8)) == Excluded("not_owned")


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("settings, key", [
    ({"no_follow_up_days": 7, "grace": 2}, "grace"),
    ({"no_follow_up_days": 7, "combine": "either"}, "combine"),
    ({}, "no_follow_up_days"),
    ({"combine": "all"}, "no_follow_up_days"),
    ({"no_follow_up_days": 0}, "no_follow_up_days"),
    ({"no_follow_up_days": True}, "no_follow_up_days"),
    ({"not_converted_days": "30"}, "not_converted_days"),
    ({"not_converted_days": 7.5}, "not_converted_days"),
    ({"no_follow_up_days": {"by_level": {"A": 30}}}, "no_follow_up_days.default"),
    ({"no_follow_up_days": {"default": 7, "by_region": {}}}, "no_follow_up_days.by_region"),
    ({"no_follow_up_days": {"default": 7, "by_level": {"A": 0}}}, "no_follow_up_days.by_level.A"),
    ({"no_follow_up_days": {"default": 7, "by_industry": ["manufacturing"]}}, "no_follow_up_days.by_industry"),
    ({"no_follow_up_days": 7, "warn_days_before": -1}, "warn_days_before"),
    ({"no_follow_up_days": 7, "max_locked_per_rep": -1}, "max_locked_per_rep"),
    ({"no_follow_up_days": 7, "tiers": {"day": 3}}, "tiers"),
    ({"no_follow_up_days": 7, "tiers": [{"day": 3}]}, "tiers.0"),
    ({"no_follow_up_days": 7, "tiers": [{"day": 0, "action": "remind_rep"}]}, "tiers.0.day"),
    ({"no_follow_up_days": 7, "tiers": [{"day": 3, "action": "email_ceo"}]}, "tiers.0.action"),
    ({"no_follow_up_days": 7, "tiers": [{"day": 3, "action": "remind_rep", "to": "x"}]}, "tiers.0.to"),
    ({"no_follow_up_days": 7, "tiers": [{"day": 5, "action": "remind_rep"}, {"day": 3, "action": "reassign"}]},
     "tiers.1.day"),
    ({"no_follow_up_days": 7, "tiers": [{"day": 3, "action": "reassign"}, {"day": 5, "action": "recycle"}]},
     "tiers.1"),
    ({"no_follow_up_days": 7, "warn_days_before": 2, "tiers": [{"day": 3, "action": "remind_rep"}]},
     "warn_days_before"),
])
def test_a_bad_policy_is_refused_naming_the_bad_key(settings, key):
    with pytest.raises(InvalidRecyclePolicy) as refused:
        RecyclePolicy.from_dict(settings)
    assert refused.value.key == key
    assert (refused.value.status, refused.value.code) == (422, "validation_failed")
    assert list(refused.value.errors) == [key]


def test_a_policy_that_is_not_an_object_is_refused():
    with pytest.raises(InvalidRecyclePolicy, match="Must be an object"):
        RecyclePolicy.from_dict([7])


def test_a_policy_survives_a_round_trip_through_its_dict():
    settings = {"combine": "all", "no_follow_up_days": BY_LEVEL_AND_INDUSTRY, "not_converted_days": 30,
                "warn_days_before": 0, "tiers": TIERED["tiers"], "max_locked_per_rep": 3}
    parsed = RecyclePolicy.from_dict(settings)
    assert parsed.to_dict() == settings
    assert RecyclePolicy.from_dict(parsed.to_dict()) == parsed
    assert parsed.tiers[2] == Tier(7, "reassign")


def test_a_warning_is_a_warn_decision_with_the_tier_that_fired():
    decision = evaluate(policy(**TIERED), lead(), day(5))
    assert isinstance(decision, Warn) and decision.tier == Tier(5, "remind_rep_and_manager")
    assert decision.clock_started_at == CLAIMED
