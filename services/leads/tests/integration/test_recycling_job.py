"""The recycle job on a real database: what it recycles, reassigns and warns about, what it leaves alone, and races."""
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.db import outbox
from crm_shared.envelope import utc_now
from crm_shared.scheduler import Every, Scheduler
from crm_shared.testing import contract, contract_with
from leads.config import SERVICE
from leads.db import lead_ownership_history, leads
from leads.db_follow_ups import lead_reminders
from leads.follow_ups import RECYCLE_WARNING
from leads.handlers import HANDLERS
from leads.pools import DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID
from leads.recycling_service import JOB_NAME, recycle_jobs, recycle_schedule, run_recycling

RECYCLED = "leads.lead.recycled.v1"
DISTRIBUTED = "leads.lead.distributed.v1"


@pytest.fixture
def set_policy(client, manager):
    def set_policy(policy, pool_id=DEFAULT_LEAD_POOL_ID, **rules):
        response = client.patch(f"/api/v1/pools/{pool_id}", json={"rules": {"recycle": policy, **rules}},
                                headers=manager)
        assert response.status_code == 200, response.json
    return set_policy


@pytest.fixture
def claimed(client, manager, rep1, new_lead):
    def claimed(headers=rep1, **fields):
        lead = client.post("/api/v1/leads", json={**new_lead, **fields}, headers=manager).json
        response = client.post(f"/api/v1/leads/{lead['id']}/claim", headers=headers)
        assert response.status_code == 200, response.json
        return lead
    return claimed


@pytest.fixture
def lead_of(client, admin):
    return lambda lead: client.get(f"/api/v1/leads/{lead['id']}", headers=admin).json


def events(uow_factory, name):
    with uow_factory() as uow:
        bodies = uow.session.scalars(select(outbox.c.body).where(outbox.c.name == name).order_by(outbox.c.position))
        return [json.loads(body)["payload"] for body in bodies]


def history(uow_factory, lead):
    h = lead_ownership_history
    with uow_factory() as uow:
        return uow.session.execute(select(h.c.reason, h.c.from_owner_id, h.c.to_owner_id, h.c.actor_id, h.c.detail)
                                   .where(h.c.lead_id == lead["id"]).order_by(h.c.id)).all()


def warnings(uow_factory):
    r = lead_reminders
    with uow_factory() as uow:
        return uow.session.execute(select(r.c.lead_id, r.c.owner_id, r.c.kind, r.c.note).order_by(r.c.created_at)).all()


def days_later(days: int) -> datetime:
    return utc_now() + timedelta(days=days)


def test_idle_leads_are_recycled_with_their_rule_and_previous_owner_and_a_second_run_changes_nothing(
        uow_factory, set_policy, claimed, lead_of):
    set_policy({"no_follow_up_days": 7})
    idle = claimed()
    report = run_recycling(uow_factory, days_later(9))
    assert report.recycled == [idle["id"]]
    lead = lead_of(idle)
    assert (lead["status"], lead["owner_id"], lead["previous_owner_id"], lead["pool_id"]) == (
        "pool", None, "rep-1", DEFAULT_PUBLIC_POOL_ID)
    [payload] = events(uow_factory, RECYCLED)
    assert set(payload) == set(contract(RECYCLED).payload)
    assert (payload["lead_id"], payload["previous_owner_id"], payload["rule"], payload["pool_id"]) == (
        idle["id"], "rep-1", "no_follow_up_days", DEFAULT_PUBLIC_POOL_ID)
    assert "limit 7 by default" in payload["reason"]
    reason, from_owner, to_owner, actor, detail = history(uow_factory, idle)[-1]
    assert (reason, from_owner, to_owner, actor) == ("recycled", "rep-1", None, "system")
    assert detail.startswith("no_follow_up_days: ")
    second = run_recycling(uow_factory, days_later(9))
    assert (second.recycled, second.reassigned, second.warned) == ([], [], [])
    assert len(events(uow_factory, RECYCLED)) == 1


def test_a_follow_up_restarts_the_no_follow_up_clock_but_not_the_not_converted_one(
        client, rep1, uow_factory, set_policy, claimed):
    set_policy({"no_follow_up_days": 7, "not_converted_days": 20})
    followed, idle = claimed(), claimed()
    with uow_factory() as uow:  # both were claimed five days ago
        five_days_ago = utc_now() - timedelta(days=5)
        uow.session.execute(update(leads).values(claimed_at=five_days_ago, last_activity_at=five_days_ago))
        uow.commit()
    client.post(f"/api/v1/leads/{followed['id']}/follow-ups", json={"kind": "call", "outcome": "Keen"}, headers=rep1)
    assert run_recycling(uow_factory, days_later(3)).recycled == [idle["id"]]
    assert run_recycling(uow_factory, days_later(9)).recycled == [followed["id"]]
    assert run_recycling(uow_factory, days_later(16)).recycled == []


def test_a_warning_is_added_once_however_often_the_job_runs(uow_factory, set_policy, claimed):
    set_policy({"no_follow_up_days": 7, "warn_days_before": 2})
    lead = claimed()
    assert run_recycling(uow_factory, days_later(3)).warned == []
    assert run_recycling(uow_factory, days_later(6)).warned == [lead["id"]]
    assert run_recycling(uow_factory, days_later(6)).warned == []
    assert run_recycling(uow_factory, days_later(6) + timedelta(hours=5)).warned == []
    [(lead_id, owner_id, kind, note)] = warnings(uow_factory)
    assert (lead_id, owner_id, kind) == (lead["id"], "rep-1", RECYCLE_WARNING) and "remind the rep" in note


def test_tiers_remind_then_reassign_to_the_least_loaded_other_rep_of_the_pool(
        client, rep2, tokens, uow_factory, set_policy, claimed, lead_of):
    set_policy({"no_follow_up_days": 10, "tiers": [{"day": 3, "action": "remind_rep_and_manager"},
                                                    {"day": 5, "action": "reassign"}],
                "max_locked_per_rep": 1})
    rep3 = tokens.headers("rep-3", ["sales_rep"], "rep3")
    busy = claimed(headers=rep2)
    assert client.post(f"/api/v1/leads/{busy['id']}/lock", headers=rep2).status_code == 200
    client.get("/api/v1/leads", headers=rep3)  # the service learns of rep-3 from their token
    lead = claimed()
    assert run_recycling(uow_factory, days_later(4)).warned == [lead["id"]]
    [(_, _, _, note)] = warnings(uow_factory)
    assert "tell your manager" in note
    assert run_recycling(uow_factory, days_later(6)).reassigned == [lead["id"]]
    # rep-2 holds one lead and rep-3 none: rep-1's lead goes to rep-3 (least loaded, other than its owner).
    taken = {p["lead_id"]: p for p in events(uow_factory, DISTRIBUTED)}
    assert set(taken[lead["id"]]) == set(contract(DISTRIBUTED).payload)
    assert (taken[lead["id"]]["owner_id"], taken[lead["id"]]["distributed_by"]) == ("rep-3", "system")
    assert lead_of(lead)["previous_owner_id"] == "rep-1"
    assert history(uow_factory, lead)[-1][:4] == ("distributed", "rep-1", "rep-3", "system")
    # The new owner's clock starts again: the next night changes nothing.
    assert run_recycling(uow_factory, days_later(6)).reassigned == []


def test_a_reassign_tier_with_nobody_else_in_the_pool_recycles_the_lead(uow_factory, set_policy, claimed, lead_of):
    set_policy({"no_follow_up_days": 10, "tiers": [{"day": 5, "action": "reassign"}]})
    lead = claimed()
    report = run_recycling(uow_factory, days_later(6))
    assert (report.reassigned, report.recycled) == ([], [lead["id"]])
    assert lead_of(lead)["status"] == "pool"
    assert "no other rep" in events(uow_factory, RECYCLED)[0]["reason"]


def test_locked_leads_and_leads_whose_customer_has_an_open_ticket_are_not_recycled(
        client, rep1, uow_factory, set_policy, claimed, lead_of):
    set_policy({"no_follow_up_days": 7, "max_locked_per_rep": 5})
    locked, ticketed, idle = claimed(), claimed(), claimed()
    assert client.post(f"/api/v1/leads/{locked['id']}/lock", headers=rep1).status_code == 200
    consumer = EventConsumer(None, Topology(exchange_name="test.events"), SERVICE, HANDLERS, uow_factory)
    customer = contract_with("sales.customer.created.v1", lead_id=ticketed["id"])
    ticket = contract("service_desk.ticket.opened.v1")
    for envelope in (customer, ticket, contract_with("service_desk.ticket.opened.v1")):
        consumer.handle(envelope, HANDLERS[envelope.name])
    assert run_recycling(uow_factory, days_later(30)).recycled == [idle["id"]]
    assert lead_of(locked)["owner_id"] == lead_of(ticketed)["owner_id"] == "rep-1"
    # Unlocked, the rules apply again.
    client.post(f"/api/v1/leads/{locked['id']}/unlock", headers=rep1)
    assert run_recycling(uow_factory, days_later(30)).recycled == [locked["id"]]


def test_a_lead_claimed_by_someone_else_between_evaluation_and_update_is_not_recycled(
        client, rep1, rep2, uow_factory, set_policy, claimed, lead_of):
    set_policy({"no_follow_up_days": 7})
    raced, idle = claimed(), claimed()

    def return_and_reclaim(planned):
        assert {p.facts.lead_id for p in planned} == {raced["id"], idle["id"]}
        body = {"reason": "unreachable"}
        assert client.post(f"/api/v1/leads/{raced['id']}/return", json=body, headers=rep1).status_code == 200
        assert client.post(f"/api/v1/leads/{raced['id']}/claim", headers=rep2).status_code == 200

    report = run_recycling(uow_factory, days_later(9), after_evaluation=return_and_reclaim)
    assert (report.recycled, report.skipped) == ([idle["id"]], [raced["id"]])
    assert (lead_of(raced)["status"], lead_of(raced)["owner_id"]) == ("claimed", "rep-2")
    assert [p["lead_id"] for p in events(uow_factory, RECYCLED)] == [idle["id"]]


def test_leads_are_evaluated_in_batches_until_every_one_is_seen(uow_factory, set_policy, claimed):
    set_policy({"no_follow_up_days": 7})
    ids = sorted(claimed()["id"] for _ in range(7))
    assert sorted(run_recycling(uow_factory, days_later(9), batch=3).recycled) == ids


def test_the_job_runs_nightly_at_two_in_the_business_time_zone_by_default():
    schedule = recycle_schedule({})
    assert schedule.interval == timedelta(days=1)
    shanghai_two = datetime(2030, 1, 1, 18, 0, tzinfo=timezone.utc)  # 02:00 on 2 January in Asia/Shanghai
    assert schedule.latest_due(shanghai_two + timedelta(hours=5)) == shanghai_two
    assert recycle_schedule({"CRM_LEADS_RECYCLE_EVERY_MINUTES": "60"}) == Every(timedelta(hours=1))


def test_two_schedulers_on_one_database_run_the_recycle_job_once_per_due_time(app, uow_factory, set_policy, claimed):
    set_policy({"no_follow_up_days": 7})
    lead = claimed()
    engine = app.extensions["crm.engine"]
    jobs = recycle_jobs(uow_factory, {"CRM_LEADS_RECYCLE_EVERY_MINUTES": "1440"})
    due = jobs[0].schedule.latest_due(days_later(9))
    ran = []
    for worker in ("worker-a", "worker-b"):
        ran += Scheduler(engine, jobs, worker_id=worker).run_due(due + timedelta(seconds=1))
    assert ran == [JOB_NAME]
    assert [p["lead_id"] for p in events(uow_factory, RECYCLED)] == [lead["id"]]


@pytest.mark.integration
def test_racing_schedulers_on_postgresql_run_the_recycle_job_once(settings, app, uow_factory, set_policy, claimed):
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (set CRM_TEST_DATABASE_URL)")
    set_policy({"no_follow_up_days": 7})
    ids = sorted(claimed()["id"] for _ in range(5))
    engine = app.extensions["crm.engine"]
    jobs = recycle_jobs(uow_factory)
    due = jobs[0].schedule.latest_due(days_later(9))
    barrier = threading.Barrier(4)
    ran, errors = [], []

    def run(worker):
        barrier.wait()
        try:
            ran.extend(Scheduler(engine, jobs, worker_id=worker).run_due(due + timedelta(seconds=1)))
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and ran == [JOB_NAME]
    assert sorted(p["lead_id"] for p in events(uow_factory, RECYCLED)) == ids
