"""Queued imports run by the worker's runner on real PostgreSQL: progress seen mid-way, one runner per job, resumes."""
import io
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm_shared.envelope import utc_now
from leads import import_service
from leads.db import leads
from leads.import_runner import ImportRunner

# The import queue's locking is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

IMPORTS = "/api/v1/leads/imports"
MAPPING = {"company": "company", "contact": "contact_name", "phone": "phone", "channel": "channel"}
WAIT = 30
REAL_CHUNK = import_service._import_chunk


def queue(client, headers, rows: int, first: int = 0) -> dict:
    lines = ["company,contact,phone,channel"] + [f"Company {n},Contact {n},1370{n:07d},fair"
                                                 for n in range(first, first + rows)]
    form = {"file": (io.BytesIO("\r\n".join(lines).encode()), "leads.csv"),
            "options": json.dumps({"mapping": MAPPING, "on_duplicate": "skip"})}
    response = client.post(IMPORTS, data=form, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 202, response.json
    return response.json


def lead_count(uow_factory) -> tuple[int, int]:
    """All leads, and how many distinct companies they have (a lead imported twice shows as a difference)."""
    with uow_factory() as uow:
        return uow.session.execute(select(func.count(), func.count(leads.c.company.distinct()))).one()


class Gate:
    """Stops the runner inside a chosen chunk (its transaction open, its rows not committed) until let go."""

    def __init__(self, monkeypatch, at_chunk: int, then=None):
        self.reached, self.go = threading.Event(), threading.Event()
        self.calls = 0
        real_chunk = import_service._import_chunk

        def chunk(*args):
            self.calls += 1
            if self.calls == at_chunk:
                self.reached.set()
                assert self.go.wait(WAIT)
                if then is not None:
                    raise then
            return real_chunk(*args)

        monkeypatch.setattr(import_service, "_import_chunk", chunk)


class WorkerKilled(BaseException):
    """The worker process dying: the runner's own error handling never runs."""


def test_the_page_sees_a_queued_import_advance_while_the_worker_runs_it(client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 50)
    gate = Gate(monkeypatch, at_chunk=3)
    job = queue(client, manager, 200)
    assert job["status"] == "queued"
    stop = threading.Event()
    runner = ImportRunner(uow_factory, poll_seconds=0.05)
    worker = threading.Thread(target=runner.run, args=(stop,))
    worker.start()
    try:
        assert gate.reached.wait(WAIT)
        midway = client.get(f"{IMPORTS}/{job['id']}", headers=manager).json
        assert (midway["status"], midway["processed"], midway["created"], midway["total"]) == ("running", 100, 100, 200)
        assert lead_count(uow_factory) == (100, 100)
        gate.go.set()
        done = wait_for(lambda: client.get(f"{IMPORTS}/{job['id']}", headers=manager).json,
                        lambda job: job["status"] != "running")
        assert (done["status"], done["processed"], done["created"]) == ("completed", 200, 200)
    finally:
        gate.go.set()
        stop.set()
        worker.join(WAIT)
    assert lead_count(uow_factory) == (200, 200)


def wait_for(read, done, timeout: float = WAIT):
    deadline = utc_now() + timedelta(seconds=timeout)
    while utc_now() < deadline:
        value = read()
        if done(value):
            return value
        threading.Event().wait(0.05)
    raise AssertionError(f"still {value} after {timeout}s")


def test_a_job_in_the_middle_of_a_chunk_is_never_taken_and_a_dead_runners_job_is_resumed_once(
        client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 40)
    gate = Gate(monkeypatch, at_chunk=2, then=WorkerKilled())
    job = queue(client, manager, 100)
    dying = ImportRunner(uow_factory)
    died = []

    def run():
        try:
            dying.run_next()
        except WorkerKilled:
            died.append(True)

    worker = threading.Thread(target=run)
    worker.start()
    assert gate.reached.wait(WAIT)
    # However late its heartbeat looks, the row the runner is writing a chunk under is locked: skipped.
    far_later = utc_now() + timedelta(days=1)
    assert ImportRunner(uow_factory).run_next(far_later) is None
    gate.go.set()
    worker.join(WAIT)
    assert died == [True]
    midway = client.get(f"{IMPORTS}/{job['id']}", headers=manager).json
    assert (midway["status"], midway["processed"], midway["created"]) == ("running", 40, 40)

    # A fresh heartbeat keeps it; a stale one hands it on, and the next runner goes on after row 40.
    monkeypatch.setattr(import_service, "_import_chunk", REAL_CHUNK)
    assert ImportRunner(uow_factory).run_next() is None
    assert ImportRunner(uow_factory).run_next(far_later) == job["id"]
    done = client.get(f"{IMPORTS}/{job['id']}", headers=manager).json
    assert (done["status"], done["processed"], done["created"], done["skipped"]) == ("completed", 100, 100, 0)
    assert lead_count(uow_factory) == (100, 100)


def test_runners_of_several_workers_share_the_queue_and_run_each_import_once(client, manager, uow_factory, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK", 25)
    jobs = [queue(client, manager, 60, first=100 * n) for n in range(6)]
    barrier = threading.Barrier(3)
    ran: list[list[str]] = []

    def work():
        barrier.wait()
        ran.append(ImportRunner(uow_factory).run_all())

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert sorted(sum(ran, [])) == sorted(job["id"] for job in jobs)
    finished = [client.get(f"{IMPORTS}/{job['id']}", headers=manager).json for job in jobs]
    assert {(job["status"], job["created"]) for job in finished} == {("completed", 60)}
    assert lead_count(uow_factory) == (360, 360)
