"""Recycle policies on pools, locking leads against recycling, and the recycle preview, through the Flask test client."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm_shared.db import outbox
from crm_shared.envelope import utc_now
from leads.db import lead_ownership_history, leads, pools
from leads.db_follow_ups import lead_reminders
from leads.db_recycling import lead_recycle_states, lead_recycle_warnings
from leads.pools import DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID

POLICY = {"no_follow_up_days": 7, "warn_days_before": 2, "max_locked_per_rep": 1}


@pytest.fixture
def set_policy(client, manager):
    def set_policy(policy, pool_id=DEFAULT_LEAD_POOL_ID, headers=manager):
        return client.patch(f"/api/v1/pools/{pool_id}", json={"rules": {"recycle": policy}}, headers=headers)
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
def snapshot(uow_factory):
    def take():
        with uow_factory() as uow:
            tables = (leads, pools, lead_ownership_history, outbox, lead_reminders, lead_recycle_states,
                      lead_recycle_warnings)
            return [sorted(tuple(map(str, row)) for row in uow.session.execute(select(t)).all()) for t in tables]
    return take


def refused(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["code"] == code, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    return response.json


def test_the_default_pools_recycle_nothing(client, manager):
    for pool_id in (DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID):
        assert client.get(f"/api/v1/pools/{pool_id}", headers=manager).json["rules"]["recycle"] is None


def test_a_manager_sets_a_recycle_policy_and_reads_it_back_complete(client, manager, set_policy):
    response = set_policy({"no_follow_up_days": {"default": 7, "by_industry": {"retail": 10}},
                           "tiers": [{"day": 5, "action": "remind_rep"}, {"day": 6, "action": "reassign"}]})
    assert response.status_code == 200, response.json
    recycle = client.get(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", headers=manager).json["rules"]["recycle"]
    assert recycle["no_follow_up_days"] == {"default": 7, "by_level": {}, "by_industry": {"retail": 10}}
    assert recycle["tiers"][1] == {"day": 6, "action": "reassign"}
    # Other rules are kept; null removes the policy again.
    assert set_policy(None).json["rules"]["recycle"] is None


@pytest.mark.parametrize("policy, key", [
    ({"no_follow_up_days": 0}, "no_follow_up_days"),
    ({"warn_days_before": 2}, "no_follow_up_days"),
    ({"no_follow_up_days": 7, "combine": "some"}, "combine"),
    ({"no_follow_up_days": 7, "tiers": [{"day": 3, "action": "recycle"}, {"day": 5, "action": "remind_rep"}]},
     "tiers.1"),
    ({"no_follow_up_days": 7, "max_locked_per_rep": True}, "max_locked_per_rep"),
    ({"no_follow_up_days": 7, "sometimes": 1}, "sometimes"),
])
def test_an_invalid_recycle_policy_is_refused_naming_the_key_and_nothing_changes(set_policy, snapshot, policy, key):
    before = snapshot()
    body = refused(set_policy(policy), 422, "validation_failed")
    assert key in body["errors"], body
    assert key in body["message"]
    assert snapshot() == before


def test_a_pool_admin_who_is_a_rep_may_set_the_policy_but_a_plain_rep_may_not(client, manager, rep1, rep2, set_policy):
    assert client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json={"admin_ids": ["rep-1"]},
                        headers=manager).status_code == 200
    assert set_policy(POLICY, headers=rep1).status_code == 200
    refused(set_policy(None, headers=rep2), 403, "not_a_pool_admin")


def test_a_rep_locks_leads_up_to_the_pools_limit_and_unlocks_to_lock_another(client, rep1, set_policy, claimed, snapshot):
    set_policy(POLICY)
    first, second = claimed(), claimed()
    locked = client.post(f"/api/v1/leads/{first['id']}/lock", headers=rep1)
    assert locked.status_code == 200 and locked.json == {"lead_id": first["id"], "locked": True, "locked_count": 1,
                                                         "limit": 1}
    # Locking the same lead again is no second lock.
    assert client.post(f"/api/v1/leads/{first['id']}/lock", headers=rep1).json["locked_count"] == 1
    before = snapshot()
    body = refused(client.post(f"/api/v1/leads/{second['id']}/lock", headers=rep1), 403, "lock_limit_reached")
    assert body["errors"] == {"limit": 1, "locked": 1}
    assert snapshot() == before
    assert client.post(f"/api/v1/leads/{first['id']}/unlock", headers=rep1).json["locked_count"] == 0
    assert client.post(f"/api/v1/leads/{second['id']}/lock", headers=rep1).json["locked"] is True


def test_only_the_owner_locks_a_lead_and_a_pool_without_a_policy_has_no_locks(
        client, rep1, rep2, manager, admin, set_policy, claimed, new_lead):
    lead = claimed()
    refused(client.post(f"/api/v1/leads/{lead['id']}/lock", headers=rep1), 403, "lock_limit_reached")
    set_policy(POLICY)
    refused(client.post(f"/api/v1/leads/{lead['id']}/lock", headers=rep2), 404, "not_found")
    refused(client.post(f"/api/v1/leads/{lead['id']}/lock", headers=admin), 403, "not_lead_owner")
    unclaimed = client.post("/api/v1/leads", json=new_lead, headers=manager).json
    refused(client.post(f"/api/v1/leads/{unclaimed['id']}/lock", headers=rep1), 403, "not_lead_owner")


def test_the_preview_explains_what_would_be_recycled_warned_and_kept_and_changes_nothing(
        client, manager, rep1, set_policy, claimed, snapshot):
    set_policy(POLICY)
    idle, locked = claimed(company="Idle Co"), claimed(company="Locked Co")
    client.post(f"/api/v1/leads/{locked['id']}/lock", headers=rep1)
    url = f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/recycle-preview"
    before = snapshot()
    now = client.get(url, headers=manager).json
    assert now["items"] == [{**_excluded(locked)}] and now["counts"]["keep"] == 1
    at = (utc_now() + timedelta(days=6)).isoformat()
    warned = client.get(url, query_string={"at": at}, headers=manager).json
    [item] = [i for i in warned["items"] if i["lead_id"] == idle["id"]]
    assert (item["decision"], item["rule"], item["owner_id"], item["company"]) == (
        "remind_rep", "no_follow_up_days", "rep-1", "Idle Co")
    assert item["days"] in (5, 6) and item["days_left"] in (1, 2) and "remind the rep" in item["reason"]
    at = (utc_now() + timedelta(days=9)).isoformat()
    recycled = client.get(url, query_string={"at": at}, headers=manager).json
    [item] = [i for i in recycled["items"] if i["lead_id"] == idle["id"]]
    assert (item["decision"], item["rule"], item["days_left"]) == ("recycle", "no_follow_up_days", 0)
    assert item["days"] >= 8 and "no follow-up for" in item["reason"] and "(limit 7 by default)" in item["reason"]
    assert recycled["counts"]["recycle"] == 1 and recycled["counts"]["excluded"] == 1
    assert recycled["policy"]["no_follow_up_days"] == 7
    assert snapshot() == before


def _excluded(lead):
    return {"lead_id": lead["id"], "company": lead["company"], "owner_id": "rep-1", "decision": "excluded",
            "rule": None, "reason": "locked", "days": None, "days_left": None}


def test_the_preview_is_for_pool_admins_and_managers_and_checks_its_input(client, rep1, manager, set_policy):
    url = f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/recycle-preview"
    refused(client.get(url, headers=rep1), 403, "not_a_pool_admin")
    refused(client.get(url, query_string={"at": "tomorrow"}, headers=manager), 422, "validation_failed")
    refused(client.get("/api/v1/pools/no-such-pool/recycle-preview", headers=manager), 404, "not_found")
    empty = client.get(url, headers=manager).json
    assert empty["policy"] is None and empty["items"] == []


def test_the_preview_evaluates_a_policy_not_saved_yet_and_saves_nothing(client, manager, set_policy, claimed, snapshot):
    set_policy({"no_follow_up_days": 30})
    idle = claimed(company="Idle Co")
    url = f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/recycle-preview"
    at = (utc_now() + timedelta(days=9)).isoformat()
    assert client.get(url, query_string={"at": at}, headers=manager).json["counts"]["recycle"] == 0
    before = snapshot()
    unsaved = client.post(url, json={"policy": POLICY, "at": at}, headers=manager)
    assert unsaved.status_code == 200, unsaved.json
    [item] = unsaved.json["items"]
    assert (item["lead_id"], item["decision"], item["rule"]) == (idle["id"], "recycle", "no_follow_up_days")
    assert unsaved.json["policy"]["no_follow_up_days"] == 7
    assert snapshot() == before
    saved = client.get(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", headers=manager).json["rules"]["recycle"]
    assert saved["no_follow_up_days"] == 30


@pytest.mark.parametrize("policy, key", [
    ({"no_follow_up_days": 0}, "no_follow_up_days"),
    ({"no_follow_up_days": 7, "tiers": [{"day": 3, "action": "recycle"}, {"day": 5, "action": "remind_rep"}]},
     "tiers.1"),
    ({"no_follow_up_days": 7, "sometimes": 1}, "sometimes"),
])
def test_an_unsaved_policy_is_checked_as_saving_checks_it(client, manager, rep1, snapshot, policy, key):
    url = f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/recycle-preview"
    before = snapshot()
    body = refused(client.post(url, json={"policy": policy}, headers=manager), 422, "validation_failed")
    assert key in body["errors"] and key in body["message"]
    refused(client.post(url, json={}, headers=manager), 422, "validation_failed")
    refused(client.post(url, json={"policy": None}, headers=manager), 422, "validation_failed")
    refused(client.post(url, json={"policy": POLICY, "extra": 1}, headers=manager), 422, "validation_failed")
    refused(client.post(url, json={"policy": POLICY}, headers=rep1), 403, "not_a_pool_admin")
    assert snapshot() == before
