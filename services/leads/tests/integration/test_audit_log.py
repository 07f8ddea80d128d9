"""The leads audit log on a real database: rows written with each change and its actor, read per lead."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm_shared import outbox
from crm_shared.db import outbox as outbox_table
from crm_shared.envelope import Envelope, utc_now
from crm_shared.scheduler import Scheduler
from leads.config import SERVICE
from leads.db import audit_log
from leads.pools import DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID
from leads.recycling_service import JOB_NAME, recycle_jobs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

def audit_rows(uow_factory, lead_id):
    a = audit_log
    with uow_factory() as uow:
        return uow.session.execute(select(a.c.action, a.c.actor, a.c.event_id).where(
            a.c.record_type == "lead", a.c.record_id == lead_id).order_by(a.c.id)).all()


@pytest.fixture
def lead(client, manager, new_lead):
    response = client.post("/api/v1/leads", json=new_lead, headers=manager)
    assert response.status_code == 201, response.json
    return response.json


def test_a_change_through_the_api_leaves_an_audit_row_naming_its_actor_and_event(client, uow_factory, lead, rep1):
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    rows = audit_rows(uow_factory, lead["id"])
    assert [(action, actor) for action, actor, _ in rows] == [
        ("leads.lead.created.v1", "manager-1"), ("leads.lead.claimed.v1", "rep-1")]
    with uow_factory() as uow:
        event_ids = set(uow.session.scalars(select(outbox_table.c.event_id)))
    assert {event_id for _, _, event_id in rows} <= event_ids


def test_a_rolled_back_change_leaves_no_audit_row_and_a_committed_one_does(uow_factory, lead):
    claimed = Envelope.new("leads.lead.claimed.v1", {"lead_id": lead["id"], "owner_id": "rep-9"},
                           producer=SERVICE, actor="rep-9")
    with uow_factory() as uow:
        outbox.record(uow.session, [claimed], uow.audit_trail)
        uow.audit_change("lead", lead["id"], "revealed", {"pool_id": DEFAULT_LEAD_POOL_ID}, actor="rep-9")
        uow.rollback()
    assert [actor for _, actor, _ in audit_rows(uow_factory, lead["id"])] == ["manager-1"]
    with uow_factory() as uow:
        uow.emit(claimed)
        uow.commit()
    assert audit_rows(uow_factory, lead["id"])[-1] == ("leads.lead.claimed.v1", "rep-9", claimed.id)


def test_the_recycle_job_is_named_as_the_actor_of_what_it_recycles(client, manager, rep1, lead, uow_factory, app):
    policy = {"rules": {"recycle": {"no_follow_up_days": 7}}}
    assert client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json=policy, headers=manager).status_code == 200
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    scheduler = Scheduler(app.extensions["crm.engine"], recycle_jobs(uow_factory, {"CRM_LEADS_RECYCLE_EVERY_MINUTES": "1"}))
    assert scheduler.run_due(utc_now() + timedelta(days=9)) == [JOB_NAME]
    action, actor, _ = audit_rows(uow_factory, lead["id"])[-1]
    assert (action, actor) == ("leads.lead.recycled.v1", f"system:{JOB_NAME}")
    item = client.get(f"/api/v1/leads/{lead['id']}/audit", headers=manager).json["items"][0]
    assert (item["actor_id"], item["actor_kind"], item["actor_name"]) == (f"system:{JOB_NAME}", "system", JOB_NAME)


def test_the_trail_is_newest_first_paged_and_names_the_actors_the_directory_knows(
        client, lead, rep1, manager, in_directory):
    in_directory("rep-1", ["sales_rep"])
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    follow_up = {"kind": "call", "outcome": "interested"}
    assert client.post(f"/api/v1/leads/{lead['id']}/follow-ups", json=follow_up, headers=rep1).status_code == 201
    page = client.get(f"/api/v1/leads/{lead['id']}/audit", headers=rep1).json
    assert page["total"] == 3
    assert [i["action"] for i in page["items"]] == [
        "leads.follow_up.logged.v1", "leads.lead.claimed.v1", "leads.lead.created.v1"]
    assert [i["at"] for i in page["items"]] == sorted((i["at"] for i in page["items"]), reverse=True)
    assert (page["items"][1]["actor_id"], page["items"][1]["actor_name"]) == ("rep-1", "rep-1")
    second = client.get(f"/api/v1/leads/{lead['id']}/audit?limit=1&offset=1", headers=rep1).json
    assert (second["total"], [i["action"] for i in second["items"]]) == (3, ["leads.lead.claimed.v1"])
    bad = client.get(f"/api/v1/leads/{lead['id']}/audit?limit=0", headers=rep1)
    assert bad.status_code == 422 and bad.json["code"] == "validation_failed"


def test_another_rep_is_refused_the_trail_exactly_as_the_lead(client, lead, rep1, rep2):
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    record = client.get(f"/api/v1/leads/{lead['id']}", headers=rep2)
    trail = client.get(f"/api/v1/leads/{lead['id']}/audit", headers=rep2)
    assert (trail.status_code, trail.json["code"]) == (record.status_code, record.json["code"]) == (404, "not_found")
    assert client.get("/api/v1/leads/no-such-lead/audit", headers=rep1).status_code == 404


def test_contacts_in_the_trail_are_masked_for_a_reader_who_sees_the_lead_masked(
        client, manager, rep1, rep2, lead, uow_factory):
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    assert client.post(f"/api/v1/leads/{lead['id']}/return", json={"reason": "no_budget"},
                       headers=rep1).status_code == 200
    # A conversion's payload carries the contacts; a lead can come back to a public pool after one.
    with uow_factory() as uow:
        uow.audit_change("lead", lead["id"], "converted", {"phone": "+86 21 5555 0101", "company": "Acme"})
        uow.commit()
    seen_masked = client.get(f"/api/v1/leads/{lead['id']}/audit", headers=rep2).json["items"][0]["details"]
    assert seen_masked == {"phone": "***", "company": "Acme"}
    seen_whole = client.get(f"/api/v1/leads/{lead['id']}/audit", headers=manager).json["items"][0]["details"]
    assert seen_whole["phone"] == "+86 21 5555 0101"


def test_a_reveal_leaves_an_audit_row_naming_the_reader(client, manager, rep1, rep2, new_lead, uow_factory):
    lead = client.post("/api/v1/leads", json=new_lead, headers=manager).json
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    assert client.post(f"/api/v1/leads/{lead['id']}/return", json={"reason": "no_budget"},
                       headers=rep1).status_code == 200
    masked = client.get(f"/api/v1/leads/{lead['id']}/audit", headers=rep2).json
    assert masked["items"][0]["action"] == "leads.lead.returned.v1"
    assert client.post(f"/api/v1/leads/{lead['id']}/reveal", headers=rep2).status_code == 200
    assert audit_rows(uow_factory, lead["id"])[-1] == ("revealed", "rep-2", None)
    assert client.post(f"/api/v1/leads/{lead['id']}/reveal", headers=rep2).status_code == 200  # same day: no new row
    assert [action for action, _, _ in audit_rows(uow_factory, lead["id"])].count("revealed") == 1
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=rep2).json["pool_id"] == DEFAULT_PUBLIC_POOL_ID


def test_an_auto_distribution_is_the_rules_doing_though_a_user_created_the_lead(client, manager, tokens, new_lead,
                                                                                 uow_factory):
    assert client.get("/api/v1/leads", headers=tokens.headers("rep-1", ["sales_rep"])).status_code == 200
    rule = {"rules": {"distribution": {"strategy": "round_robin"}}}
    assert client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json=rule, headers=manager).status_code == 200
    lead = client.post("/api/v1/leads", json=new_lead, headers=manager).json
    assert lead["owner_id"] == "rep-1"
    assert [(action, actor) for action, actor, _ in audit_rows(uow_factory, lead["id"])] == [
        ("leads.lead.created.v1", "manager-1"), ("leads.lead.distributed.v1", "system:leads.auto_distribution")]
