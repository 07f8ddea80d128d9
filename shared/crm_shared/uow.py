"""The unit of work: one transaction, and the events it produced go to the outbox with it."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from crm_shared import outbox
from crm_shared.envelope import Envelope


class UnitOfWork:
    """Rolls back unless `commit()` is called; events added with `emit` are committed atomically.

    Services subclass it to add their repositories in `__enter__`.
    """

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

    def commit(self) -> None:
        outbox.record(self.session, [*self._pending, *self.collect_new_events()])
        self._pending = []
        self.session.commit()

    def rollback(self) -> None:
        self._pending = []
        self.session.rollback()
