"""The reminder job announces each due reminder exactly once: run twice, by two schedulers, or by racing workers."""
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from crm_shared.db import outbox
from crm_shared.envelope import utc_now
from crm_shared.scheduler import Scheduler
from crm_shared.testing import contract
from leads.follow_up_service import announce_due_reminders, reminder_jobs
from leads.follow_ups import NEXT_CONTACT, RECYCLE_WARNING, Reminder

DUE = "leads.reminder.due.v1"


@pytest.fixture
def owned_lead(client, manager, rep1, new_lead):
    lead = client.post("/api/v1/leads", json=new_lead, headers=manager).json
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    return lead


def add(uow_factory, lead, due_at, owner_id="rep-1", kind=NEXT_CONTACT, note="Call back") -> Reminder:
    reminder = Reminder.new(kind=kind, lead_id=lead["id"], owner_id=owner_id, due_at=due_at, now=utc_now(), note=note)
    with uow_factory() as uow:
        uow.reminders.add(reminder)
        uow.commit()
    return reminder


def announced(uow_factory) -> list[dict]:
    with uow_factory() as uow:
        bodies = uow.session.scalars(select(outbox.c.body).where(outbox.c.name == DUE).order_by(outbox.c.position))
        return [json.loads(body)["payload"] for body in bodies]


def test_a_due_reminder_is_announced_once_however_often_the_job_runs(uow_factory, owned_lead):
    now = utc_now()
    due = add(uow_factory, owned_lead, now - timedelta(minutes=1))
    later = add(uow_factory, owned_lead, now + timedelta(hours=1))
    assert announce_due_reminders(uow_factory, now) == 1
    assert announce_due_reminders(uow_factory, now) == 0
    assert announce_due_reminders(uow_factory, now + timedelta(seconds=30)) == 0
    [payload] = announced(uow_factory)
    assert set(payload) == set(contract(DUE).payload)
    assert (payload["reminder_id"], payload["owner_id"], payload["kind"], payload["note"]) == (
        due.id, "rep-1", NEXT_CONTACT, "Call back")
    assert announce_due_reminders(uow_factory, now + timedelta(hours=2)) == 1
    assert [p["reminder_id"] for p in announced(uow_factory)] == [due.id, later.id]


def test_two_schedulers_on_one_database_run_the_job_once_per_minute_and_announce_once(app, uow_factory, owned_lead):
    engine = app.extensions["crm.engine"]
    minute = datetime(2030, 1, 1, 9, 0, tzinfo=timezone.utc)
    add(uow_factory, owned_lead, minute - timedelta(seconds=20), kind=RECYCLE_WARNING)
    first = Scheduler(engine, reminder_jobs(uow_factory), worker_id="worker-a")
    second = Scheduler(engine, reminder_jobs(uow_factory), worker_id="worker-b")
    ran = first.run_due(minute + timedelta(seconds=1)) + second.run_due(minute + timedelta(seconds=2))
    ran += first.run_due(minute + timedelta(seconds=3))
    assert ran == ["leads.reminders.announce_due"]
    next_minute = minute + timedelta(minutes=1, seconds=1)
    assert len(second.run_due(next_minute) + first.run_due(next_minute)) == 1
    assert [p["kind"] for p in announced(uow_factory)] == [RECYCLE_WARNING]


def test_a_snoozed_reminder_is_announced_again_at_its_new_time(client, rep1, uow_factory, owned_lead):
    now = utc_now()
    reminder = add(uow_factory, owned_lead, now - timedelta(minutes=5))
    announce_due_reminders(uow_factory, now)
    until = (now + timedelta(hours=1)).isoformat()
    assert client.post(f"/api/v1/reminders/{reminder.id}/snooze", json={"until": until}, headers=rep1).status_code == 200
    assert announce_due_reminders(uow_factory, now + timedelta(minutes=30)) == 0
    assert announce_due_reminders(uow_factory, now + timedelta(hours=1, minutes=1)) == 1
    assert announce_due_reminders(uow_factory, now + timedelta(hours=2)) == 0
    assert [p["reminder_id"] for p in announced(uow_factory)] == [reminder.id, reminder.id]


def test_done_reminders_and_reminders_of_leads_the_owner_no_longer_has_are_not_announced(
        client, rep1, uow_factory, owned_lead):
    now = utc_now()
    done = add(uow_factory, owned_lead, now - timedelta(minutes=5))
    assert client.post(f"/api/v1/reminders/{done.id}/complete", headers=rep1).status_code == 200
    add(uow_factory, owned_lead, now - timedelta(minutes=5), owner_id="rep-9")
    assert announce_due_reminders(uow_factory, now) == 0


def test_more_due_reminders_than_a_batch_are_all_announced_in_one_run(uow_factory, owned_lead):
    now = utc_now()
    for n in range(7):
        add(uow_factory, owned_lead, now - timedelta(minutes=n))
    assert announce_due_reminders(uow_factory, now, batch=3) == 7
    assert len({p["reminder_id"] for p in announced(uow_factory)}) == 7


@pytest.mark.integration
def test_racing_workers_on_postgresql_announce_each_reminder_once(settings, uow_factory, owned_lead):
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (set CRM_TEST_DATABASE_URL)")
    now = utc_now()
    for n in range(40):
        add(uow_factory, owned_lead, now - timedelta(seconds=n))
    barrier = threading.Barrier(6)
    counts, errors = [], []

    def run():
        barrier.wait()
        try:
            counts.append(announce_due_reminders(uow_factory, now, batch=5))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and sum(counts) == 40
    ids = [p["reminder_id"] for p in announced(uow_factory)]
    assert len(ids) == len(set(ids)) == 40
