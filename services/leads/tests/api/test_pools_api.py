"""Pools, markets, claim rules, returns, reveals and distribution through the Flask test client."""
import json

import pytest
from sqlalchemy import func, select

from crm_shared.db import outbox
from crm_shared.testing import contract
from leads.db import lead_ownership_history, lead_reveals, leads
from leads.pools import DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID


@pytest.fixture
def rep1_team(tokens):
    return tokens.headers("rep-1", ["sales_rep"], "rep1", teams=["team-a"])


@pytest.fixture
def rep2_team(tokens):
    return tokens.headers("rep-2", ["sales_rep"], "rep2", teams=["team-a"])


@pytest.fixture
def make_lead(client, manager, new_lead):
    def make(**fields):
        response = client.post("/api/v1/leads", json={**new_lead, **fields}, headers=manager)
        assert response.status_code == 201, response.json
        return response.json
    return make


@pytest.fixture
def set_rules(client, manager):
    def set_rules(pool_id, **rules):
        response = client.patch(f"/api/v1/pools/{pool_id}", json={"rules": rules}, headers=manager)
        assert response.status_code == 200, response.json
        return response.json
    return set_rules


@pytest.fixture
def snapshot(uow_factory):
    """Everything a refused request must leave as it was: leads, history, reveals and the outbox."""
    def take():
        with uow_factory() as uow:
            rows = uow.session.execute(select(leads).order_by(leads.c.id)).all()
            counts = [uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                      for t in (lead_ownership_history, lead_reveals, outbox)]
            return [tuple(r) for r in rows], counts
    return take


def refused(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["code"] == code, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    return response.json


def claim(client, lead, headers):
    return client.post(f"/api/v1/leads/{lead['id']}/claim", headers=headers)


def give_back(client, lead, headers, reason="no_budget"):
    response = client.post(f"/api/v1/leads/{lead['id']}/return", json={"reason": reason}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_lead_created_without_a_pool_lands_in_the_default_lead_pool_and_a_rep_without_markets_claims_it(
        client, rep1, make_lead, uow_factory):
    lead = make_lead(region="华东", industry="制造业", company_size="50-199", tags=["vip", "expo"], campaign="spring")
    assert lead["pool_id"] == DEFAULT_LEAD_POOL_ID and lead["tags"] == ["expo", "vip"]
    claimed = claim(client, lead, rep1)
    assert claimed.status_code == 200 and claimed.json["owner_id"] == "rep-1"
    with uow_factory() as uow:
        event = json.loads(uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position.desc())).first())
    assert event["name"] == "leads.lead.claimed.v1"
    assert (event["payload"]["version"], event["payload"]["pool_id"], event["payload"]["region"]) == (
        claimed.json["version"], DEFAULT_LEAD_POOL_ID, "华东")


def test_the_default_pools_exist_and_a_rep_lists_only_the_pools_they_belong_to(client, rep1, manager):
    created = client.post("/api/v1/pools", json={"name": "VIP", "kind": "lead", "scope": {"user_ids": ["rep-2"]}},
                          headers=manager)
    assert created.status_code == 201
    assert {p["id"] for p in client.get("/api/v1/pools", headers=rep1).json["items"]} == {
        DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID}
    assert len(client.get("/api/v1/pools", headers=manager).json["items"]) == 3
    assert client.get(f"/api/v1/pools/{created.json['id']}", headers=rep1).status_code == 404


def test_pool_rules_are_validated_and_unknown_keys_refused(client, manager):
    for rules in ({"daily_claim_quota": -1}, {"colour": "red"}, {"max_claim_batch": 0}, {"return_reasons": []}):
        response = client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json={"rules": rules}, headers=manager)
        refused(response, 422, "validation_failed")
        assert "rules" in response.json["errors"]
    refused(client.post("/api/v1/pools", json={"name": "X", "kind": "lagoon"}, headers=manager), 422, "validation_failed")
    patched = client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json={"rules": {"daily_claim_quota": 7}},
                           headers=manager).json
    assert patched["rules"]["daily_claim_quota"] == 7 and patched["rules"]["max_claim_batch"] == 20


def test_pool_admins_edit_their_pools_rules_but_nothing_else_and_reps_nothing(client, manager, tokens, rep1):
    pool = client.post("/api/v1/pools", json={"name": "East", "kind": "lead", "admin_ids": ["lead-9"]},
                       headers=manager).json
    pool_admin = tokens.headers("lead-9", ["sales_rep"])
    ok = client.patch(f"/api/v1/pools/{pool['id']}", json={"rules": {"daily_claim_quota": 3}}, headers=pool_admin)
    assert ok.status_code == 200 and ok.json["rules"]["daily_claim_quota"] == 3
    refused(client.patch(f"/api/v1/pools/{pool['id']}", json={"name": "Mine"}, headers=pool_admin), 403, "not_a_pool_admin")
    refused(client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json={"rules": {"daily_claim_quota": 99}},
                         headers=rep1), 403, "not_a_pool_admin")
    refused(client.post("/api/v1/pools", json={"name": "R", "kind": "lead"}, headers=rep1), 403, "role_not_allowed")


def test_default_pools_cannot_be_deleted_and_nor_can_pools_with_leads(client, manager, make_lead):
    refused(client.delete(f"/api/v1/pools/{DEFAULT_PUBLIC_POOL_ID}", headers=manager), 409, "default_pool_required")
    pool = client.post("/api/v1/pools", json={"name": "Busy", "kind": "lead"}, headers=manager).json
    make_lead(pool_id=pool["id"])
    refused(client.delete(f"/api/v1/pools/{pool['id']}", headers=manager), 409, "pool_not_empty")
    empty = client.post("/api/v1/pools", json={"name": "Empty", "kind": "public"}, headers=manager).json
    assert client.delete(f"/api/v1/pools/{empty['id']}", headers=manager).status_code == 204


def test_creating_a_lead_in_an_unknown_pool_is_refused(client, manager, new_lead, snapshot):
    before = snapshot()
    response = client.post("/api/v1/leads", json={**new_lead, "pool_id": "nope"}, headers=manager)
    assert refused(response, 422, "validation_failed")["errors"] == {"pool_id": ["No pool with this id."]}
    assert snapshot() == before


def test_markets_are_managed_by_managers_and_assigned_to_users_and_teams(client, manager, rep1):
    market = client.post("/api/v1/markets", json={"name": "East", "conditions": {"regions": ["华东"]}},
                         headers=manager)
    assert market.status_code == 201
    refused(client.post("/api/v1/markets", json={"name": "East"}, headers=manager), 409, "market_name_taken")
    refused(client.post("/api/v1/markets", json={"name": "X", "conditions": {"planets": ["Mars"]}}, headers=manager),
            422, "validation_failed")
    assigned = client.put(f"/api/v1/markets/{market.json['id']}/assignees",
                          json={"user_ids": ["rep-1"], "team_ids": ["team-b"]}, headers=manager)
    assert assigned.json["user_ids"] == ["rep-1"] and assigned.json["team_ids"] == ["team-b"]
    refused(client.get("/api/v1/markets", headers=rep1), 403, "role_not_allowed")
    assert client.delete(f"/api/v1/markets/{market.json['id']}", headers=manager).status_code == 204


# -- every refusal names its rule, and changes nothing ---------------------------------------------

def test_a_rep_cannot_claim_beyond_the_daily_quota(client, rep1, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_LEAD_POOL_ID, daily_claim_quota=1)
    first, second = make_lead(), make_lead()
    assert claim(client, first, rep1).status_code == 200
    before = snapshot()
    refused(claim(client, second, rep1), 403, "daily_claim_quota_reached")
    assert snapshot() == before


def test_a_claim_batch_larger_than_the_pool_allows_is_refused_whole(client, rep1, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_LEAD_POOL_ID, max_claim_batch=2)
    ids = [make_lead()["id"] for _ in range(3)]
    before = snapshot()
    refused(client.post("/api/v1/leads/claim", json={"lead_ids": ids}, headers=rep1), 422, "claim_batch_too_large")
    assert snapshot() == before
    claimed = client.post("/api/v1/leads/claim", json={"lead_ids": ids[:2]}, headers=rep1)
    assert claimed.status_code == 200 and {l["owner_id"] for l in claimed.json["items"]} == {"rep-1"}


def test_a_batch_with_one_claimed_lead_claims_nothing(client, rep1, rep2, make_lead, snapshot):
    free, taken = make_lead(), make_lead()
    claim(client, taken, rep2)
    before = snapshot()
    refused(client.post("/api/v1/leads/claim", json={"lead_ids": [free["id"], taken["id"]]}, headers=rep1),
            409, "lead_already_claimed")
    assert snapshot() == before
    refused(client.post("/api/v1/leads/claim", json={"lead_ids": [free["id"], free["id"]]}, headers=rep1),
            422, "validation_failed")


def test_a_rep_cannot_hold_more_than_the_private_capacity(client, rep1, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_LEAD_POOL_ID, max_private_leads=1)
    first, second = make_lead(), make_lead()
    assert claim(client, first, rep1).status_code == 200
    before = snapshot()
    refused(claim(client, second, rep1), 403, "private_capacity_reached")
    assert snapshot() == before


def test_converted_leads_count_towards_capacity_when_the_pool_says_so(client, rep1, make_lead, set_rules):
    set_rules(DEFAULT_LEAD_POOL_ID, max_private_leads=1)
    first, second = make_lead(), make_lead()
    claim(client, first, rep1)
    client.post(f"/api/v1/leads/{first['id']}/convert", headers=rep1)
    set_rules(DEFAULT_LEAD_POOL_ID, count_converted=True)
    refused(claim(client, second, rep1), 403, "private_capacity_reached")
    set_rules(DEFAULT_LEAD_POOL_ID, count_converted=False)
    assert claim(client, second, rep1).status_code == 200


def test_a_team_cannot_hold_more_than_the_team_capacity(client, rep1_team, rep2_team, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_LEAD_POOL_ID, max_team_leads=1)
    first, second = make_lead(), make_lead()
    assert claim(client, first, rep1_team).status_code == 200
    before = snapshot()
    body = refused(claim(client, second, rep2_team), 403, "private_capacity_reached")
    assert body["errors"]["team_id"] == "team-a"
    assert snapshot() == before


def test_the_previous_owner_cannot_reclaim_during_the_cooldown(client, rep1, rep2, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_PUBLIC_POOL_ID, reclaim_cooldown_hours=24)
    lead = make_lead()
    claim(client, lead, rep1)
    give_back(client, lead, rep1)
    before = snapshot()
    refused(claim(client, lead, rep1), 403, "reclaim_cooldown")
    assert snapshot() == before
    assert claim(client, lead, rep2).status_code == 200


def test_nobody_claims_a_lead_during_the_public_pool_embargo(client, rep1, rep2, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_PUBLIC_POOL_ID, embargo_hours=2)
    lead = make_lead()
    claim(client, lead, rep1)
    give_back(client, lead, rep1)
    before = snapshot()
    refused(claim(client, lead, rep2), 409, "public_pool_embargo")
    assert snapshot() == before


def test_a_rep_claims_only_within_their_markets(client, manager, rep1, make_lead, snapshot):
    client.post("/api/v1/markets", json={"name": "East", "conditions": {"regions": ["华东"]}, "user_ids": ["rep-1"]},
                headers=manager)
    east, south = make_lead(region="华东"), make_lead(region="华南")
    before = snapshot()
    refused(claim(client, south, rep1), 403, "outside_your_markets")
    assert snapshot() == before
    assert claim(client, east, rep1).status_code == 200


def test_a_rep_without_markets_is_refused_where_the_pool_requires_a_market(client, rep1, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_LEAD_POOL_ID, require_market=True)
    lead = make_lead()
    before = snapshot()
    refused(claim(client, lead, rep1), 403, "outside_your_markets")
    assert snapshot() == before


def test_a_rep_outside_a_pools_scope_cannot_claim_or_list_it(client, manager, rep1, rep2, make_lead, snapshot):
    pool = client.post("/api/v1/pools", json={"name": "Rep 2 only", "kind": "lead", "scope": {"user_ids": ["rep-2"]}},
                       headers=manager).json
    lead = make_lead(pool_id=pool["id"])
    before = snapshot()
    refused(claim(client, lead, rep1), 403, "not_a_pool_member")
    refused(client.get(f"/api/v1/leads?pool_id={pool['id']}", headers=rep1), 403, "not_a_pool_member")
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=rep1).status_code == 404
    assert lead["id"] not in [l["id"] for l in client.get("/api/v1/leads", headers=rep1).json["items"]]
    assert snapshot() == before
    assert [l["id"] for l in client.get(f"/api/v1/leads?pool_id={pool['id']}", headers=rep2).json["items"]] == [lead["id"]]


def test_a_disabled_pool_refuses_claims(client, manager, rep1, make_lead, snapshot):
    lead = make_lead()
    client.patch(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}", json={"enabled": False}, headers=manager)
    before = snapshot()
    refused(claim(client, lead, rep1), 409, "pool_disabled")
    assert snapshot() == before


# -- returns, masking, reveals -------------------------------------------------------------------

def test_a_returned_lead_enters_the_public_pool_with_its_history_and_event(client, rep1, manager, make_lead, uow_factory):
    lead = make_lead()
    claim(client, lead, rep1)
    returned = client.post(f"/api/v1/leads/{lead['id']}/return", json={"reason": "no_budget", "note": "next year"},
                           headers=rep1).json
    assert (returned["status"], returned["owner_id"], returned["pool_id"]) == ("pool", None, DEFAULT_PUBLIC_POOL_ID)
    assert returned["previous_owner_id"] == "rep-1" and returned["entered_pool_at"]
    history = client.get(f"/api/v1/leads/{lead['id']}/ownership-history", headers=manager).json["items"]
    assert [(h["reason"], h["from_owner_id"], h["to_owner_id"]) for h in history] == [
        ("claimed", None, "rep-1"), ("returned", "rep-1", None)]
    with uow_factory() as uow:
        bodies = [json.loads(b) for b in uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position))]
    event = bodies[-1]
    assert event["name"] == "leads.lead.returned.v1"
    assert set(event["payload"]) == set(contract("leads.lead.returned.v1").payload)
    assert (event["payload"]["reason"], event["payload"]["previous_owner_id"]) == ("no_budget", "rep-1")


def test_returning_with_an_unknown_reason_lists_the_allowed_ones_and_changes_nothing(client, rep1, rep2, make_lead, snapshot):
    lead = make_lead()
    claim(client, lead, rep1)
    before = snapshot()
    body = refused(client.post(f"/api/v1/leads/{lead['id']}/return", json={"reason": "bored"}, headers=rep1),
                   422, "unknown_return_reason")
    assert "no_budget" in body["message"] and "no_budget" in body["errors"]["allowed"]
    refused(client.post(f"/api/v1/leads/{lead['id']}/return", json={}, headers=rep1), 422, "validation_failed")
    assert client.post(f"/api/v1/leads/{lead['id']}/return", json={"reason": "other"}, headers=rep2).status_code == 404
    assert snapshot() == before


def test_a_lead_returns_to_the_public_pool_of_its_owners_team(client, manager, rep1_team, make_lead):
    team_pool = client.post("/api/v1/pools", json={"name": "Team A public", "kind": "public",
                                                   "scope": {"team_ids": ["team-a"]},
                                                   "rules": {"return_reasons": ["lost_contact"]}}, headers=manager).json
    lead = make_lead()
    claim(client, lead, rep1_team)
    refused(client.post(f"/api/v1/leads/{lead['id']}/return", json={"reason": "no_budget"}, headers=rep1_team),
            422, "unknown_return_reason")
    assert give_back(client, lead, rep1_team, reason="lost_contact")["pool_id"] == team_pool["id"]


def test_public_pool_contacts_are_masked_for_reps_until_revealed_within_the_open_quota(
        client, manager, rep1, rep2, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_PUBLIC_POOL_ID, daily_open_quota=1)
    first, second = make_lead(phone="13812348000", email="li.na@example.cn"), make_lead(phone="13900001111")
    for lead in (first, second):
        claim(client, lead, rep1)
        give_back(client, lead, rep1)
    listed = client.get(f"/api/v1/leads?pool_id={DEFAULT_PUBLIC_POOL_ID}", headers=rep2).json["items"]
    assert {(l["phone"], l["masked"]) for l in listed} == {("138****8000", True), ("139****1111", True)}
    assert client.get(f"/api/v1/leads/{first['id']}", headers=rep2).json["email"] == "l***@example.cn"
    assert client.get(f"/api/v1/leads/{first['id']}", headers=manager).json["phone"] == "13812348000"
    opened = client.post(f"/api/v1/leads/{first['id']}/reveal", headers=rep2)
    assert opened.status_code == 200 and opened.json["phone"] == "13812348000" and not opened.json["masked"]
    assert client.get(f"/api/v1/leads/{first['id']}", headers=rep2).json["phone"] == "13812348000"
    assert client.post(f"/api/v1/leads/{first['id']}/reveal", headers=rep2).status_code == 200  # free the same day
    before = snapshot()
    refused(client.post(f"/api/v1/leads/{second['id']}/reveal", headers=rep2), 403, "daily_open_quota_reached")
    assert snapshot() == before
    assert client.get(f"/api/v1/leads/{second['id']}", headers=rep2).json["phone"] == "139****1111"


# -- distribution --------------------------------------------------------------------------------

def test_a_manager_distributes_pool_leads_to_a_rep_with_events_and_history(client, manager, rep1, make_lead, uow_factory):
    client.get("/api/v1/leads", headers=rep1)  # the service learns rep-1's roles from their token
    ids = [make_lead()["id"] for _ in range(2)]
    response = client.post(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/distribute",
                           json={"lead_ids": ids, "owner_id": "rep-1"}, headers=manager)
    assert response.status_code == 200, response.json
    assert {(l["owner_id"], l["status"]) for l in response.json["items"]} == {("rep-1", "claimed")}
    history = client.get(f"/api/v1/leads/{ids[0]}/ownership-history", headers=rep1).json["items"]
    assert [(h["reason"], h["to_owner_id"], h["actor_id"]) for h in history] == [("distributed", "rep-1", "manager-1")]
    with uow_factory() as uow:
        bodies = [json.loads(b) for b in uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position))]
    distributed = [b for b in bodies if b["name"] == "leads.lead.distributed.v1"]
    assert len(distributed) == 2
    assert set(distributed[0]["payload"]) == set(contract("leads.lead.distributed.v1").payload)


def test_pool_admins_distribute_their_pool_but_reps_do_not(client, manager, tokens, rep1, rep2, make_lead, snapshot):
    pool = client.post("/api/v1/pools", json={"name": "East", "kind": "lead", "admin_ids": ["lead-9"],
                                              "scope": {"user_ids": ["rep-1"]}}, headers=manager).json
    lead = make_lead(pool_id=pool["id"])
    before = snapshot()
    refused(client.post(f"/api/v1/pools/{pool['id']}/distribute", json={"lead_ids": [lead["id"]], "owner_id": "rep-1"},
                        headers=rep1), 403, "not_a_pool_admin")
    refused(client.post(f"/api/v1/pools/{pool['id']}/distribute", json={"lead_ids": [lead["id"]], "owner_id": "rep-2"},
                        headers=manager), 403, "not_a_pool_member")
    other = make_lead()
    refused(client.post(f"/api/v1/pools/{pool['id']}/distribute", json={"lead_ids": [other["id"]], "owner_id": "rep-1"},
                        headers=manager), 409, "lead_not_in_pool")
    before = snapshot()
    response = client.post(f"/api/v1/pools/{pool['id']}/distribute",
                           json={"lead_ids": [lead["id"]], "owner_id": "rep-1"}, headers=tokens.headers("lead-9", ["sales_rep"]))
    assert response.status_code == 200, response.json
    assert snapshot() != before


def test_distribution_respects_the_owners_capacity(client, manager, rep1, make_lead, set_rules, snapshot):
    set_rules(DEFAULT_LEAD_POOL_ID, max_private_leads=1)
    client.get("/api/v1/leads", headers=rep1)
    ids = [make_lead()["id"] for _ in range(2)]
    before = snapshot()
    refused(client.post(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/distribute", json={"lead_ids": ids, "owner_id": "rep-1"},
                        headers=manager), 403, "private_capacity_reached")
    assert snapshot() == before


def test_the_openapi_document_describes_the_pool_endpoints(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/api/v1/leads/claim", "/api/v1/leads/{lead_id}/return", "/api/v1/leads/{lead_id}/reveal",
            "/api/v1/leads/{lead_id}/ownership-history", "/api/v1/pools", "/api/v1/pools/{pool_id}",
            "/api/v1/pools/{pool_id}/distribute", "/api/v1/markets", "/api/v1/markets/{market_id}",
            "/api/v1/markets/{market_id}/assignees"} <= set(paths)
