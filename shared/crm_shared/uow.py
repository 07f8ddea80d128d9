"""The unit of work: one transaction, and the events it produced go to the outbox with it."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from sqlalchemy.orm import Session

from crm_shared import audit, outbox
from crm_shared.envelope import Envelope


class UnitOfWork:
    """Rolls back unless `commit()` is called; events added with `emit` are committed atomically.

    Services subclass it to add their repositories in `__enter__`; one that keeps an audit log sets
    `audit_trail`, and its events then leave their audit rows in the same transaction.
    """

    audit_trail: audit.AuditTrail | None = None

    def __init__(self, session_factory: Callable[[], Session]):
        self._session_factory = session_factory
        self._pending: list[Envelope] = []

    def __enter__(self):
        self.session = self._session_factory()
        self._pending = []
        return self

    def __exit__(self, *exc_info) -> None:
        # close() rolls back whatever was not committed without expiring loaded objects, so the
        # caller can still serialise what it read after the unit of work ends.
        self._pending = []
        self.session.close()

    def emit(self, envelope: Envelope) -> None:
        """Queue an event to be written to the outbox by `commit()`."""
        self._pending.append(envelope)

    def collect_new_events(self) -> list[Envelope]:
        """Events recorded by aggregates the repositories have seen; subclasses extend it."""
        return []

    def audit_change(self, record_type: str, record_id: str, action: str, details: Mapping[str, Any] | None = None,
                     actor: str | None = None) -> None:
        """An audit row, in this transaction, for a change that publishes no event."""
        if self.audit_trail is None:
            raise RuntimeError(f"{type(self).__name__} keeps no audit log")
        audit.record_change(self.session, self.audit_trail.table, record_type=record_type, record_id=record_id,
                            action=action, details=details, actor=actor)

    def commit(self) -> None:
        outbox.record(self.session, [*self._pending, *self.collect_new_events()], self.audit_trail)
        self._pending = []
        self.session.commit()

    def rollback(self) -> None:
        self._pending = []
        self.session.rollback()
