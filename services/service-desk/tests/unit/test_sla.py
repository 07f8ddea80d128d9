"""A ticket's SLA computed from its history, with the expected deadlines written out: weekend, holiday, pause, reopen."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from service_desk.sla import (
    BREACHED,
    FIRST_RESPONSE,
    MET,
    NEXT_RESPONSE,
    PAUSED,
    RESOLUTION,
    RUNNING,
    WARNING,
    HistoryFact,
    SlaCalendar,
    SlaPolicy,
    compute_sla,
    condition_facts,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS_NINE_TO_SIX = {day: [("09:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
OFFICE = SlaCalendar("cal-office", "Shanghai office", "Asia/Shanghai", WEEKDAYS_NINE_TO_SIX,
                     holidays=(date(2027, 1, 1),))
CALENDARS = {OFFICE.id: OFFICE}


def sh(*parts) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def local(instant: datetime | None) -> datetime | None:
    return None if instant is None else instant.astimezone(SHANGHAI)


def policy(policy_id="standard", first=None, next_=None, resolution=None, **fields) -> SlaPolicy:
    targets = {FIRST_RESPONSE: first, NEXT_RESPONSE: next_, RESOLUTION: resolution}
    return SlaPolicy(id=policy_id, name=policy_id, position=fields.pop("position", 1), targets=targets,
                     calendar_id=fields.pop("calendar_id", OFFICE.id), **fields)


def opened(at) -> HistoryFact:
    return HistoryFact(at=at, kind="opened", to_status="new")


def status(at, to) -> HistoryFact:
    return HistoryFact(at=at, kind="status_changed", to_status=to)


def reply(at, author_kind) -> HistoryFact:
    return HistoryFact(at=at, kind="public_reply", public=True, author_kind=author_kind)


def sla(facts, now, policies, priority="normal", category=None, level=None):
    return compute_sla(facts, priority=priority, category=category, customer_level=level, policies=policies,
                       calendars=CALENDARS, now=now)


# -- weekend and holiday ---------------------------------------------------------------------------------


def test_a_first_response_due_in_four_business_hours_from_friday_evening_is_due_monday_at_half_past_twelve():
    facts = [opened(sh(2026, 12, 4, 17, 30))]
    metric = sla(facts, sh(2026, 12, 7, 10, 0), [policy(first=240)]).metrics[FIRST_RESPONSE]
    assert local(metric.deadline) == sh(2026, 12, 7, 12, 30)
    assert (metric.state, metric.elapsed_minutes, metric.remaining_minutes) == (RUNNING, 90, 150)
    # 80 % of 240 minutes is 192: 30 on Friday, 162 on Monday from 09:00.
    assert local(metric.warning_at) is None
    warned = sla(facts, sh(2026, 12, 7, 11, 45), [policy(first=240)]).metrics[FIRST_RESPONSE]
    assert (warned.state, local(warned.warning_at)) == (WARNING, sh(2026, 12, 7, 11, 42))
    late = sla(facts, sh(2026, 12, 7, 12, 31), [policy(first=240)]).metrics[FIRST_RESPONSE]
    assert (late.state, local(late.breached_at), late.remaining_minutes) == (BREACHED, sh(2026, 12, 7, 12, 30), -1)


def test_new_years_day_is_a_holiday_so_eight_business_hours_from_thursday_afternoon_end_monday_at_three():
    facts = [opened(sh(2026, 12, 31, 16, 0))]
    metric = sla(facts, sh(2026, 12, 31, 16, 5), [policy(resolution=480)]).metrics[RESOLUTION]
    assert local(metric.deadline) == sh(2027, 1, 4, 15, 0)


# -- first response, replies, next response -----------------------------------------------------------------


def test_the_first_agent_public_reply_meets_the_first_response_and_customer_replies_do_not():
    facts = [opened(sh(2026, 12, 7, 9, 0)), reply(sh(2026, 12, 7, 9, 30), "customer"),
             HistoryFact(at=sh(2026, 12, 7, 9, 40), kind="internal_note"), reply(sh(2026, 12, 7, 10, 0), "agent")]
    metric = sla(facts, sh(2026, 12, 8, 9, 0), [policy(first=120)]).metrics[FIRST_RESPONSE]
    assert (metric.state, local(metric.met_at), metric.elapsed_minutes) == (MET, sh(2026, 12, 7, 10, 0), 60)
    assert local(metric.deadline) == sh(2026, 12, 7, 11, 0)


def test_a_first_reply_after_the_deadline_leaves_the_metric_breached_at_the_deadline():
    facts = [opened(sh(2026, 12, 7, 9, 0)), reply(sh(2026, 12, 7, 12, 0), "agent")]
    metric = sla(facts, sh(2026, 12, 8, 9, 0), [policy(first=120)]).metrics[FIRST_RESPONSE]
    assert (metric.state, local(metric.breached_at), metric.met_at) == (BREACHED, sh(2026, 12, 7, 11, 0), None)
    assert local(metric.completed_at) == sh(2026, 12, 7, 12, 0)


def test_each_customer_reply_after_the_first_response_starts_a_next_response_cycle():
    facts = [opened(sh(2026, 12, 7, 9, 0)), reply(sh(2026, 12, 7, 9, 10), "agent"),
             reply(sh(2026, 12, 7, 10, 0), "customer"), reply(sh(2026, 12, 7, 10, 30), "customer"),
             reply(sh(2026, 12, 7, 11, 0), "agent"), reply(sh(2026, 12, 7, 17, 0), "customer")]
    policies = [policy(first=60, next_=120)]
    answered = sla(facts[:5], sh(2026, 12, 7, 12, 0), policies).metrics[NEXT_RESPONSE]
    assert (answered.cycle, answered.state, local(answered.started_at)) == (1, MET, sh(2026, 12, 7, 10, 0))
    assert answered.elapsed_minutes == 60
    waiting = sla(facts, sh(2026, 12, 8, 9, 30), policies).metrics[NEXT_RESPONSE]
    # Started Monday 17:00: one hour on Monday, the second on Tuesday from 09:00.
    assert (waiting.cycle, waiting.state, local(waiting.deadline)) == (2, RUNNING, sh(2026, 12, 8, 10, 0))


def test_no_next_response_is_measured_before_the_first_response():
    facts = [opened(sh(2026, 12, 7, 9, 0)), reply(sh(2026, 12, 7, 9, 30), "customer")]
    assert NEXT_RESPONSE not in sla(facts, sh(2026, 12, 7, 10, 0), [policy(first=60, next_=120)]).metrics


# -- pause and reopen --------------------------------------------------------------------------------------


def test_waiting_for_the_customer_pauses_the_clock_and_the_deadline_moves_by_the_time_paused():
    facts = [opened(sh(2026, 12, 7, 9, 0)), status(sh(2026, 12, 7, 10, 0), "pending_customer")]
    paused = sla(facts, sh(2026, 12, 8, 9, 30), [policy(resolution=480)]).metrics[RESOLUTION]
    assert (paused.state, paused.deadline, paused.elapsed_minutes) == (PAUSED, None, 60)
    facts.append(status(sh(2026, 12, 8, 10, 0), "open"))
    resumed = sla(facts, sh(2026, 12, 8, 10, 5), [policy(resolution=480)]).metrics[RESOLUTION]
    # Eight hours from Monday 09:00 would be Monday 17:00; one hour ran, seven remain from Tuesday 10:00.
    assert (resumed.state, local(resumed.deadline), resumed.elapsed_minutes) == (RUNNING, sh(2026, 12, 8, 17, 0), 65)


def test_a_status_that_is_not_a_pause_status_of_the_policy_does_not_pause_it():
    facts = [opened(sh(2026, 12, 7, 9, 0)), status(sh(2026, 12, 7, 10, 0), "on_hold")]
    metric = sla(facts, sh(2026, 12, 7, 11, 0), [policy(resolution=480, pause_statuses=("pending_customer",))])
    assert metric.metrics[RESOLUTION].state == RUNNING
    assert local(metric.metrics[RESOLUTION].deadline) == sh(2026, 12, 7, 17, 0)


def test_a_reopen_resumes_the_resolution_clock_where_it_stood_in_a_new_cycle():
    facts = [opened(sh(2026, 12, 7, 9, 0)), status(sh(2026, 12, 7, 13, 0), "resolved")]
    resolved = sla(facts, sh(2026, 12, 8, 9, 0), [policy(resolution=480)]).metrics[RESOLUTION]
    assert (resolved.state, local(resolved.met_at), resolved.elapsed_minutes, resolved.cycle) == (
        MET, sh(2026, 12, 7, 13, 0), 240, 1)
    facts.append(HistoryFact(at=sh(2026, 12, 9, 9, 0), kind="reopened", to_status="reopened"))
    reopened = sla(facts, sh(2026, 12, 9, 9, 30), [policy(resolution=480)]).metrics[RESOLUTION]
    # Four hours ran on Monday; the four left run from the reopen on Wednesday 09:00.
    assert (reopened.state, local(reopened.deadline), reopened.cycle) == (RUNNING, sh(2026, 12, 9, 13, 0), 2)
    assert (reopened.met_at, reopened.completed_at, reopened.elapsed_minutes) == (None, None, 270)
    late = sla(facts, sh(2026, 12, 9, 14, 0), [policy(resolution=480)]).metrics[RESOLUTION]
    assert (late.state, local(late.breached_at), late.breach_cycle, late.warning_cycle) == (
        BREACHED, sh(2026, 12, 9, 13, 0), 2, 2)


def test_resolving_stops_a_running_first_response_clock():
    facts = [opened(sh(2026, 12, 7, 9, 0)), status(sh(2026, 12, 7, 9, 20), "resolved")]
    metric = sla(facts, sh(2026, 12, 7, 12, 0), [policy(first=60)]).metrics[FIRST_RESPONSE]
    assert (metric.state, local(metric.met_at)) == (MET, sh(2026, 12, 7, 9, 20))


# -- choosing the policy -----------------------------------------------------------------------------------


def test_when_two_policies_match_the_earliest_deadline_wins_per_metric():
    around_the_clock = policy("vip-24x7", first=600, resolution=600, calendar_id=None, position=2)
    office = policy("office", first=240, resolution=2400, position=1)
    facts = [opened(sh(2026, 12, 4, 17, 30))]
    result = sla(facts, sh(2026, 12, 4, 18, 0), [office, around_the_clock])
    assert (result.metrics[FIRST_RESPONSE].policy_id, local(result.metrics[FIRST_RESPONSE].deadline)) == (
        "vip-24x7", sh(2026, 12, 5, 3, 30))
    facts_monday = [opened(sh(2026, 12, 7, 9, 0))]
    monday = sla(facts_monday, sh(2026, 12, 7, 9, 5), [office, around_the_clock])
    assert monday.metrics[FIRST_RESPONSE].policy_id == "office"
    assert monday.metrics[RESOLUTION].policy_id == "vip-24x7"


def test_policies_match_on_priority_category_and_customer_level_and_inactive_ones_never():
    gold = policy("gold", first=30, customer_levels=("A",), priorities=("high", "urgent"), categories=("billing",))
    fallback = policy("fallback", first=480, position=9)
    facts = [opened(sh(2026, 12, 7, 9, 0))]
    now = sh(2026, 12, 7, 9, 1)
    assert sla(facts, now, [gold, fallback], "high", "billing", "A").metrics[FIRST_RESPONSE].policy_id == "gold"
    assert sla(facts, now, [gold, fallback], "high", "billing", "B").metrics[FIRST_RESPONSE].policy_id == "fallback"
    assert sla(facts, now, [gold, fallback], "normal", "billing", "A").metrics[FIRST_RESPONSE].policy_id == "fallback"
    assert sla(facts, now, [gold, fallback], "high", "other", "A").metrics[FIRST_RESPONSE].policy_id == "fallback"
    assert sla(facts, now, [gold, fallback], "high", "billing", None).metrics[FIRST_RESPONSE].policy_id == "fallback"
    inactive = policy("off", first=5, active=False)
    assert sla(facts, now, [inactive]).metrics == {}


def test_raising_the_priority_selects_the_stricter_policy_from_then_on_and_an_exceeded_target_breaches_at_once():
    normal = policy("normal", first=480, priorities=("normal",))
    urgent = policy("urgent", first=120, priorities=("urgent",))
    facts = [opened(sh(2026, 12, 7, 9, 0)),
             HistoryFact(at=sh(2026, 12, 7, 10, 0), kind="priority_changed", field="priority",
                         old_value="normal", new_value="urgent")]
    soon = sla(facts, sh(2026, 12, 7, 10, 30), [normal, urgent], priority="urgent").metrics[FIRST_RESPONSE]
    assert (soon.policy_id, local(soon.deadline), soon.state) == ("urgent", sh(2026, 12, 7, 11, 0), RUNNING)
    facts[1] = HistoryFact(at=sh(2026, 12, 7, 12, 0), kind="priority_changed", field="priority",
                           old_value="normal", new_value="urgent")
    before_change = sla(facts, sh(2026, 12, 7, 11, 30), [normal, urgent], priority="urgent").metrics[FIRST_RESPONSE]
    assert (before_change.policy_id, before_change.state) == ("normal", RUNNING)
    late = sla(facts, sh(2026, 12, 7, 12, 5), [normal, urgent], priority="urgent").metrics[FIRST_RESPONSE]
    assert (late.state, local(late.breached_at)) == (BREACHED, sh(2026, 12, 7, 12, 0))


def test_lowering_the_priority_after_a_breach_keeps_the_breach():
    normal = policy("normal", first=480, priorities=("normal",))
    urgent = policy("urgent", first=60, priorities=("urgent",))
    facts = [opened(sh(2026, 12, 7, 9, 0)),
             HistoryFact(at=sh(2026, 12, 7, 11, 0), kind="priority_changed", field="priority",
                         old_value="urgent", new_value="normal")]
    metric = sla(facts, sh(2026, 12, 7, 11, 30), [normal, urgent], priority="normal").metrics[FIRST_RESPONSE]
    assert (metric.policy_id, metric.state, local(metric.breached_at)) == ("normal", BREACHED, sh(2026, 12, 7, 10, 0))
    assert local(metric.deadline) == sh(2026, 12, 7, 17, 0)


def test_without_a_matching_policy_nothing_is_measured_and_the_conditions_see_no_state():
    result = sla([opened(sh(2026, 12, 7, 9, 0))], sh(2026, 12, 7, 10, 0), [])
    assert result.metrics == {} and result.state is None and result.next_deadline is None
    assert condition_facts(result) == {"any": {"state": None}}


def test_the_ticket_state_is_its_worst_metric_and_the_next_deadline_its_nearest_running_one():
    facts = [opened(sh(2026, 12, 7, 9, 0))]
    result = sla(facts, sh(2026, 12, 7, 9, 50), [policy(first=60, resolution=480)])
    assert result.state == WARNING
    assert local(result.next_deadline) == sh(2026, 12, 7, 10, 0)
    assert condition_facts(result)[FIRST_RESPONSE]["share"] == round(50 / 60, 4)
    assert condition_facts(result)["any"] == {"state": WARNING}


def test_entries_later_than_now_are_ignored():
    facts = [opened(sh(2026, 12, 7, 9, 0)), reply(sh(2026, 12, 7, 9, 30), "agent")]
    assert sla(facts, sh(2026, 12, 7, 9, 10), [policy(first=60)]).metrics[FIRST_RESPONSE].state == RUNNING


def test_a_next_response_cycle_waiting_when_the_ticket_is_resolved_stops_met():
    facts = [opened(sh(2026, 12, 7, 9, 0)), reply(sh(2026, 12, 7, 9, 10), "agent"),
             reply(sh(2026, 12, 7, 10, 0), "customer"), status(sh(2026, 12, 7, 10, 30), "resolved")]
    metric = sla(facts, sh(2026, 12, 7, 15, 0), [policy(first=60, next_=60)]).metrics[NEXT_RESPONSE]
    assert (metric.state, local(metric.met_at)) == (MET, sh(2026, 12, 7, 10, 30))
