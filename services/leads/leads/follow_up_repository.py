"""Loading and saving follow-ups, timeline lines, reminders and the customer -> lead map."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leads.db import leads
from leads.db_follow_ups import customer_leads, lead_follow_ups, lead_reminders, lead_timeline
from leads.follow_ups import DONE, OPEN_STATUSES, Cursor, FollowUp, Reminder, TimelineEntry


def _insert_ignoring_duplicates(session: Session, table, rows: list[dict], keys: list[str]):
    build = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return session.execute(build(table).values(rows).on_conflict_do_nothing(index_elements=keys))


def _older_than(time_column, id_column, cursor: Cursor | None):
    """Rows after `cursor` in newest-first (time, id) order."""
    if cursor is None:
        return True
    return or_(time_column < cursor.at, and_(time_column == cursor.at, id_column < cursor.id))


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: Cursor | None


class FollowUps:
    def __init__(self, session: Session):
        self.session = session

    def add(self, follow_up: FollowUp) -> None:
        f = follow_up
        self.session.execute(insert(lead_follow_ups).values(
            id=f.id, lead_id=f.lead_id, owner_id=f.owner_id, author_id=f.author_id, kind=f.kind, outcome=f.outcome,
            next_step=f.next_step, next_contact_at=f.next_contact_at, logged_at=f.logged_at,
        ))

    def of_lead(self, lead_id: str, before: Cursor | None, limit: int) -> Page:
        t = lead_follow_ups
        rows = self.session.execute(
            select(t).where(t.c.lead_id == lead_id, _older_than(t.c.logged_at, t.c.id, before))
            .order_by(t.c.logged_at.desc(), t.c.id.desc()).limit(limit + 1)
        ).mappings().all()
        items = [FollowUp(**row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, Cursor(items[-1].logged_at, items[-1].id) if more else None)


class Timeline:
    """Every lead's one timeline: what happened to it, newest first."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, entries: Iterable[TimelineEntry]) -> None:
        rows = [
            {"lead_id": e.lead_id, "kind": e.kind, "at": e.at, "actor_id": e.actor_id, "summary": e.summary,
             "detail": e.detail, "source_event_id": e.source_event_id}
            for e in entries
        ]
        if rows:
            # One line per causing event, even if the same event reaches us twice.
            _insert_ignoring_duplicates(self.session, lead_timeline, rows, ["source_event_id"])

    def of_lead(self, lead_id: str, before: Cursor | None, limit: int) -> Page:
        t = lead_timeline
        rows = self.session.execute(
            select(t).where(t.c.lead_id == lead_id, _older_than(t.c.at, t.c.id, before))
            .order_by(t.c.at.desc(), t.c.id.desc()).limit(limit + 1)
        ).mappings().all()
        items = [TimelineEntry(**row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, Cursor(items[-1].at, items[-1].id) if more else None)


REMINDER_COLUMNS = ("id", "kind", "lead_id", "owner_id", "due_at", "created_at", "note", "status", "source_id",
                    "completed_at", "published_at")


@dataclass(frozen=True)
class AgendaItem:
    reminder: Reminder
    company: str
    contact_name: str


class Reminders:
    def __init__(self, session: Session):
        self.session = session

    def add(self, reminder: Reminder) -> None:
        self.session.execute(insert(lead_reminders).values({c: getattr(reminder, c) for c in REMINDER_COLUMNS}))

    def get(self, reminder_id: str) -> Reminder | None:
        row = self.session.execute(
            select(lead_reminders).where(lead_reminders.c.id == reminder_id)
        ).mappings().first()
        return Reminder(**row) if row else None

    def save(self, reminder: Reminder) -> None:
        changed = {c: getattr(reminder, c) for c in ("due_at", "note", "status", "completed_at", "published_at")}
        self.session.execute(update(lead_reminders).where(lead_reminders.c.id == reminder.id).values(changed))

    def close_open(self, lead_id: str, kind: str, now: datetime) -> int:
        """Mark the lead's open reminders of `kind` done: a newer plan replaces them."""
        r = lead_reminders
        return self.session.execute(
            update(r).where(r.c.lead_id == lead_id, r.c.kind == kind, r.c.status.in_(OPEN_STATUSES))
            .values(status=DONE, completed_at=now)
        ).rowcount

    def agenda(self, owner_id: str, until: datetime) -> list[AgendaItem]:
        """The owner's open reminders due before `until`, on leads they still own, soonest first."""
        r = lead_reminders
        rows = self.session.execute(
            select(r, leads.c.company, leads.c.contact_name)
            .join(leads, leads.c.id == r.c.lead_id)
            .where(r.c.owner_id == owner_id, r.c.status.in_(OPEN_STATUSES), r.c.due_at < until,
                   leads.c.owner_id == owner_id)
            .order_by(r.c.due_at, r.c.id)
        ).mappings().all()
        return [
            AgendaItem(Reminder(**{c: row[c] for c in REMINDER_COLUMNS}), row["company"], row["contact_name"])
            for row in rows
        ]

    def announce_due(self, now: datetime, limit: int) -> list[Reminder]:
        """Mark up to `limit` due, unannounced reminders as announced at `now` and return them.

        The conditional UPDATE is the guard: of two workers racing for a reminder, only one sees
        published_at still empty (PostgreSQL skips rows another worker holds; SQLite writes one at a time).
        """
        r = lead_reminders
        due = (
            select(r.c.id)
            .join(leads, leads.c.id == r.c.lead_id)
            .where(r.c.published_at.is_(None), r.c.status != DONE, r.c.due_at <= now, leads.c.owner_id == r.c.owner_id)
            .order_by(r.c.due_at, r.c.id)
            .limit(limit)
            .with_for_update(of=r, skip_locked=True)
        )
        rows = self.session.execute(
            update(r).where(r.c.id.in_(due.scalar_subquery()), r.c.published_at.is_(None))
            .values(published_at=now)
            .returning(*(r.c[c] for c in REMINDER_COLUMNS))
        ).mappings().all()
        return sorted((Reminder(**row) for row in rows), key=lambda reminder: (reminder.due_at, reminder.id))


class CustomerLeads:
    """Which lead each customer came from, as sales announced it."""

    def __init__(self, session: Session):
        self.session = session

    def remember(self, customer_id: str, lead_id: str) -> None:
        _insert_ignoring_duplicates(self.session, customer_leads, [{"customer_id": customer_id, "lead_id": lead_id}],
                                    ["customer_id"])

    def lead_of(self, customer_id: str) -> str | None:
        return self.session.scalars(
            select(customer_leads.c.lead_id).where(customer_leads.c.customer_id == customer_id)
        ).first()
