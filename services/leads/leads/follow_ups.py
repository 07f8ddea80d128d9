"""Follow-ups, the lead timeline and reminders: the rules, without a database."""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from crm_shared.envelope import Envelope, format_time, parse_time
from crm_shared.errors import APIError

KINDS = ("call", "visit", "email", "message", "meeting", "note")

# Reminder kinds: the next contact a follow-up planned; the recycling feature adds recycle warnings.
NEXT_CONTACT = "next_contact"
RECYCLE_WARNING = "recycle_warning"

PENDING = "pending"
DONE = "done"
SNOOZED = "snoozed"
REMINDER_STATUSES = (PENDING, DONE, SNOOZED)
OPEN_STATUSES = (PENDING, SNOOZED)

# Timeline kinds written by this feature itself; lead events add their verb (created, claimed, ...).
FOLLOW_UP = "follow_up"
TICKET_OPENED = "ticket_opened"
CUSTOMER_CREATED = "customer_created"

UPCOMING_DAYS = 7


class FollowUpRuleViolation(APIError):
    """A rule of follow-ups or reminders refused the action; the code names the rule."""

    STATUS = {"reminder_done": 409}

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(self.STATUS[code], code, message, errors)


def _invalid(field_name: str, message: str) -> APIError:
    return APIError(422, "validation_failed", f"Some fields are not valid. {field_name}: {message}",
                    {field_name: [message]})


@dataclass(frozen=True)
class FollowUp:
    """A contact with a lead, logged by a person: what kind, how it went, what comes next and when."""

    id: str
    lead_id: str
    owner_id: str | None
    author_id: str
    kind: str
    outcome: str
    logged_at: datetime
    next_step: str | None = None
    next_contact_at: datetime | None = None

    @classmethod
    def log(cls, *, lead_id: str, owner_id: str | None, author_id: str, kind: str, outcome: str, now: datetime,
            next_step: str | None = None, next_contact_at: datetime | None = None) -> "FollowUp":
        if kind not in KINDS:
            raise _invalid("kind", f"Must be one of: {', '.join(KINDS)}.")
        if not outcome or not outcome.strip():
            raise _invalid("outcome", "Say how the contact went.")
        if next_contact_at is not None and next_contact_at <= now:
            raise _invalid("next_contact_at", "The next contact must be in the future.")
        return cls(str(uuid.uuid4()), lead_id, owner_id, author_id, kind, outcome.strip(), now,
                   next_step, next_contact_at)

    def reminder(self) -> "Reminder | None":
        """The next-contact reminder this follow-up plans for the lead's owner, if it names a time."""
        if self.next_contact_at is None or self.owner_id is None:
            return None
        return Reminder.new(kind=NEXT_CONTACT, lead_id=self.lead_id, owner_id=self.owner_id,
                            due_at=self.next_contact_at, note=self.next_step, now=self.logged_at,
                            source_id=self.id)


@dataclass
class Reminder:
    """Something to do about a lead at a time, for its owner; any feature may add one of its own kind."""

    id: str
    kind: str
    lead_id: str
    owner_id: str
    due_at: datetime
    created_at: datetime
    note: str | None = None
    status: str = PENDING
    source_id: str | None = None
    completed_at: datetime | None = None
    published_at: datetime | None = None

    @classmethod
    def new(cls, *, kind: str, lead_id: str, owner_id: str, due_at: datetime, now: datetime,
            note: str | None = None, source_id: str | None = None) -> "Reminder":
        return cls(str(uuid.uuid4()), kind, lead_id, owner_id, due_at, now, note, PENDING, source_id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def complete(self, now: datetime) -> None:
        """Done; completing a done reminder again changes nothing."""
        if self.status == DONE:
            return
        self.status = DONE
        self.completed_at = now

    def snooze(self, until: datetime, now: datetime) -> None:
        """Due again at `until`; it is announced again then (its due event is sent once per due time)."""
        if self.status == DONE:
            raise FollowUpRuleViolation("reminder_done", "This reminder is done; it cannot be snoozed.")
        if until <= now:
            raise _invalid("until", "Snooze until a time in the future.")
        self.status = SNOOZED
        self.due_at = until
        self.published_at = None


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a lead's timeline: what happened, when, by whom, and its facts."""

    lead_id: str
    kind: str
    at: datetime
    actor_id: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    source_event_id: str | None = None
    id: int | None = None


# What an event of this service says on a lead's timeline; one not listed here still gets a line, named for it.
SUMMARIES = {
    "created": "Lead created",
    "claimed": "Claimed",
    "distributed": "Distributed",
    "returned": "Returned to the public pool",
    "converted": "Converted to a customer",
    "recycled": "Recycled to the public pool",
    "material_sent": "Material sent",
    "material_clicked": "Material opened",
}
# Reminders are about a lead but are no event in its life.
OFF_THE_TIMELINE = ("reminder",)


def timeline_kind(event_name: str) -> str:
    """`leads.lead.claimed.v1` -> `claimed`, `leads.follow_up.logged.v1` -> `follow_up`, others `<aggregate>_<verb>`."""
    _, aggregate, verb, _ = event_name.split(".")
    if aggregate == "lead":
        return verb
    if aggregate == FOLLOW_UP:
        return FOLLOW_UP
    return f"{aggregate}_{verb}"


def timeline_entries(envelopes: Iterable[Envelope]) -> list[TimelineEntry]:
    """A line on the lead's timeline for every event about a lead that a unit of work is about to publish."""
    entries = []
    for envelope in envelopes:
        lead_id = envelope.payload.get("lead_id")
        if not lead_id or envelope.name.split(".")[1] in OFF_THE_TIMELINE:
            continue
        kind = timeline_kind(envelope.name)
        payload = envelope.payload
        summary = SUMMARIES.get(kind, kind.replace("_", " ").capitalize())
        if kind == FOLLOW_UP:
            summary = f"{str(payload.get('kind', '')).capitalize()}: {payload.get('outcome', '')}"
        elif kind == "returned" and payload.get("reason"):
            summary = f"{summary}: {payload['reason']}"
        entries.append(TimelineEntry(lead_id=lead_id, kind=kind, at=envelope.occurred, actor_id=envelope.actor,
                                     summary=summary[:500], detail=dict(payload), source_event_id=envelope.id))
    return entries


def ticket_opened_entry(envelope: Envelope, lead_id: str) -> TimelineEntry:
    """The line a `service_desk.ticket.opened.v1` event puts on the timeline of the lead the customer came from."""
    payload = envelope.payload
    subject, priority = payload.get("subject") or "", payload.get("priority")
    summary = f"Ticket opened: {subject}" + (f" ({priority})" if priority else "")
    detail = {key: payload.get(key) for key in ("ticket_id", "customer_id", "subject", "priority", "status", "channel")}
    return TimelineEntry(lead_id=lead_id, kind=TICKET_OPENED, at=_time_or(payload.get("opened_at"), envelope),
                         actor_id=envelope.actor, summary=summary[:500], detail=detail, source_event_id=envelope.id)


def customer_created_entry(envelope: Envelope) -> TimelineEntry:
    payload = envelope.payload
    return TimelineEntry(
        lead_id=payload["lead_id"], kind=CUSTOMER_CREATED, at=_time_or(payload.get("created_at"), envelope),
        actor_id=envelope.actor, summary=f"Customer created in sales: {payload.get('name') or ''}"[:500],
        detail={"customer_id": payload["customer_id"], "owner_id": payload.get("owner_id")},
        source_event_id=envelope.id,
    )


def _time_or(text: Any, envelope: Envelope) -> datetime:
    try:
        return parse_time(str(text))
    except ValueError:
        return envelope.occurred


# -- keyset pagination ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a newest-first page ended: the (time, id) of its last line; the next page starts after it."""

    at: datetime
    id: int | str

    def encode(self) -> str:
        raw = json.dumps([format_time(self.at), self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, key_type: type) -> "Cursor":
        """The cursor in `text`, whose id must be a `key_type`; 422 if it is not one we gave out."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            at, key = json.loads(raw)
            if type(key) is not key_type:
                raise ValueError("not this list's cursor")
            return cls(parse_time(at), key)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
            raise _invalid("before", "Not a cursor this API gave out.") from error


# -- the agenda ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaWindow:
    """The rep's business day around `now`: before now is overdue, the rest of today is due today, then 7 days."""

    now: datetime
    today: date
    tomorrow_begins: datetime
    upcoming_ends: datetime

    @classmethod
    def at(cls, now: datetime, zone: ZoneInfo) -> "AgendaWindow":
        local = now.astimezone(zone)
        tomorrow = local.date() + timedelta(days=1)
        begins = datetime.combine(tomorrow, time(0), tzinfo=zone)
        ends = datetime.combine(tomorrow + timedelta(days=UPCOMING_DAYS), time(0), tzinfo=zone)
        return cls(now, local.date(), begins.astimezone(now.tzinfo), ends.astimezone(now.tzinfo))

    def bucket(self, due_at: datetime) -> str | None:
        if due_at < self.now:
            return "overdue"
        if due_at < self.tomorrow_begins:
            return "due_today"
        if due_at < self.upcoming_ends:
            return "upcoming"
        return None
