"""The use cases of follow-ups, the lead timeline and reminders: the only place of this feature that commits."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.scheduler import Every, TimedJob
from leads.config import business_timezone
from leads.domain import LeadRuleViolation
from leads.follow_up_events import follow_up_logged, reminder_due
from leads.follow_up_repository import Page
from leads.follow_ups import NEXT_CONTACT, AgendaWindow, Cursor, FollowUp, Reminder
from leads.service import visible_lead, member_of
from leads.uow import LeadsUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], LeadsUnitOfWork]

ANNOUNCE_BATCH = 200


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(timezone.utc) if moment else None


def log_follow_up(uow_factory: UowFactory, lead_id: str, fields: dict, author: Identity) -> FollowUp:
    """The lead's owner (or a manager) logs a contact; a next contact time becomes the owner's reminder."""
    now = utc_now()
    try:
        with uow_factory() as uow:
            member = member_of(uow, author)
            lead, _ = visible_lead(uow, lead_id, member)
            if not member.is_manager and lead.owner_id != author.user_id:
                raise LeadRuleViolation("not_lead_owner", "Only the lead's owner or a manager can log a follow-up on it.")
            follow_up = FollowUp.log(
                lead_id=lead.id, owner_id=lead.owner_id, author_id=author.user_id, now=now, kind=fields["kind"],
                outcome=fields["outcome"], next_step=fields.get("next_step"),
                next_contact_at=_utc(fields.get("next_contact_at")),
            )
            lead.followed_up(now)
            uow.follow_ups.add(follow_up)
            reminder = follow_up.reminder()
            if reminder is not None:
                # The new plan replaces the lead's earlier next-contact reminders.
                uow.reminders.close_open(lead.id, NEXT_CONTACT, now)
                uow.reminders.add(reminder)
            uow.emit(follow_up_logged(follow_up))
            uow.commit()
            return follow_up
    except StaleDataError as error:
        raise LeadRuleViolation("lead_changed", "The lead changed while you were logging; try again.") from error


def follow_ups_of(uow_factory: UowFactory, lead_id: str, before: str | None, limit: int, viewer: Identity) -> Page:
    """The lead's follow-ups, newest first, for whoever may see the lead."""
    cursor = Cursor.decode(before, str) if before else None
    with uow_factory() as uow:
        visible_lead(uow, lead_id, member_of(uow, viewer))
        return uow.follow_ups.of_lead(lead_id, cursor, limit)


def timeline_of(uow_factory: UowFactory, lead_id: str, before: str | None, limit: int, viewer: Identity) -> Page:
    """The lead's one timeline, newest first, for whoever may see the lead."""
    cursor = Cursor.decode(before, int) if before else None
    with uow_factory() as uow:
        visible_lead(uow, lead_id, member_of(uow, viewer))
        return uow.timeline.of_lead(lead_id, cursor, limit)


def agenda(uow_factory: UowFactory, user: Identity, now: datetime | None = None) -> dict:
    """The caller's open reminders on leads they own: overdue, due later today, and the next 7 business days."""
    zone = business_timezone()
    window = AgendaWindow.at(now or utc_now(), zone)
    with uow_factory() as uow:
        items = uow.reminders.agenda(user.user_id, window.upcoming_ends)
    agenda = {"timezone": zone.key, "today": window.today, "overdue": [], "due_today": [], "upcoming": []}
    for item in items:
        agenda[window.bucket(item.reminder.due_at)].append(
            {**vars(item.reminder), "company": item.company, "contact_name": item.contact_name}
        )
    return agenda


def _own_reminder(uow: LeadsUnitOfWork, reminder_id: str, user: Identity) -> Reminder:
    reminder = uow.reminders.get(reminder_id)
    if reminder is None or reminder.owner_id != user.user_id:
        # Someone else's reminder: answer as if it did not exist, so ids cannot be probed.
        raise NotFound("reminder", reminder_id)
    return reminder


def complete_reminder(uow_factory: UowFactory, reminder_id: str, user: Identity) -> Reminder:
    with uow_factory() as uow:
        reminder = _own_reminder(uow, reminder_id, user)
        reminder.complete(utc_now())
        uow.reminders.save(reminder)
        uow.audit_change("reminder", reminder.id, "completed", {"lead_id": reminder.lead_id})
        uow.commit()
        return reminder


def snooze_reminder(uow_factory: UowFactory, reminder_id: str, until: datetime, user: Identity) -> Reminder:
    with uow_factory() as uow:
        reminder = _own_reminder(uow, reminder_id, user)
        reminder.snooze(_utc(until), utc_now())
        uow.reminders.save(reminder)
        uow.audit_change("reminder", reminder.id, "snoozed", {"lead_id": reminder.lead_id, "until": reminder.due_at})
        uow.commit()
        return reminder


def announce_due_reminders(uow_factory: UowFactory, now: datetime, batch: int = ANNOUNCE_BATCH) -> int:
    """Publish `leads.reminder.due.v1` once for each reminder due by `now`; the mark and the event commit together."""
    announced = 0
    while True:
        with uow_factory() as uow:
            due = uow.reminders.announce_due(now, batch)
            for reminder in due:
                uow.emit(reminder_due(reminder))
            uow.commit()
        announced += len(due)
        if len(due) < batch:
            return announced


def reminder_jobs(uow_factory: UowFactory) -> list[TimedJob]:
    """The timed jobs of reminders, for the worker: every minute, announce what became due."""

    def announce(due_at: datetime) -> None:
        count = announce_due_reminders(uow_factory, due_at)
        if count:
            log.info("announced %d due reminders", count)

    return [TimedJob("leads.reminders.announce_due", Every(timedelta(minutes=1)), announce)]
