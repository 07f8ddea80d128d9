"""Auto-distribution and the duplicate check under concurrency on real PostgreSQL."""
import io
import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from crm_shared.testing import all_at_once
from leads.db import lead_ownership_history, leads
from leads.import_runner import ImportRunner
from leads.pools import DEFAULT_LEAD_POOL_ID

# Concurrency is checked on PostgreSQL.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_only")]

CREATORS = 20
POOL = f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}"


def known_reps(client, tokens, *user_ids, teams=()):
    for user_id in user_ids:
        assert client.get("/api/v1/leads", headers=tokens.headers(user_id, ["sales_rep"], teams=teams)).status_code == 200


def set_rules(client, manager, **rules):
    response = client.patch(POOL, json={"rules": rules}, headers=manager)
    assert response.status_code == 200, response.json


def distinct_leads(count, prefix="1380013"):
    return [{"company": f"Company {n}", "contact_name": f"Contact {n}", "phone": f"{prefix}{n:04d}", "channel": "web"}
            for n in range(count)]


def owners(uow_factory) -> Counter:
    with uow_factory() as uow:
        return Counter(dict(uow.session.execute(
            select(leads.c.owner_id, func.count()).group_by(leads.c.owner_id)).all()))


def distributions_per_lead(uow_factory) -> Counter:
    with uow_factory() as uow:
        rows = uow.session.execute(select(lead_ownership_history.c.lead_id, func.count())
                                   .where(lead_ownership_history.c.reason == "distributed")
                                   .group_by(lead_ownership_history.c.lead_id)).all()
    return Counter(count for _, count in rows)


def test_concurrent_creates_with_round_robin_spread_evenly_and_assign_each_lead_once(
        app, client, tokens, manager, uow_factory, published):
    known_reps(client, tokens, "rep-1", "rep-2", "rep-3", "rep-4")
    set_rules(client, manager, distribution={"strategy": "round_robin"})
    answers = all_at_once(app, [("/api/v1/leads", body, manager) for body in distinct_leads(CREATORS)])
    assert sorted(status for status, _ in answers) == [201] * CREATORS, answers
    assert Counter(body["owner_id"] for _, body in answers) == {f"rep-{n}": CREATORS // 4 for n in range(1, 5)}
    assert owners(uow_factory) == {f"rep-{n}": CREATORS // 4 for n in range(1, 5)}
    assert distributions_per_lead(uow_factory) == {1: CREATORS}
    assert published().count("leads.lead.distributed.v1") == CREATORS


def test_concurrent_creates_with_least_loaded_even_out_the_loads(app, client, tokens, manager, uow_factory):
    known_reps(client, tokens, "rep-1", "rep-2", "rep-3")
    held = [client.post("/api/v1/leads", json=body, headers=manager).json["id"] for body in distinct_leads(6, "1390013")]
    assert client.post(f"{POOL}/distribute", json={"lead_ids": held, "owner_id": "rep-1"}, headers=manager).status_code == 200
    set_rules(client, manager, distribution={"strategy": "least_loaded"})
    answers = all_at_once(app, [("/api/v1/leads", body, manager) for body in distinct_leads(12)])
    assert sorted(status for status, _ in answers) == [201] * 12, answers
    assert owners(uow_factory) == {"rep-1": 6, "rep-2": 6, "rep-3": 6}


def test_concurrent_creates_never_give_a_rep_more_than_the_pools_capacity(app, client, tokens, manager, uow_factory):
    known_reps(client, tokens, "rep-1", "rep-2")
    set_rules(client, manager, max_private_leads=3, distribution={"strategy": "capacity_weighted", "default_capacity": 50})
    answers = all_at_once(app, [("/api/v1/leads", body, manager) for body in distinct_leads(10)])
    assert sorted(status for status, _ in answers) == [201] * 10, answers
    assert owners(uow_factory) == {"rep-1": 3, "rep-2": 3, None: 4}


def test_claims_racing_auto_distribution_never_exceed_the_private_capacity(app, client, tokens, manager, uow_factory):
    known_reps(client, tokens, "rep-1")
    waiting = [client.post("/api/v1/leads", json=body, headers=manager).json["id"] for body in distinct_leads(8, "1370013")]
    set_rules(client, manager, max_private_leads=5, distribution={"strategy": "round_robin"})
    rep = tokens.headers("rep-1", ["sales_rep"])
    answers = all_at_once(app, [(f"/api/v1/leads/{lead_id}/claim", None, rep) for lead_id in waiting]
                          + [("/api/v1/leads", body, manager) for body in distinct_leads(8)])
    assert Counter(status for status, _ in answers)[201] == 8, answers
    assert owners(uow_factory)["rep-1"] == 5


def test_concurrent_creates_respect_a_team_cap(app, client, tokens, manager, uow_factory):
    known_reps(client, tokens, "rep-1", "rep-2", teams=["team-a"])
    known_reps(client, tokens, "rep-3")
    set_rules(client, manager, max_team_leads=4, distribution={"strategy": "round_robin"})
    answers = all_at_once(app, [("/api/v1/leads", body, manager) for body in distinct_leads(12)])
    assert sorted(status for status, _ in answers) == [201] * 12, answers
    held = owners(uow_factory)
    assert held["rep-1"] + held["rep-2"] == 4 and held["rep-3"] == 8


def test_of_simultaneous_creates_with_one_phone_exactly_one_succeeds(app, client, manager, uow_factory):
    # Written differently, normalised the same: +8613800138000.
    phones = ["138 0013 8000", "+86 138-0013-8000", "0086 13800138000", "13800138000"]
    bodies = [{"company": f"Company {n}", "contact_name": "Li", "phone": phones[n % 4], "channel": "web"}
              for n in range(16)]
    answers = all_at_once(app, [("/api/v1/leads", body, manager) for body in bodies])
    assert sorted(status for status, _ in answers) == [201] + [409] * 15, answers
    assert {body["code"] for status, body in answers if status == 409} == {"duplicate_lead"}
    assert sum(owners(uow_factory).values()) == 1


def test_of_simultaneous_creates_with_one_email_exactly_one_succeeds(app, client, manager, uow_factory):
    bodies = [{"company": f"Company {n}", "contact_name": "Li", "email": ("LI@Example.cn" if n % 2 else "li@example.cn"),
               "channel": "web"} for n in range(12)]
    answers = all_at_once(app, [("/api/v1/leads", body, manager) for body in bodies])
    assert sorted(status for status, _ in answers) == [201] + [409] * 11, answers


def test_an_import_into_a_pool_with_a_rule_distributes_in_bulk(app, client, tokens, manager, uow_factory):
    known_reps(client, tokens, "rep-1", "rep-2", "rep-3")
    set_rules(client, manager, distribution={"strategy": "round_robin"})
    rows = [f"Company {n},Contact {n},1360{n:07d},fair" for n in range(3000)]
    data = ("company,contact,phone,channel\r\n" + "\r\n".join(rows)).encode()
    options = {"mapping": {"company": "company", "contact": "contact_name", "phone": "phone", "channel": "channel"},
               "on_duplicate": "skip"}
    response = client.post("/api/v1/leads/imports", data={"file": (io.BytesIO(data), "leads.csv"),
                                                           "options": json.dumps(options)},
                           headers=manager, content_type="multipart/form-data")
    assert response.status_code == 202, response.json
    ImportRunner(uow_factory).run_all()  # what the worker's import runner does
    assert client.get(response.headers["Location"], headers=manager).json["created"] == 3000
    assert owners(uow_factory) == {"rep-1": 1000, "rep-2": 1000, "rep-3": 1000}
    assert distributions_per_lead(uow_factory) == {1: 3000}
