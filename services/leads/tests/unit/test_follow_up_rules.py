"""The rules of follow-ups, reminders, timeline lines, cursors and the agenda, without a database."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crm_shared.envelope import Envelope
from crm_shared.errors import APIError
from crm_shared.testing import contract
from leads.domain import Lead
from leads.follow_ups import (
    DONE,
    NEXT_CONTACT,
    PENDING,
    SNOOZED,
    AgendaWindow,
    Cursor,
    FollowUp,
    FollowUpRuleViolation,
    Reminder,
    customer_created_entry,
    ticket_opened_entry,
    timeline_entries,
)

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def a_follow_up(**changes) -> FollowUp:
    fields = dict(lead_id="lead-1", owner_id="rep-1", author_id="rep-1", kind="call", outcome="Wants a quote",
                  now=NOW, next_step="Send the quote", next_contact_at=NOW + timedelta(days=2))
    return FollowUp.log(**{**fields, **changes})


def test_a_follow_up_with_a_next_contact_time_plans_a_reminder_for_the_leads_owner():
    follow_up = a_follow_up(author_id="manager-1")
    reminder = follow_up.reminder()
    assert (reminder.kind, reminder.owner_id, reminder.lead_id) == (NEXT_CONTACT, "rep-1", "lead-1")
    assert (reminder.due_at, reminder.note, reminder.status) == (NOW + timedelta(days=2), "Send the quote", PENDING)
    assert reminder.source_id == follow_up.id and reminder.published_at is None


def test_a_follow_up_without_a_next_contact_time_or_without_an_owner_plans_no_reminder():
    assert a_follow_up(next_contact_at=None).reminder() is None
    assert a_follow_up(owner_id=None).reminder() is None


@pytest.mark.parametrize("changes, field", [
    ({"kind": "fax"}, "kind"),
    ({"outcome": "   "}, "outcome"),
    ({"next_contact_at": NOW}, "next_contact_at"),
    ({"next_contact_at": NOW - timedelta(hours=1)}, "next_contact_at"),
])
def test_a_follow_up_is_refused_with_the_field_that_is_wrong(changes, field):
    with pytest.raises(APIError) as refused:
        a_follow_up(**changes)
    assert (refused.value.status, refused.value.code, list(refused.value.errors)) == (422, "validation_failed", [field])


def test_logging_a_follow_up_moves_the_leads_last_activity_but_never_back_before_the_claim():
    lead = Lead.register(company="Acme", contact_name="Li", channel="web", pool_id="pool", now=NOW)
    lead.claim("rep-1", NOW + timedelta(days=1))
    assert lead.last_activity_at == NOW + timedelta(days=1) and lead.last_followed_up_at is None
    lead.followed_up(NOW + timedelta(days=3))
    assert lead.last_followed_up_at == lead.last_activity_at == NOW + timedelta(days=3)
    lead.followed_up(NOW + timedelta(days=2))
    assert lead.last_activity_at == NOW + timedelta(days=3)


def a_reminder() -> Reminder:
    return Reminder.new(kind=NEXT_CONTACT, lead_id="lead-1", owner_id="rep-1", due_at=NOW, now=NOW - timedelta(days=1))


def test_completing_a_reminder_twice_is_the_same_as_once():
    reminder = a_reminder()
    reminder.complete(NOW)
    reminder.complete(NOW + timedelta(hours=1))
    assert (reminder.status, reminder.completed_at) == (DONE, NOW)


def test_a_snoozed_reminder_is_due_again_later_and_will_be_announced_again():
    reminder = a_reminder()
    reminder.published_at = NOW
    reminder.snooze(NOW + timedelta(hours=2), NOW)
    assert (reminder.status, reminder.due_at, reminder.published_at) == (SNOOZED, NOW + timedelta(hours=2), None)


def test_a_done_reminder_cannot_be_snoozed_and_nothing_is_snoozed_into_the_past():
    reminder = a_reminder()
    with pytest.raises(APIError) as past:
        reminder.snooze(NOW - timedelta(minutes=1), NOW)
    assert (past.value.status, list(past.value.errors)) == (422, ["until"])
    reminder.complete(NOW)
    with pytest.raises(FollowUpRuleViolation) as done:
        reminder.snooze(NOW + timedelta(hours=1), NOW)
    assert (done.value.status, done.value.code) == (409, "reminder_done")


def event(name: str, **payload) -> Envelope:
    return Envelope.new(name, payload, producer="leads", actor="rep-1", occurred_at=NOW)


def test_every_event_about_a_lead_becomes_a_timeline_line_named_for_what_happened_but_reminders_do_not():
    entries = timeline_entries([
        event("leads.lead.claimed.v1", lead_id="l1", owner_id="rep-1"),
        event("leads.lead.returned.v1", lead_id="l1", reason="no_budget"),
        event("leads.lead.recycled.v1", lead_id="l1"),
        event("leads.material.sent.v1", lead_id="l1", delivery_id="d1"),
        event("leads.follow_up.logged.v1", lead_id="l1", kind="visit", outcome="Met the buyer"),
        event("leads.reminder.due.v1", lead_id="l1", reminder_id="r1"),
        event("leads.pool.changed.v1", pool_id="p1"),
    ])
    assert [(e.kind, e.summary) for e in entries] == [
        ("claimed", "Claimed"),
        ("returned", "Returned to the public pool: no_budget"),
        ("recycled", "Recycled to the public pool"),
        ("material_sent", "Material sent"),
        ("follow_up", "Visit: Met the buyer"),
    ]
    assert {(e.lead_id, e.at, e.actor_id) for e in entries} == {("l1", NOW, "rep-1")}
    assert entries[0].detail == {"lead_id": "l1", "owner_id": "rep-1"} and entries[0].source_event_id


def test_a_ticket_and_a_customer_from_the_contracts_become_lines_at_the_time_they_happened():
    ticket = ticket_opened_entry(contract("service_desk.ticket.opened.v1"), "lead-1")
    assert (ticket.kind, ticket.lead_id, ticket.at) == ("ticket_opened", "lead-1", datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc))
    assert ticket.summary == "Ticket opened: Cannot export the quarterly invoice (high)"
    customer = customer_created_entry(contract("sales.customer.created.v1"))
    assert (customer.kind, customer.lead_id) == ("customer_created", "5a1e9b2c-3d4f-4a6b-8c7d-9e0f1a2b3c4d")


def test_a_cursor_survives_the_round_trip_and_a_made_up_one_is_refused():
    cursor = Cursor(NOW, 42)
    assert Cursor.decode(cursor.encode(), int) == cursor
    for text in ("nonsense", Cursor(NOW, "abc").encode(), "W10"):
        with pytest.raises(APIError) as refused:
            Cursor.decode(text, int)
        assert (refused.value.status, list(refused.value.errors)) == (422, ["before"])


def test_the_agenda_buckets_follow_the_business_day_not_utc():
    # 23:00 in Shanghai: half past midnight local is tomorrow, though it is the same UTC day.
    now = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)
    window = AgendaWindow.at(now, SHANGHAI)
    assert str(window.today) == "2026-11-27"
    assert window.bucket(now - timedelta(hours=20)) == "overdue"
    assert window.bucket(now - timedelta(minutes=1)) == "overdue"
    assert window.bucket(now + timedelta(minutes=30)) == "due_today"
    assert window.bucket(now + timedelta(minutes=90)) == "upcoming"
    assert window.bucket(datetime(2026, 12, 4, 15, 59, tzinfo=timezone.utc)) == "upcoming"
    assert window.bucket(datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc)) is None
