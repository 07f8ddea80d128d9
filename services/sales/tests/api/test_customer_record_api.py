"""A customer's record through the API: direct creation, versioned edits, contacts, team members and who sees what."""
from __future__ import annotations

import pytest

from crm_shared.testing import contract

CONTACTS = [
    {"name": "Wang Fang", "title": "CIO", "phone": "+86 21 5555 0101", "email": "wang@example.cn", "is_primary": True},
    {"name": "Li Na", "email": "li@example.cn"},
]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


def if_match(headers: dict, resource: dict) -> dict:
    """The headers with the resource's version as If-Match, as a client that read it sends them."""
    return {**headers, "If-Match": f'"{resource["version"]}"'}


@pytest.fixture
def create(client, headers):
    def created(owner: str = "rep-1", roles=("sales_rep",), **fields) -> dict:
        response = client.post("/api/v1/customers", json={"name": "Acme", "channel": "direct", **fields},
                               headers=headers(owner, *roles))
        assert response.status_code == 201, response.json
        return response.json

    return created


def test_a_rep_creates_a_customer_they_own_with_contacts_and_one_event(client, headers, published):
    rep = headers("rep-1", "sales_rep")
    response = client.post("/api/v1/customers", json={"name": "Acme 上海", "level": "A", "industry": "Manufacturing",
                                                      "region": "华东", "contacts": CONTACTS}, headers=rep)
    assert response.status_code == 201, response.json
    customer = response.json
    assert response.headers["ETag"] == f'"{customer["version"]}"'
    assert (customer["owner_id"], customer["level"], customer["channel"], customer["lead_id"]) == ("rep-1", "A", "direct", None)
    assert [(c["name"], c["is_primary"]) for c in customer["contacts"]] == [("Wang Fang", True), ("Li Na", False)]
    assert (customer["contact_name"], customer["phone"]) == ("Wang Fang", "+86 21 5555 0101")
    event = published()[-1]
    assert event["name"] == "sales.customer.created.v1"
    assert (event["payload"]["customer_id"], event["payload"]["owner_id"], event["payload"]["lead_id"]) == (
        customer["id"], "rep-1", None)
    history = client.get(f"/api/v1/customers/{customer['id']}/ownership-history", headers=rep).json["items"]
    assert [(h["from_owner_id"], h["to_owner_id"], h["reason"]) for h in history] == [(None, "rep-1", "created")]


def test_only_managers_and_admins_create_customers_for_another_rep(client, headers, customer_count):
    before = customer_count()
    assert_error(client.post("/api/v1/customers", json={"name": "X", "owner_id": "rep-2"},
                             headers=headers("rep-1", "sales_rep")), 403, "owner_not_allowed")
    assert customer_count() == before
    made = client.post("/api/v1/customers", json={"name": "X", "owner_id": "rep-2"}, headers=headers("boss", "sales_manager"))
    assert made.status_code == 201 and made.json["owner_id"] == "rep-2"


def test_contacts_need_exactly_one_primary(client, headers, create):
    rep = headers("rep-1", "sales_rep")
    no_primary = [{**c, "is_primary": False} for c in CONTACTS]
    two_primaries = [{**c, "is_primary": True} for c in CONTACTS]
    for contacts in (no_primary, two_primaries):
        body = assert_error(client.post("/api/v1/customers", json={"name": "X", "contacts": contacts}, headers=rep), 422)
        assert "primary" in body["message"] and "contacts" in body["errors"]
    customer = create(contacts=CONTACTS)
    path = f"/api/v1/customers/{customer['id']}/contacts"
    assert_error(client.put(path, json={"contacts": two_primaries}, headers=if_match(rep, customer)), 422)
    swapped = [{**CONTACTS[0], "is_primary": False}, {**CONTACTS[1], "is_primary": True}]
    replaced = client.put(path, json={"contacts": swapped}, headers=if_match(rep, customer))
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["contact_name"] == "Li Na" and replaced.json["version"] == customer["version"] + 1
    assert replaced.headers["ETag"] == f'"{customer["version"] + 1}"'
    # The old version is stale now.
    assert_error(client.put(path, json={"contacts": CONTACTS}, headers=if_match(rep, customer)), 412, "version_mismatch")
    # A contact sent back with its id keeps it; another customer's contact id is not taken over.
    other = create(name="Other", contacts=CONTACTS)
    kept_id, foreign_id = replaced.json["contacts"][0]["id"], other["contacts"][0]["id"]
    again = client.put(path, json={"contacts": [{**swapped[0], "id": kept_id}, {**swapped[1], "id": foreign_id}]},
                       headers=if_match(rep, replaced.json))
    assert again.status_code == 200, again.json
    assert again.json["contacts"][0]["id"] == kept_id and again.json["contacts"][1]["id"] != foreign_id
    assert client.get(f"/api/v1/customers/{other['id']}", headers=rep).json["contacts"] == other["contacts"]
    assert client.put(path, json={"contacts": []}, headers=if_match(rep, again.json)).json["contact_name"] is None


def test_a_patch_needs_if_match_and_a_stale_one_is_refused_with_412(client, headers, create, published):
    rep = headers("rep-1", "sales_rep")
    customer = create()
    path = f"/api/v1/customers/{customer['id']}"
    before = len(published())
    assert_error(client.patch(path, json={"industry": "Retail"}, headers=rep), 428, "precondition_required")
    assert_error(client.patch(path, json={"industry": "Retail"}, headers={**rep, "If-Match": "3, 4"}), 400,
                 "malformed_precondition")
    edited = client.patch(path, json={"industry": "Retail", "level": "B"}, headers=if_match(rep, customer))
    assert edited.status_code == 200, edited.json
    assert (edited.json["industry"], edited.json["level"], edited.json["updated_by"]) == ("Retail", "B", "rep-1")
    assert edited.headers["ETag"] == f'"{customer["version"] + 1}"'
    stale = assert_error(client.patch(path, json={"industry": "Mining"}, headers=if_match(rep, customer)), 412,
                         "version_mismatch")
    assert stale["errors"] == {"current_version": customer["version"] + 1}
    # A weak form of the current tag is accepted as the same version.
    weak = {**rep, "If-Match": f'W/"{customer["version"] + 1}"'}
    assert client.patch(path, json={"industry": "Mining"}, headers=weak).json["industry"] == "Mining"
    # The two edits that went through are published, naming what changed; the refused ones are not.
    updates = published()[before:]
    assert [(e["name"], e["payload"]["changed"]) for e in updates] == [
        ("sales.customer.updated.v1", ["industry", "level"]), ("sales.customer.updated.v1", ["industry"])]
    assert updates[-1]["payload"]["industry"] == "Mining"


def test_fields_a_user_may_not_set_are_refused_by_name_and_nothing_changes(client, headers, create):
    rep = headers("rep-1", "sales_rep")
    customer = create()
    path = f"/api/v1/customers/{customer['id']}"
    for field, value in (("owner_id", "rep-1"), ("won_deals", 5), ("in_pool", True), ("lead_id", "x"),
                         ("status", "vip"), ("version", 99), ("contacts", [])):
        body = assert_error(client.patch(path, json={"name": "New", field: value}, headers=if_match(rep, customer)), 422)
        assert field in body["errors"] and "Cannot be set here" in body["errors"][field][0]
    assert_error(client.patch(path, json={"level": "Z"}, headers=if_match(rep, customer)), 422, "unknown_level")
    assert_error(client.patch(path, json={"name": "  "}, headers=if_match(rep, customer)), 422)
    after = client.get(path, headers=rep).json
    assert (after["name"], after["owner_id"], after["version"]) == ("Acme", "rep-1", customer["version"])


def test_the_customer_levels_are_listed_in_order_and_configured_by_admins(client, headers, create):
    rep, admin = headers("rep-1", "sales_rep"), headers("root", "admin")
    levels = client.get("/api/v1/customer-levels", headers=rep).json["items"]
    assert [level["key"] for level in levels] == ["A", "B", "C"]
    customer = create(level="C")
    assert_error(client.put("/api/v1/customer-levels", json={"levels": [{"key": "S", "name": "Strategic"}]},
                            headers=rep), 403)
    body = assert_error(client.put("/api/v1/customer-levels", json={"levels": [{"key": "S", "name": "Strategic"}]},
                                   headers=admin), 409, "level_in_use")
    assert body["errors"] == {"levels": ["C"]}
    configured = client.put("/api/v1/customer-levels", json={"levels": [{"key": "S", "name": "Strategic"},
                                                                         {"key": "C", "name": "Standard"}]}, headers=admin)
    assert [(level["key"], level["position"]) for level in configured.json["items"]] == [("S", 1), ("C", 2)]
    assert_error(client.patch(f"/api/v1/customers/{customer['id']}", json={"level": "A"}, headers=if_match(rep, customer)),
                 422, "unknown_level")
    assert client.patch(f"/api/v1/customers/{customer['id']}", json={"level": "S"},
                        headers=if_match(rep, customer)).json["level"] == "S"


def test_team_members_read_or_edit_until_their_access_expires(client, headers, create):
    owner, reader, editor, stranger = (headers(u, "sales_rep") for u in ("rep-1", "rep-2", "rep-3", "rep-4"))
    customer = create()
    path = f"/api/v1/customers/{customer['id']}"
    current = customer
    for user, access, expires in (("rep-2", "read", None), ("rep-3", "edit", "2099-01-01T00:00:00Z"),
                                  ("rep-4", "edit", "2026-01-01T00:00:00Z")):
        answer = client.put(f"{path}/team-members/{user}", json={"access": access, "expires_at": expires},
                            headers=if_match(owner, current))
        if user == "rep-4":
            assert_error(answer, 422)
            continue
        assert answer.status_code == 200, answer.json
        current = answer.json
    assert [(m["user_id"], m["access"]) for m in current["team_members"]] == [("rep-2", "read"), ("rep-3", "edit")]
    # Reader: sees it (and lists it) but may not change it; editor: may; stranger: 404 everywhere.
    assert client.get(path, headers=reader).status_code == 200
    assert client.get("/api/v1/customers", headers=reader).json["total"] == 1
    assert_error(client.patch(path, json={"industry": "x"}, headers=if_match(reader, current)), 403, "no_edit_access")
    assert_error(client.put(f"{path}/team-members/rep-5", json={"access": "read"}, headers=if_match(editor, current)),
                 403, "not_team_manager")
    edited = client.patch(path, json={"industry": "x"}, headers=if_match(editor, current))
    assert edited.status_code == 200, edited.json
    assert_error(client.get(path, headers=stranger), 404, "not_found")
    assert client.get("/api/v1/customers", headers=stranger).json == {"items": [], "total": 0}
    assert_error(client.get(f"{path}/opportunities", headers=stranger), 404)
    assert_error(client.get(f"{path}/ownership-history", headers=stranger), 404)
    # The owner takes the reader's access away.
    removed = client.delete(f"{path}/team-members/rep-2", headers=if_match(owner, edited.json))
    assert removed.status_code == 200 and [m["user_id"] for m in removed.json["team_members"]] == ["rep-3"]
    assert_error(client.get(path, headers=reader), 404)


def test_managers_see_their_teams_customers_as_the_directory_says(client, headers, tokens, create, in_directory):
    in_directory("rep-1", "east")
    in_directory("rep-2", "north")
    in_directory("boss", "east", roles=("sales_manager",))
    east = create("rep-1", name="East Co")
    north = create("rep-2", name="North Co")
    # The token still says north (hours old); the directory says east: the directory wins.
    boss = tokens.headers("boss", ["sales_manager"], "boss", teams=["north"])
    page = client.get("/api/v1/customers", headers=boss).json
    assert [c["name"] for c in page["items"]] == ["East Co"] and page["total"] == 1
    assert client.get(f"/api/v1/customers/{north['id']}", headers=boss).status_code == 404
    assert client.get("/api/v1/customers?team=east", headers=boss).json["total"] == 1
    assert client.get("/api/v1/customers?team=north", headers=boss).json["total"] == 0
    # rep-2 moves to east (a later change): the manager now sees both; an older event changes nothing.
    in_directory("rep-2", "east", changed_at="2026-11-27T10:00:00Z")
    in_directory("rep-2", "north", changed_at="2026-11-27T09:45:00Z")
    assert client.get("/api/v1/customers", headers=boss).json["total"] == 2
    edited = client.patch(f"/api/v1/customers/{east['id']}", json={"level": "A"}, headers=if_match(boss, east))
    assert edited.status_code == 200
    # An admin sees all without any team.
    assert client.get("/api/v1/customers", headers=headers("root", "admin")).json["total"] == 2


def test_a_manager_unknown_to_the_directory_is_judged_by_the_token_teams(client, tokens, create, in_directory):
    in_directory("rep-1", "east")
    create("rep-1")
    assert client.get("/api/v1/customers", headers=tokens.headers("new-boss", ["sales_manager"], "nb", teams=["east"])).json["total"] == 1
    assert client.get("/api/v1/customers", headers=tokens.headers("other", ["sales_manager"], "o", teams=["west"])).json["total"] == 0


def test_pages_and_totals_count_only_what_the_viewer_may_see(client, headers, create):
    for n in range(5):
        create("rep-1", name=f"Mine {n}")
    for n in range(4):
        create("rep-2", name=f"Theirs {n}")
    rep = headers("rep-1", "sales_rep")
    first = client.get("/api/v1/customers?limit=3", headers=rep).json
    second = client.get("/api/v1/customers?limit=3&offset=3", headers=rep).json
    assert (first["total"], second["total"], len(first["items"]), len(second["items"])) == (5, 5, 3, 2)
    assert {c["name"] for c in first["items"] + second["items"]} == {f"Mine {n}" for n in range(5)}
    assert client.get("/api/v1/customers?owner=rep-2", headers=rep).json == {"items": [], "total": 0}


def test_the_gateways_user_events_are_taken_in_once_each(deliver):
    for name in ("gateway.user.registered.v1", "gateway.user.changed.v1"):
        example = contract(name)
        assert deliver(example) is True and deliver(example) is False
