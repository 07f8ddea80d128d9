"""Loading and saving SLA calendars and policies, customer levels, and the once-only record of SLA notices."""
from __future__ import annotations

from datetime import date, datetime
from typing import Sequence

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from service_desk.db import tickets
from service_desk.db_sla import customer_levels, sla_calendars, sla_escalations, sla_notices, sla_policies
from service_desk.repository import dialect_insert
from service_desk.sla import (
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    RESOLUTION,
    STOP_STATUSES,
    EscalationLevel,
    SlaCalendar,
    SlaPolicy,
)

TARGET_COLUMNS = {FIRST_RESPONSE: "first_response_minutes", NEXT_RESPONSE: "next_response_minutes",
                  RESOLUTION: "resolution_minutes"}


def _calendar(row) -> SlaCalendar:
    return SlaCalendar(
        id=row["id"], name=row["name"], timezone=row["timezone"],
        weekly_hours={day: [tuple(interval) for interval in intervals] for day, intervals in row["weekly_hours"].items()},
        holidays=tuple(date.fromisoformat(d) for d in row["holidays"]),
        extra_working_days=tuple(date.fromisoformat(d) for d in row["extra_working_days"]),
        version=row["version"],
    )


def _calendar_values(calendar: SlaCalendar) -> dict:
    return {
        "name": calendar.name, "timezone": calendar.timezone,
        "weekly_hours": {day: [list(interval) for interval in intervals] for day, intervals in calendar.weekly_hours.items()},
        "holidays": [d.isoformat() for d in sorted(calendar.holidays)],
        "extra_working_days": [d.isoformat() for d in sorted(calendar.extra_working_days)],
    }


def _policy(row) -> SlaPolicy:
    return SlaPolicy(
        id=row["id"], name=row["name"], position=row["position"], active=row["active"],
        targets={metric: row[column] for metric, column in TARGET_COLUMNS.items()},
        priorities=tuple(row["priorities"]), categories=tuple(row["categories"]),
        customer_levels=tuple(row["customer_levels"]), calendar_id=row["calendar_id"],
        pause_statuses=tuple(row["pause_statuses"]), warning_percent=row["warning_percent"],
        escalation_levels=tuple(EscalationLevel(level["at"], level["target"], tuple(level["actions"]))
                                for level in row["escalation_levels"] or ()),
        version=row["version"],
    )


def _policy_values(policy: SlaPolicy) -> dict:
    return {
        "name": policy.name, "position": policy.position, "active": policy.active,
        "priorities": list(policy.priorities), "categories": list(policy.categories),
        "customer_levels": list(policy.customer_levels), "calendar_id": policy.calendar_id,
        **{column: policy.targets.get(metric) for metric, column in TARGET_COLUMNS.items()},
        "pause_statuses": list(policy.pause_statuses), "warning_percent": policy.warning_percent,
        "escalation_levels": [level.as_dict() for level in policy.escalation_levels],
    }


class SlaRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- calendars --

    def calendars(self) -> list[SlaCalendar]:
        rows = self.session.execute(select(sla_calendars).order_by(sla_calendars.c.name)).mappings()
        return [_calendar(row) for row in rows]

    def calendar(self, calendar_id: str) -> SlaCalendar | None:
        row = self.session.execute(select(sla_calendars).where(sla_calendars.c.id == calendar_id)).mappings().first()
        return None if row is None else _calendar(row)

    def calendar_name_taken(self, name: str, other_than: str | None = None) -> bool:
        query = select(func.count()).select_from(sla_calendars).where(sla_calendars.c.name == name)
        if other_than:
            query = query.where(sla_calendars.c.id != other_than)
        return self.session.execute(query).scalar_one() > 0

    def add_calendar(self, calendar: SlaCalendar, by: str, now: datetime) -> None:
        self.session.execute(insert(sla_calendars).values(
            id=calendar.id, version=1, updated_at=now, updated_by=by, **_calendar_values(calendar)))

    def save_calendar(self, calendar: SlaCalendar, read_version: int, by: str, now: datetime) -> bool:
        """Write the calendar over the version the caller read; False if another writer got there first."""
        result = self.session.execute(
            update(sla_calendars)
            .where(sla_calendars.c.id == calendar.id, sla_calendars.c.version == read_version)
            .values(version=read_version + 1, updated_at=now, updated_by=by, **_calendar_values(calendar)))
        return result.rowcount == 1

    def delete_calendar(self, calendar_id: str, read_version: int) -> bool:
        result = self.session.execute(delete(sla_calendars).where(
            sla_calendars.c.id == calendar_id, sla_calendars.c.version == read_version))
        return result.rowcount == 1

    def calendar_in_use(self, calendar_id: str) -> bool:
        query = select(func.count()).select_from(sla_policies).where(sla_policies.c.calendar_id == calendar_id)
        return self.session.execute(query).scalar_one() > 0

    # -- policies --

    def policies(self, active_only: bool = False) -> list[SlaPolicy]:
        query = select(sla_policies).order_by(sla_policies.c.position, sla_policies.c.name)
        if active_only:
            query = query.where(sla_policies.c.active.is_(True))
        return [_policy(row) for row in self.session.execute(query).mappings()]

    def policy(self, policy_id: str) -> SlaPolicy | None:
        row = self.session.execute(select(sla_policies).where(sla_policies.c.id == policy_id)).mappings().first()
        return None if row is None else _policy(row)

    def policy_name_taken(self, name: str, other_than: str | None = None) -> bool:
        query = select(func.count()).select_from(sla_policies).where(sla_policies.c.name == name)
        if other_than:
            query = query.where(sla_policies.c.id != other_than)
        return self.session.execute(query).scalar_one() > 0

    def add_policy(self, policy: SlaPolicy, by: str, now: datetime) -> None:
        self.session.execute(insert(sla_policies).values(
            id=policy.id, version=1, updated_at=now, updated_by=by, **_policy_values(policy)))

    def save_policy(self, policy: SlaPolicy, read_version: int, by: str, now: datetime) -> bool:
        result = self.session.execute(
            update(sla_policies)
            .where(sla_policies.c.id == policy.id, sla_policies.c.version == read_version)
            .values(version=read_version + 1, updated_at=now, updated_by=by, **_policy_values(policy)))
        return result.rowcount == 1

    def delete_policy(self, policy_id: str, read_version: int) -> bool:
        result = self.session.execute(delete(sla_policies).where(
            sla_policies.c.id == policy_id, sla_policies.c.version == read_version))
        return result.rowcount == 1

    # -- customer levels --

    def levels_of(self, customer_ids: Sequence[str]) -> dict[str, str | None]:
        if not customer_ids:
            return {}
        rows = self.session.execute(select(customer_levels.c.customer_id, customer_levels.c.level)
                                    .where(customer_levels.c.customer_id.in_(list(customer_ids))))
        return {customer_id: level for customer_id, level in rows}

    def set_level(self, customer_id: str, level: str | None, since: datetime) -> None:
        """Keep the level sales set at `since`, unless a later one is kept already (events may cross)."""
        statement = dialect_insert(self.session)(customer_levels).values(customer_id=customer_id, level=level, level_since=since)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={"level": statement.excluded.level, "level_since": statement.excluded.level_since},
            where=customer_levels.c.level_since < statement.excluded.level_since,
        ))

    # -- the watch job --

    def running_ticket_ids(self, after_id: str | None, limit: int) -> list[str]:
        """Ids of tickets not resolved or closed, in id order after `after_id` (keyset pages)."""
        query = select(tickets.c.id).where(or_(tickets.c.status.is_(None), tickets.c.status.not_in(STOP_STATUSES)))
        if after_id is not None:
            query = query.where(tickets.c.id > after_id)
        return list(self.session.scalars(query.order_by(tickets.c.id).limit(limit)))

    def record_notice(self, ticket_id: str, metric: str, kind: str, cycle: int, crossed_at: datetime,
                      now: datetime) -> bool:
        """Mark the notice as announced; False if it was already (by this worker or another one)."""
        statement = (
            dialect_insert(self.session)(sla_notices)
            .values(ticket_id=ticket_id, metric=metric, kind=kind, cycle=cycle, crossed_at=crossed_at,
                    announced_at=now)
            .on_conflict_do_nothing(index_elements=["ticket_id", "metric", "kind", "cycle"])
            .returning(sla_notices.c.ticket_id)
        )
        return self.session.execute(statement).first() is not None

    def fired_escalations(self, ticket_ids: Sequence[str]) -> set[tuple[str, str, str, int]]:
        """(ticket_id, target, level, cycle) of the policy escalations fired for these tickets."""
        if not ticket_ids:
            return set()
        e = sla_escalations
        rows = self.session.execute(select(e.c.ticket_id, e.c.target, e.c.level, e.c.cycle)
                                    .where(e.c.ticket_id.in_(list(ticket_ids))))
        return {tuple(row) for row in rows}

    def claim_escalation(self, ticket_id: str, target: str, level: str, cycle: int, policy_id: str,
                         now: datetime) -> bool:
        """Claim a policy's escalation level for the ticket's target and cycle; False if it fired already.

        A second worker's insert of the same row waits for the first one's transaction and then finds it."""
        statement = (
            dialect_insert(self.session)(sla_escalations)
            .values(ticket_id=ticket_id, target=target, level=level, cycle=cycle, policy_id=policy_id,
                    escalated_at=now)
            .on_conflict_do_nothing(index_elements=["ticket_id", "target", "level", "cycle"])
            .returning(sla_escalations.c.ticket_id)
        )
        return self.session.execute(statement).first() is not None
