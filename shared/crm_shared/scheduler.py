"""Timed jobs that run once per due time, however many workers a service runs."""
from __future__ import annotations

import logging
import socket
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol

from sqlalchemy import Engine, update
from sqlalchemy.dialects import postgresql, sqlite

from crm_shared.audit import system_job
from crm_shared.db import scheduled_runs
from crm_shared.envelope import utc_now

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Schedule(Protocol):
    def latest_due(self, now: datetime) -> datetime:
        """The most recent due time at or before `now`."""


@dataclass(frozen=True)
class Every:
    """Due at every multiple of `interval` since the epoch (plus `offset`), in UTC."""

    interval: timedelta
    offset: timedelta = timedelta(0)

    def latest_due(self, now: datetime) -> datetime:
        elapsed = now - EPOCH - self.offset
        return EPOCH + self.offset + (elapsed // self.interval) * self.interval


@dataclass(frozen=True)
class TimedJob:
    """A job and when it is due; `run` receives the due time it runs for."""

    name: str
    schedule: Schedule
    run: Callable[[datetime], None]


class Scheduler:
    """Claims each due time of each job with a row keyed (job, due_at); only the claimer runs it."""

    def __init__(self, engine: Engine, jobs: list[TimedJob], worker_id: str | None = None, tick_seconds: float = 1.0):
        self.engine = engine
        self.jobs = jobs
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.tick_seconds = tick_seconds
        self._last_seen: dict[str, datetime] = {}

    def _claim(self, job: TimedJob, due_at: datetime) -> bool:
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(scheduled_runs)
            .values(job=job.name, due_at=due_at, worker=self.worker_id, started_at=utc_now())
            .on_conflict_do_nothing(index_elements=["job", "due_at"])
            .returning(scheduled_runs.c.job)
        )
        with self.engine.begin() as connection:
            return connection.execute(statement).first() is not None

    def _finish(self, job: TimedJob, due_at: datetime, error: str | None) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(scheduled_runs)
                .where(scheduled_runs.c.job == job.name, scheduled_runs.c.due_at == due_at)
                .values(finished_at=utc_now(), error=error)
            )

    def run_due(self, now: datetime | None = None) -> list[str]:
        """Run every job whose latest due time this worker has not yet seen and wins; returns their names."""
        now = now or utc_now()
        ran = []
        for job in self.jobs:
            due_at = job.schedule.latest_due(now)
            if self._last_seen.get(job.name) == due_at:
                continue
            claimed = self._claim(job, due_at)
            self._last_seen[job.name] = due_at
            if not claimed:
                continue
            error = None
            try:
                # What the job changes is the job's in the audit log (the events' actor stays `system`).
                with system_job(job.name):
                    job.run(due_at)
                ran.append(job.name)
            except Exception as failure:
                log.exception("timed job %s failed for %s", job.name, due_at.isoformat())
                error = repr(failure)
            self._finish(job, due_at, error)
        return ran

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:
                log.exception("scheduler tick failed; retrying")
            stop.wait(self.tick_seconds)
