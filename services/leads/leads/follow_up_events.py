"""The wire form of the follow-up and reminder events (names in leads/events.py, examples in contracts/)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from leads.config import SERVICE
from leads.events import FOLLOW_UP_LOGGED, REMINDER_DUE
from leads.follow_ups import FollowUp, Reminder


def follow_up_logged(follow_up: FollowUp) -> Envelope:
    return Envelope.new(FOLLOW_UP_LOGGED, {
        "follow_up_id": follow_up.id,
        "lead_id": follow_up.lead_id,
        "owner_id": follow_up.owner_id,
        "kind": follow_up.kind,
        "outcome": follow_up.outcome,
        "next_contact_at": format_time(follow_up.next_contact_at) if follow_up.next_contact_at else None,
        "logged_at": format_time(follow_up.logged_at),
    }, producer=SERVICE)


def reminder_due(reminder: Reminder) -> Envelope:
    return Envelope.new(REMINDER_DUE, {
        "reminder_id": reminder.id,
        "lead_id": reminder.lead_id,
        "owner_id": reminder.owner_id,
        "kind": reminder.kind,
        "due_at": format_time(reminder.due_at),
        "note": reminder.note,
    }, producer=SERVICE)
