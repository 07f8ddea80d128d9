"""Duplicate leads: refused on create unless allowed, the check endpoint, and merging two leads into one."""
import json

from sqlalchemy import func, select

from crm_shared.db import outbox
from crm_shared.testing import contract
from leads.db import lead_ownership_history
from leads.db_search import lead_match_keys

LEADS = "/api/v1/leads"
CHECK = "/api/v1/leads/duplicates/check"


def create(client, headers, **fields):
    body = {"company": "安徽锦佳信息技术有限公司", "contact_name": "王芳", "channel": "web", **fields}
    return client.post(LEADS, json=body, headers=headers)


def test_a_lead_with_the_phone_of_another_is_refused_naming_the_match(client, manager, published):
    first = create(client, manager, phone="138 0013 8000").json
    again = create(client, manager, company="Another Co", phone="+86 13800138000")
    assert again.status_code == 409
    assert again.json["code"] == "duplicate_lead"
    assert again.json["errors"]["matches"] == [
        {"lead_id": first["id"], "strength": "strong", "keys": ["phone:+8613800138000"]}]
    assert published() == ["leads.lead.created.v1"]


def test_a_duplicate_is_created_when_allowed_and_reports_what_it_duplicates(client, manager):
    first = create(client, manager, email="Wang@Example.cn").json
    again = create(client, manager, email="wang@example.cn", allow_duplicate=True)
    assert again.status_code == 201
    assert again.json["duplicates"][0]["lead_id"] == first["id"]
    assert again.json["duplicates"][0]["strength"] == "strong"


def test_a_lead_sharing_only_the_company_name_is_created_with_a_weak_warning(client, manager):
    first = create(client, manager, phone="13800138000").json
    again = create(client, manager, company="安徽锦佳信息技术股份有限公司", phone="13900139000")
    assert again.status_code == 201
    assert again.json["duplicates"] == [{"lead_id": first["id"], "strength": "weak", "keys": ["company:安徽锦佳信息技术"]}]


def test_the_check_endpoint_lists_strong_matches_before_weak_ones(client, rep1, manager):
    by_company = create(client, manager, phone="13800138001").json
    by_phone = create(client, manager, company="Other Name", phone="13800138002").json
    response = client.post(CHECK, json={"company": "安徽锦佳信息技术有限公司", "phone": "13800138002"}, headers=rep1)
    assert response.status_code == 200
    assert [(m["lead_id"], m["strength"]) for m in response.json["items"]] == [
        (by_phone["id"], "strong"), (by_company["id"], "weak")]


def test_the_check_endpoint_needs_something_to_check_and_refuses_unknown_fields(client, rep1):
    empty = client.post(CHECK, json={}, headers=rep1)
    assert empty.status_code == 422
    unknown = client.post(CHECK, json={"phone": "1", "fax": "2"}, headers=rep1)
    assert unknown.status_code == 422 and "fax" in unknown.json["errors"]


def test_changing_a_leads_phone_moves_its_match_key(client, manager, rep1, uow_factory):
    lead = create(client, manager, phone="13800138000").json
    with uow_factory() as uow:
        stored = uow.leads.get(lead["id"])
        stored.phone = "13900139000"
        uow.commit()
    assert create(client, manager, company="X", phone="13800138000").status_code == 201
    assert create(client, manager, company="Y", phone="13900139000").status_code == 409


def test_merging_moves_the_history_and_keys_and_marks_the_other_lead_merged(client, manager, admin, rep1, uow_factory):
    survivor = create(client, manager, phone="13800138000").json
    other = create(client, manager, company="锦佳信息", phone="13900139000", email="li@jinjia.cn",
                   tags=["fair"], notes="met at the fair").json
    assert client.post(f"{LEADS}/{other['id']}/claim", headers=rep1).status_code == 200

    # rep-1 is in no team of this manager's: only an admin may merge their lead.
    merged = client.post(f"{LEADS}/{survivor['id']}/merge", json={"other_id": other["id"]}, headers=admin)
    assert merged.status_code == 200, merged.json
    assert merged.json["email"] == "li@jinjia.cn" and merged.json["tags"] == ["fair"]
    assert merged.json["notes"] == "met at the fair"

    gone = client.get(f"{LEADS}/{other['id']}", headers=admin).json
    assert gone["status"] == "merged" and gone["merged_into_id"] == survivor["id"]
    history = client.get(f"{LEADS}/{survivor['id']}/ownership-history", headers=manager).json["items"]
    assert [(h["reason"], h["to_owner_id"]) for h in history] == [("claimed", "rep-1")]
    with uow_factory() as uow:
        assert uow.session.execute(select(func.count()).where(
            lead_ownership_history.c.lead_id == other["id"])).scalar_one() == 0
        assert uow.session.execute(select(func.count()).where(
            lead_match_keys.c.lead_id == other["id"])).scalar_one() == 0
        bodies = [json.loads(b) for b in uow.session.scalars(
            select(outbox.c.body).where(outbox.c.name == "leads.lead.merged.v1"))]
    assert len(bodies) == 1
    payload = bodies[0]["payload"]
    assert set(payload) == set(contract("leads.lead.merged.v1").payload)
    assert payload["lead_id"] == survivor["id"] and payload["merged_lead_id"] == other["id"]
    assert payload["moved"]["lead_ownership_history"] == 1
    # The merged lead's phone now finds the survivor, and the merged lead is out of search by default.
    check = client.post(CHECK, json={"phone": "13900139000"}, headers=manager).json["items"]
    assert [m["lead_id"] for m in check] == [survivor["id"]]
    found = client.get(f"{LEADS}/search", query_string={"q": "锦佳"}, headers=manager).json["items"]
    assert [item["id"] for item in found] == [survivor["id"]]
    merged_only = client.get(f"{LEADS}/search", query_string={"status": "merged"}, headers=admin).json["items"]
    assert [item["id"] for item in merged_only] == [other["id"]]


def test_a_merge_is_refused_cleanly_when_it_cannot_be_done(client, manager, admin, rep1, published):
    one = create(client, manager, phone="13800138000").json
    two = create(client, manager, phone="13900139000").json
    three = create(client, manager, phone="13700137000").json
    itself = client.post(f"{LEADS}/{one['id']}/merge", json={"other_id": one["id"]}, headers=manager)
    assert itself.status_code == 422 and itself.json["code"] == "cannot_merge_into_itself"
    missing = client.post(f"{LEADS}/{one['id']}/merge", json={"other_id": "nope"}, headers=manager)
    assert missing.status_code == 404
    by_rep = client.post(f"{LEADS}/{one['id']}/merge", json={"other_id": two["id"]}, headers=rep1)
    assert by_rep.status_code == 403
    bad_body = client.post(f"{LEADS}/{one['id']}/merge", json={"other": two["id"]}, headers=manager)
    assert bad_body.status_code == 422
    assert client.post(f"{LEADS}/{one['id']}/merge", json={"other_id": two["id"]}, headers=manager).status_code == 200
    # A merged lead has left the pool, so only an admin still sees it (a manager gets 404, as for any
    # lead out of their sight); the admin is told why it cannot be merged again.
    assert client.post(f"{LEADS}/{three['id']}/merge", json={"other_id": two["id"]}, headers=manager).status_code == 404
    twice = client.post(f"{LEADS}/{three['id']}/merge", json={"other_id": two["id"]}, headers=admin)
    assert twice.status_code == 409 and twice.json["code"] == "lead_merged"
    assert published().count("leads.lead.merged.v1") == 1
