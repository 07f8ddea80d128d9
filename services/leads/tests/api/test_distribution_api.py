"""Auto-distribution through the Flask test client: the pool's rule, and new or imported leads given at once."""
import io
import json
from collections import Counter

import pytest
from sqlalchemy import select

from crm_shared.db import outbox
from crm_shared.testing import contract
from leads.import_runner import ImportRunner
from leads.pools import DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID

POOL = f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}"


@pytest.fixture
def admin(tokens):
    return tokens.headers("admin-1", ["admin"], "admin")


@pytest.fixture
def known_reps(client, tokens):
    """Reps the service has seen (their first request puts them in its directory)."""
    def known(*user_ids, teams=()):
        for user_id in user_ids:
            assert client.get("/api/v1/leads", headers=tokens.headers(user_id, ["sales_rep"], teams=teams)).status_code == 200
    return known


@pytest.fixture
def create(client, manager, new_lead):
    def make(**fields):
        response = client.post("/api/v1/leads", json={**new_lead, **fields}, headers=manager)
        assert response.status_code == 201, response.json
        return response.json
    return make


def set_rule(client, headers, rule, pool=POOL):
    return client.patch(pool, json={"rules": {"distribution": rule}}, headers=headers)


def outbox_bodies(uow_factory) -> list[dict]:
    with uow_factory() as uow:
        return [json.loads(body) for body in uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position))]


# -- the rule ------------------------------------------------------------------------------------

def test_a_manager_sets_a_pools_rule_and_reads_it_back(client, manager):
    rule = {"strategy": "capacity_weighted", "user_ids": None, "capacities": {"rep-1": 8}, "default_capacity": 4}
    response = set_rule(client, manager, rule)
    assert response.status_code == 200, response.json
    assert response.json["rules"]["distribution"] == rule
    assert client.get(POOL, headers=manager).json["rules"]["distribution"] == rule
    assert set_rule(client, manager, None).json["rules"]["distribution"] is None


def test_a_pool_admin_may_set_the_rule_of_their_pool(client, manager, tokens):
    pool = client.post("/api/v1/pools", json={"name": "East", "kind": "lead", "admin_ids": ["lead-9"]},
                       headers=manager).json
    pool_admin = tokens.headers("lead-9", ["sales_rep"])
    response = set_rule(client, pool_admin, {"strategy": "round_robin"}, pool=f"/api/v1/pools/{pool['id']}")
    assert response.status_code == 200, response.json
    assert response.json["rules"]["distribution"]["strategy"] == "round_robin"


@pytest.mark.parametrize("rule, field", [
    ({"strategy": "skills_based"}, "rules.distribution.strategy"),
    ({"strategy": "round_robin", "capacities": {"rep-1": -2}}, "rules.distribution.capacities.rep-1"),
    ({"strategy": "capacity_weighted"}, "rules.distribution.default_capacity"),
    ({"strategy": "least_loaded", "weights": {}}, "rules.distribution.weights"),
    ("round_robin", "distribution"),  # refused by the schema: {"rules": {"distribution": [...]}}
])
def test_a_bad_rule_is_refused_with_422_naming_the_setting_and_changes_nothing(client, manager, rule, field):
    before = client.get(POOL, headers=manager).json
    response = set_rule(client, manager, rule)
    assert response.status_code == 422, response.json
    assert response.json["code"] == "validation_failed"
    assert field in json.dumps(response.json["errors"])
    assert client.get(POOL, headers=manager).json == before


def test_a_public_pool_cannot_distribute(client, manager):
    response = set_rule(client, manager, {"strategy": "round_robin"}, pool=f"/api/v1/pools/{DEFAULT_PUBLIC_POOL_ID}")
    assert response.status_code == 422 and "rules.distribution.strategy" in response.json["errors"]
    created = client.post("/api/v1/pools", json={"name": "Returns", "kind": "public",
                                                 "rules": {"distribution": {"strategy": "least_loaded"}}}, headers=manager)
    assert created.status_code == 422
    assert set_rule(client, manager, {"strategy": "none"}, pool=f"/api/v1/pools/{DEFAULT_PUBLIC_POOL_ID}").status_code == 200


# -- new leads -----------------------------------------------------------------------------------

def test_a_new_lead_in_a_pool_with_a_rule_goes_to_a_rep_with_event_history_and_timeline(
        client, manager, admin, known_reps, create, uow_factory):
    known_reps("rep-1", "rep-2")
    assert set_rule(client, manager, {"strategy": "round_robin"}).status_code == 200
    lead = create()
    assert (lead["status"], lead["owner_id"]) == ("claimed", "rep-1")
    assert create()["owner_id"] == "rep-2"
    assert create()["owner_id"] == "rep-1"
    history = client.get(f"/api/v1/leads/{lead['id']}/ownership-history", headers=admin).json["items"]
    assert [(h["reason"], h["to_owner_id"], h["actor_id"]) for h in history] == [("distributed", "rep-1", "system")]
    assert history[0]["detail"].startswith("auto-distribution, round_robin: ")
    distributed = [b for b in outbox_bodies(uow_factory) if b["name"] == "leads.lead.distributed.v1"]
    assert [b["payload"]["owner_id"] for b in distributed] == ["rep-1", "rep-2", "rep-1"]
    assert {(b["payload"]["distributed_by"], b["payload"]["strategy"]) for b in distributed} == {("system", "round_robin")}
    assert set(contract("leads.lead.distributed.v1").payload) - set(distributed[0]["payload"]) <= {"customer_id"}
    timeline = client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=admin).json["items"]
    assert {entry["kind"] for entry in timeline} >= {"created", "distributed"}


def test_only_reps_in_the_pools_scope_and_in_the_rule_get_leads(client, manager, tokens, known_reps, create):
    known_reps("rep-1", "rep-2", "rep-3")
    client.get("/api/v1/leads", headers=tokens.headers("manager-2", ["sales_manager"]))
    pool = client.post("/api/v1/pools", json={"name": "East", "kind": "lead",
                                              "scope": {"user_ids": ["rep-1", "rep-2", "manager-2"]},
                                              "rules": {"distribution": {"strategy": "round_robin",
                                                                         "user_ids": ["rep-2", "rep-3"]}}},
                       headers=manager).json
    assert {create(pool_id=pool["id"])["owner_id"] for _ in range(3)} == {"rep-2"}


def test_without_a_rule_or_anyone_to_take_it_a_new_lead_waits_in_the_pool(client, manager, known_reps, create):
    assert create()["status"] == "pool"
    assert set_rule(client, manager, {"strategy": "least_loaded"}).status_code == 200
    assert create()["status"] == "pool"  # nobody known yet
    known_reps("rep-1")
    assert set_rule(client, manager, {"strategy": "by_market"}).status_code == 200
    assert create()["status"] == "pool"  # rep-1 has no market


def test_least_loaded_gives_to_the_rep_holding_fewest_open_leads(client, manager, known_reps, create):
    known_reps("rep-1", "rep-2")
    ids = [create()["id"] for _ in range(2)]
    assert client.post(f"{POOL}/distribute", json={"lead_ids": ids, "owner_id": "rep-1"}, headers=manager).status_code == 200
    assert set_rule(client, manager, {"strategy": "least_loaded"}).status_code == 200
    assert [create()["owner_id"] for _ in range(4)].count("rep-2") == 3


def test_by_market_gives_leads_to_the_reps_of_their_market(client, manager, known_reps, create):
    known_reps("rep-1", "rep-2")
    market = {"name": "East", "conditions": {"regions": ["上海"]}, "user_ids": ["rep-2"]}
    assert client.post("/api/v1/markets", json=market, headers=manager).status_code == 201
    assert set_rule(client, manager, {"strategy": "by_market"}).status_code == 200
    assert create(region="上海")["owner_id"] == "rep-2"
    assert create(region="北京")["status"] == "pool"


def test_the_pools_capacity_holds_for_distributed_leads(client, manager, known_reps, create):
    known_reps("rep-1", "rep-2")
    assert client.patch(POOL, json={"rules": {"max_private_leads": 1, "distribution": {"strategy": "round_robin"}}},
                        headers=manager).status_code == 200
    assert Counter(create()["owner_id"] for _ in range(4)) == {"rep-1": 1, "rep-2": 1, None: 2}


def test_a_disabled_account_gets_no_more_leads(client, manager, known_reps, create, uow_factory):
    from sqlalchemy import update

    from leads.db import claimants

    known_reps("rep-1", "rep-2")
    with uow_factory() as uow:
        uow.session.execute(update(claimants).where(claimants.c.user_id == "rep-1").values(active=False))
        uow.commit()
    assert set_rule(client, manager, {"strategy": "round_robin"}).status_code == 200
    assert {create()["owner_id"] for _ in range(3)} == {"rep-2"}


# -- imports -------------------------------------------------------------------------------------

def upload(client, headers, rows, **options):
    lines = ["company,contact,phone,channel,region"] + [",".join(row) for row in rows]
    mapping = {"company": "company", "contact": "contact_name", "phone": "phone", "channel": "channel",
               "region": "region"}
    form = {"file": (io.BytesIO("\r\n".join(lines).encode()), "leads.csv"),
            "options": json.dumps({"mapping": mapping, "on_duplicate": "allow", **options})}
    queued = client.post("/api/v1/leads/imports", data=form, headers=headers, content_type="multipart/form-data")
    assert queued.status_code == 202, queued.json
    # The worker's import runner runs it; the job as the page then reads it.
    ImportRunner(client.application.extensions["crm.uow_factory"]).run_all()
    return client.get(queued.headers["Location"], headers=headers)


def test_imported_leads_are_distributed_by_the_pools_rule_in_bulk(client, manager, admin, known_reps, uow_factory):
    known_reps("rep-1", "rep-2", "rep-3")
    assert set_rule(client, manager, {"strategy": "round_robin"}).status_code == 200
    rows = [(f"Company {n}", f"Contact {n}", f"1380013{n:04d}", "fair", "上海") for n in range(30)]
    response = upload(client, manager, rows)
    assert response.status_code in (200, 201), response.json
    assert response.json["created"] == 30
    leads = client.get("/api/v1/leads?limit=100", headers=admin).json["items"]
    assert Counter(lead["owner_id"] for lead in leads) == {"rep-1": 10, "rep-2": 10, "rep-3": 10}
    bodies = outbox_bodies(uow_factory)
    distributed = [b for b in bodies if b["name"] == "leads.lead.distributed.v1"]
    assert len(distributed) == 30 and {b["payload"]["distributed_by"] for b in distributed} == {"system"}
    history = client.get(f"/api/v1/leads/{leads[0]['id']}/ownership-history", headers=admin).json["items"]
    assert [(h["reason"], h["actor_id"]) for h in history] == [("distributed", "system")]
    timeline = client.get(f"/api/v1/leads/{leads[0]['id']}/timeline", headers=admin).json["items"]
    assert {entry["kind"] for entry in timeline} >= {"created", "distributed"}
    # The rotation goes on where the import left it.
    assert client.post("/api/v1/leads", json={"company": "After", "contact_name": "A", "channel": "web"},
                       headers=manager).json["owner_id"] == "rep-1"


def test_an_import_to_a_named_owner_ignores_the_rule(client, manager, admin, known_reps):
    known_reps("rep-1", "rep-2")
    assert set_rule(client, manager, {"strategy": "round_robin"}).status_code == 200
    rows = [(f"Company {n}", f"Contact {n}", f"1390013{n:04d}", "fair", "") for n in range(4)]
    assert upload(client, manager, rows, owner_id="rep-2").json["created"] == 4
    leads = client.get("/api/v1/leads", headers=admin).json["items"]
    assert {lead["owner_id"] for lead in leads} == {"rep-2"}
