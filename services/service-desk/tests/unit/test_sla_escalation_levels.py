"""Which escalation levels of a policy a ticket has reached: a share of the target in business time, the breach,
only while the metric runs, and per cycle of the resolution clock."""
from datetime import datetime, timedelta, timezone

from service_desk.sla import (
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    RESOLUTION,
    EscalationLevel,
    HistoryFact,
    SlaPolicy,
    compute_sla,
    due_escalations,
)

OPENED = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
AT_HALF = EscalationLevel(50, RESOLUTION, ("notify_assignee",))
AT_BREACH = EscalationLevel("breach", FIRST_RESPONSE, ("notify_manager",))
POLICY = SlaPolicy(id="p", name="Around the clock", position=1,
                   targets={FIRST_RESPONSE: 60, NEXT_RESPONSE: None, RESOLUTION: 600},
                   escalation_levels=(AT_HALF, AT_BREACH))


def due(facts, minutes: int) -> list[tuple[str, int]]:
    sla = compute_sla(facts, priority="normal", category=None, customer_level=None, policies=[POLICY], calendars={},
                      now=OPENED + timedelta(minutes=minutes))
    return [(level.key, cycle) for _, level, cycle in due_escalations(sla, {POLICY.id: POLICY})]


def test_a_share_level_is_reached_at_its_share_of_the_target_and_a_breach_level_at_the_breach():
    facts = [HistoryFact(at=OPENED, kind="opened", to_status="new")]
    assert due(facts, 59) == []
    assert due(facts, 60) == [("breach", 1)]  # the SLA counts a metric breached at its deadline
    assert sorted(due(facts, 300)) == [("50", 1), ("breach", 1)]


def test_a_met_target_reaches_nothing_and_a_reopen_starts_the_next_cycle():
    replied = HistoryFact(at=OPENED + timedelta(minutes=30), kind="public_reply", public=True, author_kind="agent")
    resolved = HistoryFact(at=OPENED + timedelta(minutes=400), kind="status_changed", to_status="resolved")
    reopened = HistoryFact(at=OPENED + timedelta(minutes=500), kind="reopened", to_status="reopened")
    facts = [HistoryFact(at=OPENED, kind="opened", to_status="new"), replied]
    assert due(facts, 200) == []
    assert due([*facts, resolved], 450) == []
    # The resolution clock resumes where it stood (400 minutes, past half): the level is due again, in cycle 2.
    assert due([*facts, resolved, reopened], 510) == [("50", 2)]
