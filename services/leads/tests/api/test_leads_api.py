"""The leads API through the Flask test client on a real, migrated database."""
import json
import threading

from crm_shared.testing import contract


def test_creating_a_lead_puts_it_in_the_pool_and_publishes_lead_created(client, manager, new_lead, published):
    response = client.post("/api/v1/leads", json=new_lead, headers=manager)
    assert response.status_code == 201
    assert response.json["status"] == "pool"
    assert published() == ["leads.lead.created.v1"]


def test_the_published_events_carry_the_fields_of_their_contracts(client, rep1, new_lead, uow_factory):
    from sqlalchemy import select

    from crm_shared.db import outbox

    lead = client.post("/api/v1/leads", json=new_lead, headers=rep1).json
    client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1)
    client.post(f"/api/v1/leads/{lead['id']}/convert", headers=rep1)
    with uow_factory() as uow:
        bodies = [json.loads(b) for b in uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position))]
    assert [b["name"] for b in bodies] == ["leads.lead.created.v1", "leads.lead.claimed.v1", "leads.lead.converted.v1"]
    for body in bodies:
        assert set(body["payload"]) == set(contract(body["name"]).payload)
        assert body["actor"] == "rep-1"


def test_of_two_simultaneous_claims_exactly_one_wins(app, rep1, rep2, manager, new_lead, published):
    lead = app.test_client().post("/api/v1/leads", json=new_lead, headers=manager).json
    barrier = threading.Barrier(2)
    answers = []

    def claim(headers):
        client = app.test_client()
        barrier.wait()
        answers.append(client.post(f"/api/v1/leads/{lead['id']}/claim", headers=headers))

    threads = [threading.Thread(target=claim, args=(h,)) for h in (rep1, rep2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json["code"] == "lead_already_claimed"
    assert published().count("leads.lead.claimed.v1") == 1


def test_a_rep_sees_the_pool_and_their_own_leads_but_not_another_reps(client, rep1, rep2, manager, admin, new_lead):
    mine = client.post("/api/v1/leads", json=new_lead, headers=manager).json
    theirs = client.post("/api/v1/leads", json={**new_lead, "company": "Other"}, headers=manager).json
    client.post("/api/v1/leads", json={**new_lead, "company": "Pool"}, headers=manager)
    client.post(f"/api/v1/leads/{mine['id']}/claim", headers=rep1)
    client.post(f"/api/v1/leads/{theirs['id']}/claim", headers=rep2)
    listed = client.get("/api/v1/leads", headers=rep1).json
    assert sorted(l["company"] for l in listed["items"]) == ["Acme 上海", "Pool"]
    assert client.get(f"/api/v1/leads/{theirs['id']}", headers=rep1).status_code == 404
    assert client.get("/api/v1/leads", headers=admin).json["total"] == 3
    assert [l["id"] for l in client.get("/api/v1/leads?owner=me", headers=rep1).json["items"]] == [mine["id"]]


def test_bad_input_is_refused_with_the_error_shape_and_changes_nothing(client, manager, agent, rep2, new_lead, published):
    lead = client.post("/api/v1/leads", json=new_lead, headers=manager).json
    refusals = [
        (client.post("/api/v1/leads", data="{oops", content_type="application/json", headers=manager), 400),
        (client.post("/api/v1/leads", json={**new_lead, "priority": 1}, headers=manager), 422),
        (client.post("/api/v1/leads", json={**new_lead, "email": "not-an-email"}, headers=manager), 422),
        (client.post("/api/v1/leads", json={"company": ""}, headers=manager), 422),
        (client.post(f"/api/v1/leads/{lead['id']}/claim", headers=agent), 403),
        (client.post(f"/api/v1/leads/{lead['id']}/convert", headers=rep2), 403),
        (client.post("/api/v1/leads/no-such-lead/claim", headers=rep2), 404),
        (client.get("/api/v1/leads?status=lost", headers=manager), 422),
        (client.post("/api/v1/leads", json=new_lead), 401),
        (client.post("/api/v1/leads", json=new_lead, headers={"Authorization": "Bearer forged.token.here"}), 401),
    ]
    for response, status in refusals:
        assert response.status_code == status, (status, response.json)
        assert set(response.json) == {"code", "status", "message", "errors"}
        assert response.json["status"] == status
    assert published() == ["leads.lead.created.v1"]
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=manager).json["status"] == "pool"


def test_the_openapi_document_describes_every_endpoint(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/api/v1/leads", "/api/v1/leads/{lead_id}", "/api/v1/leads/{lead_id}/claim",
            "/api/v1/leads/{lead_id}/convert"} <= set(paths)


def test_a_list_counts_exactly_up_to_the_cap_and_then_says_at_least(client, manager, new_lead, monkeypatch):
    from leads import repository

    monkeypatch.setattr(repository, "LIST_COUNT_CAP", 4)
    for _ in range(4):
        assert client.post("/api/v1/leads", json=new_lead, headers=manager).status_code == 201
    exact = client.get("/api/v1/leads", headers=manager).json
    assert (exact["total"], exact["total_is_estimate"], len(exact["items"])) == (4, False, 4)

    assert client.post("/api/v1/leads", json=new_lead, headers=manager).status_code == 201
    capped = client.get("/api/v1/leads?limit=2", headers=manager).json
    assert (capped["total"], capped["total_is_estimate"], len(capped["items"])) == (4, True, 2)
    # The page itself is not capped: the fifth lead is still there to read.
    assert len(client.get("/api/v1/leads?offset=4", headers=manager).json["items"]) == 1
