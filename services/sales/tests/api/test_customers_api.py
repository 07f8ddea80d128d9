"""The customers API through the Flask test client on a real, migrated database."""
from __future__ import annotations

import uuid

import pytest

ALL_SEEING = ["admin", "executive", "service_agent", "service_manager"]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    assert response.json["status"] == status and response.json["message"]
    if code:
        assert response.json["code"] == code
    return response.json


def test_a_rep_finds_the_customer_made_from_their_converted_lead_by_its_lead_id(client, convert, headers):
    lead_id = convert(owner_id="rep-1", company="Acme 上海").payload["lead_id"]
    page = client.get(f"/api/v1/customers?lead_id={lead_id}", headers=headers("rep-1", "sales_rep"))
    assert page.status_code == 200
    assert page.json["total"] == 1
    customer = page.json["items"][0]
    assert (customer["lead_id"], customer["owner_id"], customer["name"]) == (lead_id, "rep-1", "Acme 上海")
    assert set(customer) == {"id", "name", "lead_id", "owner_id", "in_pool", "channel", "contact_name", "phone",
                             "email", "region", "industry", "campaign", "won_deals", "level", "created_at",
                             "updated_at", "updated_by", "version"}
    assert (customer["in_pool"], customer["won_deals"], customer["region"]) == (False, 0, "华东")
    one = client.get(f"/api/v1/customers/{customer['id']}", headers=headers("rep-1", "sales_rep"))
    assert one.status_code == 200 and one.headers["ETag"] == f'"{customer["version"]}"'
    assert {k: v for k, v in one.json.items() if k not in ("contacts", "team_members")} == customer
    # The lead's contact is the customer's primary contact.
    [contact] = one.json["contacts"]
    assert (contact["name"], contact["is_primary"], contact["phone"]) == (
        customer["contact_name"], True, customer["phone"])
    assert one.json["team_members"] == []


def test_a_rep_sees_only_their_own_customers_and_another_reps_answers_404(client, convert, headers):
    convert(owner_id="rep-1", company="Mine")
    theirs = convert(owner_id="rep-2", company="Theirs").payload["lead_id"]
    rep1 = headers("rep-1", "sales_rep")
    listed = client.get("/api/v1/customers", headers=rep1).json
    assert [c["name"] for c in listed["items"]] == ["Mine"] and listed["total"] == 1
    their_id = client.get("/api/v1/customers", headers=headers("rep-2", "sales_rep")).json["items"][0]["id"]
    missing_id = str(uuid.uuid4())
    hidden = assert_error(client.get(f"/api/v1/customers/{their_id}", headers=rep1), 404, "not_found")
    missing = assert_error(client.get(f"/api/v1/customers/{missing_id}", headers=rep1), 404, "not_found")
    # The same answer as for an id that does not exist: nothing tells the rep the customer is there.
    assert hidden["message"].replace(their_id, "<id>") == missing["message"].replace(missing_id, "<id>")
    assert client.get(f"/api/v1/customers?lead_id={theirs}", headers=rep1).json == {"items": [], "total": 0}


@pytest.mark.parametrize("role", ALL_SEEING)
def test_every_role_but_a_rep_sees_every_customer(client, convert, headers, role):
    convert(owner_id="rep-1", company="One")
    convert(owner_id="rep-2", company="Two")
    viewer = headers("someone", role)
    page = client.get("/api/v1/customers", headers=viewer).json
    assert page["total"] == 2
    for customer in page["items"]:
        assert client.get(f"/api/v1/customers/{customer['id']}", headers=viewer).status_code == 200


def test_owner_me_lists_the_callers_own_customers_and_pages_are_counted_in_full(client, convert, headers, tokens):
    for n in range(3):
        convert(owner_id="manager-1", company=f"Own {n}")
    convert(owner_id="rep-1", company="Rep's")
    manager = tokens.headers("manager-1", ["sales_manager"], "manager-1", teams=["team-east"])
    mine = client.get("/api/v1/customers?owner=me&limit=2", headers=manager).json
    assert mine["total"] == 3 and len(mine["items"]) == 2
    rest = client.get("/api/v1/customers?owner=me&limit=2&offset=2", headers=manager).json
    names = {c["name"] for c in mine["items"] + rest["items"]}
    assert names == {"Own 0", "Own 1", "Own 2"}
    # rep-1 is not in the manager's team (the directory knows nobody): their customer is not the manager's to see.
    assert client.get("/api/v1/customers?owner=rep-1", headers=manager).json == {"items": [], "total": 0}


def test_bad_requests_are_refused_with_the_error_shape_and_change_nothing(
    client, convert, headers, tokens, customer_count, published
):
    convert(owner_id="rep-1")
    before = (customer_count(), len(published()))
    rep = headers("rep-1", "sales_rep")
    refusals = [
        (client.get("/api/v1/customers?limit=0", headers=rep), 422, "limit"),
        (client.get("/api/v1/customers?limit=many", headers=rep), 422, "limit"),
        (client.get("/api/v1/customers?limit=501", headers=rep), 422, "limit"),
        (client.get("/api/v1/customers?offset=-1", headers=rep), 422, "offset"),
        (client.get("/api/v1/customers?lead_id=not-a-uuid", headers=rep), 422, "lead_id"),
        (client.get("/api/v1/customers?colour=red", headers=rep), 422, "colour"),
        (client.get(f"/api/v1/customers/{uuid.uuid4()}", headers=rep), 404, None),
        (client.get("/api/v1/customers", headers=headers("nobody")), 403, None),
        (client.get("/api/v1/customers"), 401, None),
        (client.get("/api/v1/customers", headers={"Authorization": "Bearer forged.token.here"}), 401, None),
        (client.post("/api/v1/customers", json={"name": " "}, headers=rep), 422, "name"),
        (client.post("/api/v1/customers", json={"name": "X", "won_deals": 3}, headers=rep), 422, "won_deals"),
        (client.post("/api/v1/customers", data="{oops", content_type="application/json", headers=rep), 400, None),
    ]
    for response, status, field in refusals:
        body = assert_error(response, status)
        if field:
            assert field in body["errors"], body
    assert (customer_count(), len(published())) == before


def test_the_openapi_document_describes_every_endpoint(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"/api/v1/customers", "/api/v1/customers/{customer_id}"} <= set(paths)


def test_health_and_readiness_answer_without_a_token(client):
    assert client.get("/health").json == {"status": "ok", "service": "sales"}
    assert client.get("/ready").json == {"status": "ready", "service": "sales"}
