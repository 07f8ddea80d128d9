"""Writing events to the outbox in the same transaction as the state change that caused them."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from crm_shared.db import outbox
from crm_shared.envelope import Envelope, utc_now

if TYPE_CHECKING:
    from crm_shared.audit import AuditTrail


def record(session: Session, envelopes: Iterable[Envelope], audit: "AuditTrail | None" = None) -> None:
    """Add events to the outbox; they are published only if the caller's transaction commits.

    With the service's `audit` trail, each event also leaves its audit rows in that same transaction.
    """
    envelopes = list(envelopes)
    rows = [
        {"event_id": e.id, "name": e.name, "body": e.to_json(), "created_at": utc_now()}
        for e in envelopes
    ]
    if rows:
        session.execute(insert(outbox), rows)
        if audit is not None:
            audit.record_events(session, envelopes)
