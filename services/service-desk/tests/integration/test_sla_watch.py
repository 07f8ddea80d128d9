"""The SLA job announces each warning and breach once: run again, by two schedulers, or by racing workers."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm_shared.db import outbox
from crm_shared.envelope import parse_time
from crm_shared.scheduler import Scheduler
from crm_shared.testing import contract
from service_desk.sla_events import TICKET_SLA_BREACHED, TICKET_SLA_WARNING
from service_desk.sla_service import WATCH_JOB, announce_sla_crossings, sla_jobs


@pytest.fixture
def around_the_clock(client, headers):
    """A policy counting every minute: a first response within 60 minutes, a warning at 80 % (48 minutes)."""
    body = {"name": "Around the clock", "targets": {"first_response_minutes": 60, "resolution_minutes": 600}}
    response = client.post("/api/v1/sla-policies", json=body, headers=headers("manager-1", "service_manager"))
    assert response.status_code == 201, response.json
    return response.json


def open_ticket(client, agent, customer_id) -> tuple[str, datetime]:
    ticket = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Help"}, headers=agent).json
    return ticket["id"], parse_time(ticket["opened_at"])


def sla_events(uow_factory) -> list[dict]:
    with uow_factory() as uow:
        bodies = uow.session.scalars(select(outbox.c.body).where(outbox.c.name.in_([TICKET_SLA_WARNING,
                                                                                   TICKET_SLA_BREACHED]))
                                     .order_by(outbox.c.position))
        return [json.loads(body) for body in bodies]


def test_a_warning_then_a_breach_are_each_announced_once_however_often_the_job_runs(
        client, agent, customer_created, uow_factory, around_the_clock):
    ticket_id, opened_at = open_ticket(client, agent, customer_created())
    assert announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=47)) == 0
    assert announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=50)) == 1
    assert announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=55)) == 0
    assert announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=61)) == 1
    assert announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=90)) == 0
    warning, breach = sla_events(uow_factory)
    assert (warning["name"], breach["name"]) == (TICKET_SLA_WARNING, TICKET_SLA_BREACHED)
    assert set(warning["payload"]) == set(contract(TICKET_SLA_WARNING).payload)
    assert set(breach["payload"]) == set(contract(TICKET_SLA_BREACHED).payload)
    assert (breach["payload"]["ticket_id"], breach["payload"]["metric"], breach["payload"]["cycle"]) == (
        ticket_id, "first_response", 1)
    assert parse_time(breach["payload"]["breached_at"]) == opened_at + timedelta(minutes=60)
    assert parse_time(warning["payload"]["warning_at"]) == opened_at + timedelta(minutes=48)
    assert breach["payload"]["policy_id"] == around_the_clock["id"]


def test_warnings_and_breaches_name_the_customers_owner_and_none_for_a_ticket_without_customer(
        client, agent, customer_created, uow_factory, around_the_clock):
    owned_id, opened_at = open_ticket(client, agent, customer_created(owner_id="rep-7"))
    submitted = client.post("/api/v1/public/requests", json={
        "name": "Li Wei", "email": "li.wei@example.com", "subject": "Cannot export", "description": "Nothing happens."})
    assert submitted.status_code == 202, submitted.json
    [unowned] = client.get(f"/api/v1/tickets?q={submitted.json['number']}", headers=agent).json["items"]
    announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=50))
    announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=65))
    owners = {(e["payload"]["ticket_id"], e["name"]): e["payload"]["customer_owner_id"]
              for e in sla_events(uow_factory)}
    assert owners[(owned_id, TICKET_SLA_WARNING)] == owners[(owned_id, TICKET_SLA_BREACHED)] == "rep-7"
    assert owners[(unowned["id"], TICKET_SLA_BREACHED)] is None


def test_a_breach_found_late_is_announced_without_the_warning_it_passed(
        client, agent, customer_created, uow_factory, around_the_clock):
    open_ticket(client, agent, customer_created())
    _, opened_at = open_ticket(client, agent, customer_created())
    assert announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=65), batch=1) == 2
    assert [event["name"] for event in sla_events(uow_factory)] == [TICKET_SLA_BREACHED] * 2


def test_a_met_metric_and_a_resolved_ticket_announce_nothing(client, agent, customer_created, uow_factory,
                                                             around_the_clock):
    ticket_id, opened_at = open_ticket(client, agent, customer_created())
    assert client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "Hello"}, headers=agent).status_code == 201
    assert announce_sla_crossings(uow_factory, opened_at + timedelta(minutes=61)) == 0


def test_two_schedulers_on_one_database_run_the_job_once_per_minute(app, client, agent, customer_created, uow_factory,
                                                                    around_the_clock):
    _, opened_at = open_ticket(client, agent, customer_created())
    engine = app.extensions["crm.engine"]
    minute = (opened_at + timedelta(minutes=70)).replace(second=0, microsecond=0)
    first = Scheduler(engine, sla_jobs(uow_factory), worker_id="worker-a")
    second = Scheduler(engine, sla_jobs(uow_factory), worker_id="worker-b")
    ran = first.run_due(minute + timedelta(seconds=1)) + second.run_due(minute + timedelta(seconds=2))
    assert ran == [WATCH_JOB]
    assert [event["name"] for event in sla_events(uow_factory)] == [TICKET_SLA_BREACHED]


@pytest.mark.integration
def test_racing_workers_on_postgresql_announce_each_breach_once(postgresql_only, client, agent, customer_created,
                                                                uow_factory, around_the_clock):
    opened = [open_ticket(client, agent, customer_created()) for _ in range(6)]
    now = max(at for _, at in opened) + timedelta(minutes=61)
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def run():
        barrier.wait()
        try:
            counts.append(announce_sla_crossings(uow_factory, now, batch=2))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and sum(counts) == 6
    announced = [(e["payload"]["ticket_id"], e["name"]) for e in sla_events(uow_factory)]
    assert sorted(announced) == sorted((ticket_id, TICKET_SLA_BREACHED) for ticket_id, _ in opened)
