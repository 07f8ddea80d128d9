"""Imports in the background: the request checks and queues the file; the worker runs it, chunk by committed chunk.

`POST /api/v1/leads/imports` reads the file, checks the mapping and the target pool, stores the file in
the leads database (any worker host can then run it) and answers 202 with the job, `queued`. A runner
thread in each leads worker claims queued jobs (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite's write
transactions run one at a time) and runs the chunks of leads/import_service.py, each chunk's leads,
the job's counts and the queue row's `rows_done` in one transaction, while the page polls the job.

A runner beats in each chunk it commits and holds the queue row locked while it writes one, so no one
takes a job from a live runner. A job whose runner stopped beating for `CRM_LEADS_IMPORT_STALE_SECONDS`
(the worker died) is taken by the next runner, which re-reads the file and goes on after `rows_done`:
nothing committed is imported twice (leads get ids derived from the job and the row, a second safety
net). A job taken MAX_ATTEMPTS times without finishing is marked failed, saying how far it got. On
resume, the file's later rows meet the rows already imported through the pool's duplicate keys, as
leads already in the pool, so skip/merge/allow decide for them as in one run.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from leads import import_service
from leads.import_jobs import Claim
from leads.import_service import COMPLETED, FAILED, RUNNING
from leads.imports import MAX_STORED_ERRORS, Sieve, check_mapping, chunks, read_sheet
from leads.uow import LeadsUnitOfWork

log = logging.getLogger(__name__)

UowFactory = Callable[[], LeadsUnitOfWork]
QUEUED = "queued"
MAX_ATTEMPTS = 3
DEFAULT_POLL_SECONDS = 1.0
DEFAULT_STALE_SECONDS = 120
# Lead ids of an import are uuid5(this, "<job id>:<row number>"): the same row is the same lead on every run.
ROW_IDS = uuid.UUID("6f1d3c52-8a4e-4c55-9a57-3e0b1f2d7c91")


def queue_import(uow_factory: UowFactory, data: bytes, file_name: str, options: dict, importer: Identity) -> dict:
    """Check the file, its mapping and the target pool, then queue the import for the worker; the job, `queued`."""
    sheet = read_sheet(data, file_name)
    check_mapping(sheet.header, options["mapping"], options.get("defaults") or {})
    import_id = str(uuid.uuid4())
    now = utc_now()
    with uow_factory() as uow:
        pool_id, owner_id = import_service._target(uow, options, importer)
        uow.imports.add({
            "id": import_id, "status": QUEUED, "file_name": file_name[:300], "file_format": sheet.file_format,
            # The pool as resolved now: the default pool stays the one the importer was shown.
            "options": {**options, "pool_id": pool_id, "owner_id": owner_id}, "created_by": importer.user_id,
            "total": len(sheet.rows), "processed": 0, "created": 0, "skipped": 0, "merged": 0, "failed": 0,
            "errors": [], "created_at": now,
        })
        uow.import_queue.add(import_id, data, now)
        uow.commit()
    return import_service.get_import(uow_factory, import_id, importer)


def _runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class ImportRunner:
    """Claims queued (or abandoned) imports one at a time and runs them; `run` is the worker's loop."""

    uow_factory: UowFactory
    poll_seconds: float = DEFAULT_POLL_SECONDS
    stale_after: timedelta = timedelta(seconds=DEFAULT_STALE_SECONDS)
    runner_id: str = ""

    def __post_init__(self):
        self.runner_id = self.runner_id or _runner_id()

    @classmethod
    def from_env(cls, uow_factory: UowFactory, environ: Mapping[str, str] | None = None) -> "ImportRunner":
        """`CRM_LEADS_IMPORT_POLL_SECONDS` (how soon a queued import starts) and `CRM_LEADS_IMPORT_STALE_SECONDS`."""
        env = os.environ if environ is None else environ
        poll = float(env.get("CRM_LEADS_IMPORT_POLL_SECONDS", DEFAULT_POLL_SECONDS))
        stale = float(env.get("CRM_LEADS_IMPORT_STALE_SECONDS", DEFAULT_STALE_SECONDS))
        if poll <= 0 or stale <= 0:
            raise ValueError("CRM_LEADS_IMPORT_POLL_SECONDS and CRM_LEADS_IMPORT_STALE_SECONDS must be positive")
        return cls(uow_factory, poll, timedelta(seconds=stale))

    def run(self, stop: threading.Event) -> None:
        """Run imports until `stop`; an import running when it is set goes back to the queue between chunks."""
        while not stop.is_set():
            try:
                ran = self.run_next(stop=stop)
            except Exception:
                log.exception("import runner tick failed; retrying")
                ran = None
            if ran is None:
                stop.wait(self.poll_seconds)

    def run_all(self, now: datetime | None = None) -> list[str]:
        """Run every import there is to run now, one after another (tests, scripts); their ids."""
        ran = []
        while (import_id := self.run_next(now)) is not None:
            ran.append(import_id)
        return ran

    def run_next(self, now: datetime | None = None, stop: threading.Event | None = None) -> str | None:
        """Claim one import and run it to its end (or until `stop`); its id, or None if there was none."""
        now = now or utc_now()
        with self.uow_factory() as uow:
            claim = uow.import_queue.claim(self.runner_id, now, now - self.stale_after)
            if claim is None:
                return None
            job = uow.imports.get(claim.import_id)
            if claim.attempts > MAX_ATTEMPTS:
                log.warning("import %s abandoned %d times; marking it failed", claim.import_id, MAX_ATTEMPTS)
                _end(uow, claim.import_id, FAILED, (
                    f"The import stopped {MAX_ATTEMPTS} times before it finished (its worker died): "
                    f"{job['processed']} of {job['total']} rows were done, the rest were not imported."))
                uow.commit()
                return claim.import_id
            if claim.attempts > 1:
                log.info("import %s resumed after %d good rows (attempt %d)", claim.import_id, claim.rows_done,
                         claim.attempts)
            uow.imports.update(claim.import_id, status=RUNNING)
            data = uow.import_queue.file_data(claim.import_id)
            uow.commit()
        self._run(job, claim, data, stop)
        return claim.import_id

    def _run(self, job: dict, claim: Claim, data: bytes, stop: threading.Event | None) -> None:
        import_id, options = job["id"], job["options"]
        importer = Identity(user_id=job["created_by"], username=job["created_by"])
        counts = {name: job[name] for name in ("created", "skipped", "merged")}
        rows_done = claim.rows_done
        try:
            sheet, good, bad = import_service._plan(data, job["file_name"], options)
            for row in good:
                row["id"] = str(uuid.uuid5(ROW_IDS, f"{import_id}:{row['row']}"))
            counts["processed"] = len(sheet.rows) - len(good) + rows_done
            with self.uow_factory() as uow:
                if not uow.import_queue.hold(import_id, self.runner_id):
                    return self._lost(import_id)
                uow.imports.update(import_id, processed=counts["processed"], failed=len({e.row for e in bad}),
                                   errors=[error.to_dict() for error in bad[:MAX_STORED_ERRORS]])
                uow.import_queue.advance(import_id, rows_done, utc_now())
                uow.commit()
            sieve = Sieve(options["on_duplicate"])
            for chunk in chunks(good[rows_done:], import_service.CHUNK):
                if stop is not None and stop.is_set():
                    return self._give_back(import_id, rows_done)
                with self.uow_factory() as uow:
                    if not uow.import_queue.hold(import_id, self.runner_id):
                        return self._lost(import_id)
                    import_service._import_chunk(uow, chunk, sieve, options["pool_id"], options.get("owner_id"),
                                                 importer, import_id, counts)
                    counts["processed"] += len(chunk)
                    rows_done += len(chunk)
                    uow.imports.update(import_id, **counts)
                    uow.import_queue.advance(import_id, rows_done, utc_now())
                    uow.commit()
        except Exception as error:
            log.exception("import %s failed after %d good rows", import_id, rows_done)
            with self.uow_factory() as uow:
                if uow.import_queue.hold(import_id, self.runner_id):
                    _end(uow, import_id, FAILED, f"Stopped after {counts.get('processed', 0)} rows: "
                                                 f"{type(error).__name__}: {error}"[:1000])
                    uow.commit()
            return
        with self.uow_factory() as uow:
            if not uow.import_queue.hold(import_id, self.runner_id):
                return self._lost(import_id)
            _end(uow, import_id, COMPLETED)
            uow.commit()

    def _give_back(self, import_id: str, rows_done: int) -> None:
        with self.uow_factory() as uow:
            if uow.import_queue.hold(import_id, self.runner_id):
                uow.import_queue.release(import_id)
                uow.imports.update(import_id, status=QUEUED)
                uow.commit()
        log.info("import %s given back to the queue after %d good rows (worker stopping)", import_id, rows_done)

    def _lost(self, import_id: str) -> None:
        # Our heartbeat was late and another runner took the job; it goes on from what we committed.
        log.warning("import %s was taken over by another runner; stopping here", import_id)


def _end(uow: LeadsUnitOfWork, import_id: str, status: str, message: str | None = None) -> None:
    """The job's last word; its file goes with its queue row."""
    uow.imports.update(import_id, status=status, finished_at=utc_now(), message=message)
    uow.import_queue.remove(import_id)
