"""The queue of imports for the worker: storing an upload, claiming the next job, holding it while it runs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from leads.db_import_queue import lead_import_queue as queue


@dataclass(frozen=True)
class Claim:
    """An import a runner has just taken: how often it was taken, and how many good rows are already in."""

    import_id: str
    attempts: int
    rows_done: int


class ImportQueue:
    def __init__(self, session: Session):
        self.session = session

    def add(self, import_id: str, data: bytes, now: datetime) -> None:
        self.session.execute(insert(queue).values(import_id=import_id, file_data=data, queued_at=now, attempts=0,
                                                  rows_done=0))

    def claim(self, runner: str, now: datetime, stale_before: datetime) -> Claim | None:
        """Take the oldest import nobody runs, or whose runner stopped beating before `stale_before`.

        PostgreSQL skips rows another transaction holds (a claim, or a chunk being written: see `hold`);
        SQLite's write transactions (BEGIN IMMEDIATE) run one at a time.
        """
        row = self.session.execute(
            select(queue.c.import_id, queue.c.attempts, queue.c.rows_done)
            .where(or_(queue.c.runner.is_(None), queue.c.heartbeat_at < stale_before))
            .order_by(queue.c.queued_at, queue.c.import_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        self.session.execute(update(queue).where(queue.c.import_id == row.import_id)
                             .values(runner=runner, heartbeat_at=now, attempts=row.attempts + 1))
        return Claim(row.import_id, row.attempts + 1, row.rows_done)

    def file_data(self, import_id: str) -> bytes | None:
        return self.session.execute(select(queue.c.file_data).where(queue.c.import_id == import_id)).scalar()

    def hold(self, import_id: str, runner: str) -> bool:
        """Lock the import's row for this transaction if `runner` still has it; False if another took it over."""
        held = self.session.execute(
            select(queue.c.import_id).where(queue.c.import_id == import_id, queue.c.runner == runner)
            .with_for_update()
        ).first()
        return held is not None

    def advance(self, import_id: str, rows_done: int, now: datetime) -> None:
        self.session.execute(update(queue).where(queue.c.import_id == import_id)
                             .values(rows_done=rows_done, heartbeat_at=now))

    def release(self, import_id: str) -> None:
        """Give the import back to the queue (its runner is stopping); this take does not count as an attempt."""
        self.session.execute(update(queue).where(queue.c.import_id == import_id)
                             .values(runner=None, heartbeat_at=None, attempts=queue.c.attempts - 1))

    def remove(self, import_id: str) -> None:
        self.session.execute(delete(queue).where(queue.c.import_id == import_id))
