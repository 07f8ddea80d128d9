"""Scale-out: two web and two worker processes of every service at once.

Every web process of the system runs two gunicorn workers already (CRM_WEB_WORKERS=2); this test starts a
second worker process beside each service's first, then checks that both take events from the service's
queue, that a burst of work through the gateway has each of its effects once (the channel counters of
reporting are increments, so an event handled by both workers would show as a double count), and that
each due time of every timed job in the window was run by exactly one worker, to the end.
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import create_engine, select

from crm_shared.bus.connection import connect
from crm_shared.db import scheduled_runs
from crm_shared.testing import poll

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow, pytest.mark.long]

WORKERS = ("leads", "sales", "service-desk", "reporting", "gateway")
LEADS, CLAIMED, CONVERTED = 30, 12, 6


@pytest.fixture(scope="module")
def two_of_each(running_system):
    if running_system.backend != "real":
        pytest.skip("the queues' consumers are counted on RabbitMQ (set CRM_TEST_AMQP_URL)")
    started_at = datetime.now(timezone.utc)
    for service in WORKERS:
        running_system.start(f"{service}-worker", instance=2)
    yield running_system, started_at
    for service in WORKERS:
        running_system.stop(f"{service}-worker.2")


def consumers_of(running_system, service: str) -> int:
    queue = f"{running_system.topology.queue_prefix}{running_system.topology.exchange_name}.{service}"
    with connect(running_system.bus_url) as connection:
        _name, _messages, consumers = connection.default_channel.queue_declare(queue=queue, passive=True)
    return consumers


def channel_counters(running_system, manager: dict, channel: str) -> dict:
    response = requests.get(f"{running_system.gateway_url}/api/v1/dashboards/channels", headers=manager, timeout=10)
    assert response.status_code == 200, response.text
    rows = [row for row in response.json()["channels"] if row["channel"] == channel]
    return {key: value for key, value in rows[0].items() if key != "channel"} if rows else {}


def test_two_workers_of_every_service_share_its_queue(two_of_each):
    running_system, _started = two_of_each
    for service in WORKERS:
        assert poll(lambda: consumers_of(running_system, service), lambda count: count == 2, timeout=60,
                    what=f"two consumers on the queue of {service}") == 2


def test_a_burst_of_work_has_each_effect_once_with_two_workers_per_service(two_of_each):
    running_system, _started = two_of_each
    api = running_system.gateway_url + "/api/v1"
    manager, rep = running_system.login("manager"), running_system.login("rep1")
    channel = f"scale-{uuid.uuid4().hex[:8]}"
    leads = []
    for number in range(LEADS):
        created = requests.post(f"{api}/leads", headers=manager, timeout=10, json={
            "company": f"Scale-out {channel} {number}", "contact_name": "Zhou Min", "channel": channel,
            "allow_duplicate": True})
        assert created.status_code == 201, created.text
        leads.append(created.json()["id"])
    for lead_id in leads[:CLAIMED]:
        claimed = requests.post(f"{api}/leads/{lead_id}/claim", headers=rep, timeout=10)
        assert claimed.status_code == 200, claimed.text
    for lead_id in leads[:CONVERTED]:
        converted = requests.post(f"{api}/leads/{lead_id}/convert", headers=rep, timeout=10, json={})
        assert converted.status_code == 200, converted.text

    expected = {"leads_created": LEADS, "leads_claimed": CLAIMED, "leads_converted": CONVERTED,
                "customers": CONVERTED, "tickets": 0}
    poll(lambda: channel_counters(running_system, manager, channel), lambda counters: counters == expected,
         timeout=60, what="the channel's counters in reporting")
    for lead_id in leads[:CONVERTED]:
        customers = poll(lambda: requests.get(f"{api}/customers", params={"lead_id": lead_id}, headers=rep,
                                              timeout=10).json(),
                         lambda body: body.get("total", 0) >= 1, timeout=60, what="the converted lead's customer")
        assert customers["total"] == 1, f"lead {lead_id} became {customers['total']} customers"
    # A redelivery to the other worker would arrive after the first effect: give the stragglers time, then
    # the counts must still be exactly the work done.
    time.sleep(3)
    assert channel_counters(running_system, manager, channel) == expected


def test_each_due_time_of_every_timed_job_is_run_once_by_one_of_two_workers(two_of_each):
    running_system, started_at = two_of_each
    # The minute jobs (reminders, SLA watch, workflow rules, scheduled reports) must pass two due times
    # with both workers running.
    first_full_minute = (started_at + timedelta(seconds=60)).replace(second=0, microsecond=0)
    last_due = first_full_minute + timedelta(minutes=1)
    wait = (last_due - datetime.now(timezone.utc)).total_seconds() + 15
    if wait > 0:
        time.sleep(wait)
    minute_jobs = 0
    for service in WORKERS:
        url = running_system.env[f"CRM_{service.upper().replace('-', '_')}_DATABASE_URL"]
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                runs = connection.execute(
                    select(scheduled_runs.c.job, scheduled_runs.c.due_at, scheduled_runs.c.worker,
                           scheduled_runs.c.finished_at, scheduled_runs.c.error)
                    .where(scheduled_runs.c.due_at >= first_full_minute, scheduled_runs.c.due_at <= last_due)
                ).all()
        finally:
            engine.dispose()
        by_job: dict[str, list] = {}
        for run in runs:
            by_job.setdefault(run.job, []).append(run)
        for job, job_runs in by_job.items():
            due_times = [run.due_at for run in job_runs]
            assert len(due_times) == len(set(due_times)), f"{service}: a due time of {job} ran twice"
            unfinished = [run for run in job_runs if run.finished_at is None or run.error]
            assert not unfinished, f"{service}: runs of {job} that did not finish cleanly: {unfinished}"
        for job, job_runs in by_job.items():
            if len(job_runs) >= 2:
                minute_jobs += 1
                assert sorted(run.due_at for run in job_runs) == [first_full_minute, last_due], (
                    f"{service}: {job} missed a due time: {sorted(run.due_at for run in job_runs)}")
    # Reminders (leads), the SLA watch, the workflow rules and hand-backs (service desk), scheduled reports.
    assert minute_jobs >= 5, "fewer minute jobs ran in the window than the services have"
