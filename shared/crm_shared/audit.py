"""The audit log: who changed which record, when and how, written in the transaction of the change.

A service opts in by defining `audit_log` in its metadata (`crm_shared.db.audit_log_table`) and giving its
unit of work an `AuditTrail`: every event its outbox records then also leaves one row per record the event
concerns, and `record_change` covers the changes that publish no event.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable, Iterator, Mapping

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from crm_shared import context
from crm_shared.envelope import Envelope, format_time, utc_now

SYSTEM_PREFIX = f"{context.SYSTEM_ACTOR}:"
CORRELATION_ID_LENGTH = 64  # audit_log.correlation_id

_job: contextvars.ContextVar[str | None] = contextvars.ContextVar("crm_audit_job", default=None)


def automatic_actor(name: str) -> str:
    """The actor of a change no person made: `system:<job or rule>`."""
    return f"{SYSTEM_PREFIX}{name}"


@contextlib.contextmanager
def system_job(name: str) -> Iterator[None]:
    """Changes made inside, with no user acting, are the system job `name`'s in the audit log."""
    token = _job.set(name)
    try:
        yield
    finally:
        _job.reset(token)


def running_job_actor() -> str | None:
    """`system:<job>` while a system job runs with no user acting; None otherwise."""
    job = _job.get()
    return automatic_actor(job) if job and context.current().actor == context.SYSTEM_ACTOR else None


def current_actor() -> str:
    """The actor of a change made now: the request's user, else the running system job, else `system`."""
    return _as_audited(context.current().actor)


def _as_audited(actor: str) -> str:
    job = _job.get()
    if actor == context.SYSTEM_ACTOR and job:
        return automatic_actor(job)
    return actor


def _correlation(correlation_id: str | None) -> str | None:
    # A caller may send any X-Correlation-ID; a long one is cut to the column rather than fail the change.
    return correlation_id[:CORRELATION_ID_LENGTH] if correlation_id else None


def _wire_text(value: Any) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plain_json(value: Any) -> Any:
    # Payloads are JSON on the wire already; the round trip turns a Decimal or a time into its wire text.
    return json.loads(json.dumps(value, ensure_ascii=False, default=_wire_text))


@dataclass(frozen=True)
class AuditTrail:
    """How one service's events become audit rows.

    `also`: event name -> (record type, payload key) of further records the event concerns (a follow-up's lead,
    a payment's contract), each given its own row. `actor_of`: the automatic actor an event names in its
    payload (an auto-distribution, a workflow rule) though a user's request caused it; None keeps the envelope's.
    """

    table: Table
    also: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    actor_of: Callable[[Envelope], str | None] | None = None

    def records_of(self, envelope: Envelope) -> list[tuple[str, str]]:
        """(record type, id) of each record the event concerns: its aggregate's first, from the event name."""
        aggregate = envelope.name.split(".")[1]
        records: list[tuple[str, str]] = []
        primary = envelope.payload.get(f"{aggregate}_id") or envelope.payload.get("id")
        if isinstance(primary, str) and primary:
            records.append((aggregate, primary))
        for record_type, key in self.also.get(envelope.name, ()):
            value = envelope.payload.get(key)
            if isinstance(value, str) and value and (record_type, value) not in records:
                records.append((record_type, value))
        return records

    def actor(self, envelope: Envelope) -> str:
        named = self.actor_of(envelope) if self.actor_of is not None else None
        return named or _as_audited(envelope.actor)

    def rows_for(self, envelopes: Iterable[Envelope]) -> list[dict]:
        """The audit rows of these events (for writers that insert in bulk, like the lead import)."""
        rows = []
        for envelope in envelopes:
            records = self.records_of(envelope)
            if not records:
                continue
            actor, details, at = self.actor(envelope), _plain_json(envelope.payload), envelope.occurred
            rows.extend(
                {"record_type": record_type, "record_id": record_id, "at": at, "actor": actor,
                 "action": envelope.name, "details": details, "correlation_id": _correlation(envelope.correlation_id),
                 "event_id": envelope.id}
                for record_type, record_id in records
            )
        return rows

    def record_events(self, session: Session, envelopes: Iterable[Envelope]) -> None:
        """Add the events' audit rows to the caller's transaction."""
        rows = self.rows_for(envelopes)
        if rows:
            session.execute(insert(self.table), rows)


def record_change(
    session: Session,
    table: Table,
    *,
    record_type: str,
    record_id: str,
    action: str,
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
    at: datetime | None = None,
) -> None:
    """An audit row for a change that publishes no event, in the caller's transaction.

    `action` is a verb (`updated`, `revealed`, `team_member_removed`); `details` the facts of the change.
    """
    session.execute(insert(table).values(
        record_type=record_type, record_id=record_id, at=at or utc_now(), actor=actor or current_actor(),
        action=action, details=_plain_json(dict(details or {})),
        correlation_id=_correlation(context.current().correlation_id),
        event_id=None,
    ))


def is_automatic(actor: str) -> bool:
    return actor == context.SYSTEM_ACTOR or actor.startswith(SYSTEM_PREFIX)


def trail(
    session: Session,
    table: Table,
    record_type: str,
    record_id: str,
    *,
    limit: int,
    offset: int,
    names_of: Callable[[set[str]], Mapping[str, str]] | None = None,
) -> dict:
    """One record's audit rows, newest first, a page of them, with the total and each actor's name if known."""
    where = (table.c.record_type == record_type, table.c.record_id == record_id)
    total = session.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    rows = session.execute(
        select(table).where(*where).order_by(table.c.at.desc(), table.c.id.desc()).limit(limit).offset(offset)
    ).mappings().all()
    people = {row["actor"] for row in rows if not is_automatic(row["actor"])}
    names = dict(names_of(people)) if names_of is not None and people else {}
    items = [
        {"id": row["id"], "at": row["at"], "actor_id": row["actor"],
         "actor_kind": "system" if is_automatic(row["actor"]) else "user",
         "actor_name": _name_of(row["actor"], names), "action": row["action"], "details": row["details"],
         "correlation_id": row["correlation_id"], "event_id": row["event_id"]}
        for row in rows
    ]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _name_of(actor: str, names: Mapping[str, str]) -> str | None:
    """A system actor's name is its job's (or `system`); a person's is the one the service's directory knows."""
    if actor.startswith(SYSTEM_PREFIX):
        return actor[len(SYSTEM_PREFIX):]
    if actor == context.SYSTEM_ACTOR:
        return actor
    return names.get(actor)
