"""Campaigns, materials, distribution to leads and tracked links through the Flask test client."""
import io
import json

import pytest
from sqlalchemy import func, select

from crm_shared.db import outbox
from crm_shared.testing import contract
from leads.db_campaigns import campaigns, material_deliveries, materials
from leads.material_files import MaterialStore

CAMPAIGN = {
    "code": "spring-expo-2026", "name": "Spring expo", "channel": "expo", "starts_on": "2026-03-01",
    "ends_on": "2026-03-31", "budget": {"amount": "12000.50", "currency": "CNY"},
    "segment": {"regions": ["华东"], "statuses": ["claimed"]},
}
PDF = b"%PDF-1.7\n" + b"0" * 200


@pytest.fixture
def admin(tokens):
    return tokens.headers("admin-1", ["admin"], "admin")


@pytest.fixture
def make_lead(client, manager, new_lead):
    def make(owner=None, **fields):
        response = client.post("/api/v1/leads", json={**new_lead, **fields}, headers=manager)
        assert response.status_code == 201, response.json
        if owner is not None:
            claimed = client.post(f"/api/v1/leads/{response.json['id']}/claim", headers=owner)
            assert claimed.status_code == 200, claimed.json
            return claimed.json
        return response.json
    return make


@pytest.fixture
def campaign(client, manager):
    response = client.post("/api/v1/campaigns", json=CAMPAIGN, headers=manager)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def link(client, manager, campaign):
    response = client.post("/api/v1/materials", headers=manager, json={
        "name": "Brochure", "url": "https://example.com/brochure?lang=zh", "campaign_id": campaign["id"]})
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def snapshot(uow_factory):
    """What a refused request must leave as it was: the rows of campaigns, materials, deliveries and the outbox."""
    def take():
        with uow_factory() as uow:
            return [uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (campaigns, materials, material_deliveries, outbox)]
    return take


def events(uow_factory, name):
    with uow_factory() as uow:
        bodies = uow.session.scalars(select(outbox.c.body).where(outbox.c.name == name).order_by(outbox.c.position))
        return [json.loads(body) for body in bodies]


def refused(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["code"] == code, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    return response.json


def upload(client, headers, content=PDF, content_type="application/pdf", name="产品手册.pdf", **fields):
    data = {"name": "Catalogue", **fields, "file": (io.BytesIO(content), name, content_type)}
    return client.post("/api/v1/materials", data=data, headers=headers, content_type="multipart/form-data")


def distribute(client, material, headers, **body):
    return client.post(f"/api/v1/materials/{material['id']}/distribute", json=body, headers=headers)


# -- campaigns -------------------------------------------------------------------------------------



@pytest.fixture
def manager(tokens, in_directory):
    """The sales manager of team east, which rep-1 and rep-2 are in: a manager sends only to leads they may see."""
    for user_id, roles in (("rep-1", ["sales_rep"]), ("rep-2", ["sales_rep"]), ("manager-1", ["sales_manager"])):
        in_directory(user_id, roles, ["east"])
    return tokens.headers("manager-1", ["sales_manager"], "manager", teams=["east"])

def test_managers_and_admins_manage_campaigns_and_reps_may_only_read_them(client, manager, admin, rep1, agent):
    created = client.post("/api/v1/campaigns", json=CAMPAIGN, headers=admin)
    assert created.status_code == 201, created.json
    campaign = created.json
    assert campaign["budget"] == {"amount": "12000.50", "currency": "CNY"}
    assert campaign["segment"]["regions"] == ["华东"] and campaign["segment"]["tags"] == []
    assert client.get("/api/v1/campaigns", headers=rep1).json["items"][0]["code"] == "spring-expo-2026"
    assert client.get(f"/api/v1/campaigns/{campaign['id']}", headers=rep1).status_code == 200
    refused(client.post("/api/v1/campaigns", json={**CAMPAIGN, "code": "x"}, headers=rep1), 403, "role_not_allowed")
    refused(client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"name": "x"}, headers=rep1), 403, "role_not_allowed")
    refused(client.get("/api/v1/campaigns", headers=agent), 403, "role_not_allowed")
    changed = client.patch(f"/api/v1/campaigns/{campaign['id']}", headers=manager,
                           json={"budget": {"amount": "99999999999999.99", "currency": "USD"}, "segment": None})
    assert changed.status_code == 200, changed.json
    assert changed.json["budget"] == {"amount": "99999999999999.99", "currency": "USD"}
    assert changed.json["segment"] is None and changed.json["version"] == 2
    assert client.get(f"/api/v1/campaigns/{campaign['id']}", headers=rep1).json["budget"]["amount"] == "99999999999999.99"
    refused(client.delete(f"/api/v1/campaigns/{campaign['id']}", headers=rep1), 403, "role_not_allowed")
    assert client.delete(f"/api/v1/campaigns/{campaign['id']}", headers=manager).status_code == 204
    refused(client.get(f"/api/v1/campaigns/{campaign['id']}", headers=manager), 404, "not_found")


@pytest.mark.parametrize("change, status, code", [
    ({"surprise": 1}, 422, "validation_failed"),
    ({"budget": {"amount": 12.5, "currency": "cny"}}, 422, "validation_failed"),
    ({"budget": {"amount": "1.234", "currency": "CNY"}}, 422, "validation_failed"),
    ({"budget": {"amount": "-1", "currency": "CNY"}}, 422, "validation_failed"),
    ({"ends_on": "2026-02-01"}, 422, "invalid_period"),
    ({"code": "has space"}, 422, "validation_failed"),
    ({"segment": {"regions": ["华东"], "owners": ["x"]}}, 422, "validation_failed"),
    ({"segment": {"statuses": ["lost"]}}, 422, "validation_failed"),
    ({"segment": {"tags": "vip"}}, 422, "validation_failed"),
    ({"segment": {"pool_ids": ["no-such-pool"]}}, 422, "validation_failed"),
])
def test_bad_campaign_input_is_refused_with_the_error_shape_and_changes_nothing(client, manager, snapshot, change,
                                                                                status, code):
    before = snapshot()
    body = refused(client.post("/api/v1/campaigns", json={**CAMPAIGN, **change}, headers=manager), status, code)
    assert body["errors"]
    assert snapshot() == before


def test_a_campaign_code_is_unique(client, manager, campaign, snapshot):
    before = snapshot()
    refused(client.post("/api/v1/campaigns", json=CAMPAIGN, headers=manager), 409, "campaign_code_taken")
    other = client.post("/api/v1/campaigns", json={**CAMPAIGN, "code": "autumn"}, headers=manager).json
    refused(client.patch(f"/api/v1/campaigns/{other['id']}", json={"code": CAMPAIGN["code"]}, headers=manager),
            409, "campaign_code_taken")
    assert snapshot()[0] == before[0] + 1


def test_a_lead_names_its_campaign_by_a_free_code_whether_or_not_the_campaign_exists(make_lead, campaign):
    assert make_lead(campaign=campaign["code"])["campaign"] == "spring-expo-2026"
    assert make_lead(campaign="partner-import-42")["campaign"] == "partner-import-42"


# -- materials -------------------------------------------------------------------------------------


def test_managers_add_link_materials_and_reps_may_list_them(client, manager, rep1, link, campaign, snapshot):
    assert link["kind"] == "link" and link["campaign_id"] == campaign["id"] and link["download_url"] is None
    listed = client.get(f"/api/v1/materials?campaign_id={campaign['id']}", headers=rep1)
    assert [m["id"] for m in listed.json["items"]] == [link["id"]]
    assert client.get(f"/api/v1/materials/{link['id']}", headers=rep1).json["url"] == "https://example.com/brochure?lang=zh"
    before = snapshot()
    refused(client.post("/api/v1/materials", json={"name": "x", "url": "https://a.cn"}, headers=rep1), 403,
            "role_not_allowed")
    refused(client.patch(f"/api/v1/materials/{link['id']}", json={"url": "javascript:alert(1)"}, headers=manager),
            422, "invalid_url")
    refused(client.delete(f"/api/v1/materials/{link['id']}", headers=rep1), 403, "role_not_allowed")
    assert snapshot() == before
    changed = client.patch(f"/api/v1/materials/{link['id']}", json={"url": "http://example.com/v2", "campaign_id": None},
                           headers=manager)
    assert changed.status_code == 200 and changed.json["campaign_id"] is None and changed.json["version"] == 2


@pytest.mark.parametrize("body, status, code", [
    ({"name": "x", "url": "javascript:alert(1)"}, 422, "invalid_url"),
    ({"name": "x", "url": "ftp://files.example.com/a.pdf"}, 422, "invalid_url"),
    ({"name": "x"}, 422, "validation_failed"),
    ({"name": "x", "url": "https://a.cn", "kind": "file"}, 422, "validation_failed"),
    ({"name": "x", "url": "https://a.cn", "campaign_id": "no-such-campaign"}, 422, "unknown_campaign"),
])
def test_a_bad_link_material_is_refused_and_changes_nothing(client, manager, snapshot, body, status, code):
    before = snapshot()
    refused(client.post("/api/v1/materials", json=body, headers=manager), status, code)
    assert snapshot() == before


def test_an_uploaded_file_is_kept_under_the_data_folder_and_downloaded_as_an_attachment(client, manager, rep1, settings):
    created = upload(client, manager)
    assert created.status_code == 201, created.json
    material = created.json
    assert (material["kind"], material["file_name"], material["content_type"], material["size_bytes"]) == (
        "file", "产品手册.pdf", "application/pdf", len(PDF))
    assert (settings.data_dir / "materials" / material["id"]).read_bytes() == PDF
    download = client.get(material["download_url"], headers=rep1)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    refused(client.get(material["download_url"]), 401, "authentication_required")


def test_an_upload_over_the_size_limit_or_of_a_type_not_allowed_is_refused_and_nothing_is_kept(
        client, app, manager, settings, snapshot):
    app.extensions["leads.material_store"] = MaterialStore(settings.data_dir / "materials", max_bytes=100)
    before = snapshot()
    refused(upload(client, manager), 413, "material_too_large")
    refused(upload(client, manager, content=b"<html><script>alert(1)</script>", content_type="text/html",
                   name="x.html"), 415, "unsupported_material_type")
    refused(upload(client, manager, content=b"<html>not a pdf</html>", name="fake.pdf"), 415,
            "unsupported_material_type")
    refused(upload(client, manager, content=b"ok", content_type="text/plain", campaign_id="nope"), 422,
            "unknown_campaign")
    refused(client.post("/api/v1/materials", data={"name": "no file"}, headers=manager,
                        content_type="multipart/form-data"), 422, "validation_failed")
    refused(upload(client, manager, content=b"ok", content_type="text/plain", name=""), 422, "validation_failed")
    assert snapshot() == before
    assert not any((settings.data_dir / "materials").glob("*"))
    assert upload(client, manager, content=b"small enough", content_type="text/plain").status_code == 201


def test_a_material_sent_to_leads_and_a_campaign_with_materials_cannot_be_deleted(
        client, manager, link, campaign, make_lead, rep1):
    lead = make_lead(owner=rep1)
    assert distribute(client, link, manager, lead_ids=[lead["id"]]).status_code == 201
    refused(client.delete(f"/api/v1/materials/{link['id']}", headers=manager), 409, "material_has_deliveries")
    refused(client.delete(f"/api/v1/campaigns/{campaign['id']}", headers=manager), 409, "campaign_in_use")
    unsent = upload(client, manager).json
    assert client.delete(f"/api/v1/materials/{unsent['id']}", headers=manager).status_code == 204


# -- distribution ----------------------------------------------------------------------------------


def test_distributing_to_a_segment_records_one_delivery_and_one_event_per_matching_lead(
        client, manager, rep1, rep2, link, campaign, make_lead, uow_factory):
    east = [make_lead(owner=rep1, region="华东", tags=["vip"]), make_lead(owner=rep2, region="华东", tags=["vip", "x"])]
    make_lead(owner=rep1, region="华南", tags=["vip"])
    make_lead(region="华东", tags=["vip"])  # still in the pool: not claimed
    make_lead(owner=rep2, region="华东", tags=["cold"])
    response = distribute(client, link, manager, segment={"regions": ["华东"], "statuses": ["claimed"], "tags": ["vip"]})
    assert response.status_code == 201, response.json
    assert response.json["total"] == 2
    assert sorted(d["lead_id"] for d in response.json["items"]) == sorted(lead["id"] for lead in east)
    assert all(d["tracking_url"].startswith("/api/v1/track/") for d in response.json["items"])
    sent = events(uow_factory, "leads.material.sent.v1")
    assert len(sent) == 2
    assert {e["payload"]["delivery_id"] for e in sent} == {d["id"] for d in response.json["items"]}
    payload = next(e["payload"] for e in sent if e["payload"]["lead_id"] == east[0]["id"])
    assert set(payload) == set(contract("leads.material.sent.v1").payload)
    assert (payload["owner_id"], payload["campaign_id"], payload["campaign_code"], payload["channel"],
            payload["material_id"], payload["sent_by"]) == (
        "rep-1", campaign["id"], "spring-expo-2026", "web", link["id"], "manager-1")
    assert sent[0]["actor"] == "manager-1"
    with uow_factory() as uow:
        assert uow.session.execute(select(func.count()).select_from(material_deliveries)).scalar_one() == 2


def test_a_rep_sends_only_to_their_own_leads(client, rep1, rep2, link, make_lead, uow_factory, snapshot):
    mine = make_lead(owner=rep1, region="华东")
    theirs = make_lead(owner=rep2, region="华东")
    in_pool = make_lead(region="华东")
    response = distribute(client, link, rep1, segment={"regions": ["华东"]})
    assert response.status_code == 201, response.json
    assert [d["lead_id"] for d in response.json["items"]] == [mine["id"]]
    before = snapshot()
    # Another rep's lead is not theirs to see: answered as if it did not exist. A pool lead they may see.
    refused(distribute(client, link, rep1, lead_ids=[mine["id"], theirs["id"]]), 404, "not_found")
    body = refused(distribute(client, link, rep1, lead_ids=[mine["id"], in_pool["id"]]), 403, "not_lead_owner")
    assert body["errors"]["lead_ids"] == [in_pool["id"]]
    assert snapshot() == before
    again = distribute(client, link, rep1, lead_ids=[mine["id"]])
    assert again.status_code == 201 and again.json["total"] == 1
    assert len(events(uow_factory, "leads.material.sent.v1")) == 2
    mine_only = client.get(f"/api/v1/materials/{link['id']}/deliveries", headers=rep2)
    assert mine_only.json["total"] == 0


def test_the_deliveries_list_names_each_lead_the_reader_may_see(client, tokens, admin, link, in_directory):
    in_directory("rep-a", ["sales_rep"], ["team-a"])
    in_directory("rep-b", ["sales_rep"], ["team-b"])
    in_directory("manager-a", ["sales_manager"], ["team-a"])
    rep_a = tokens.headers("rep-a", ["sales_rep"], "rep.a", teams=["team-a"])
    rep_b = tokens.headers("rep-b", ["sales_rep"], "rep.b", teams=["team-b"])
    manager_a = tokens.headers("manager-a", ["sales_manager"], "manager.a", teams=["team-a"])
    made = {}
    for who, headers in (("a", rep_a), ("b", rep_b)):
        lead = client.post("/api/v1/leads", json={"company": f"Team {who} Co", "contact_name": f"Contact {who}",
                                                  "channel": "web", "allow_duplicate": True}, headers=admin).json
        assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=headers).status_code == 200
        made[lead["id"]] = who
    assert distribute(client, link, admin, lead_ids=list(made)).status_code == 201

    def names(headers):
        response = client.get(f"/api/v1/materials/{link['id']}/deliveries", headers=headers)
        assert response.status_code == 200, response.json
        return sorted((made[d["lead_id"]], d["company"], d["contact_name"]) for d in response.json["items"])

    everyone = [("a", "Team a Co", "Contact a"), ("b", "Team b Co", "Contact b")]
    assert names(admin) == everyone
    # Another team's lead: the manager sees the delivery, not whose lead it went to.
    assert names(manager_a) == [everyone[0], ("b", None, None)]
    assert names(rep_b) == [everyone[1]]


@pytest.mark.parametrize("body, status, code", [
    ({}, 422, "validation_failed"),
    ({"segment": {"regions": ["华东"]}, "lead_ids": ["x"]}, 422, "validation_failed"),
    ({"segment": {}}, 422, "segment_empty"),
    ({"segment": {"owner_id": "rep-1"}}, 422, "validation_failed"),
    ({"segment": {"pool_ids": ["no-such-pool"]}}, 422, "validation_failed"),
    ({"lead_ids": ["a", "a"]}, 422, "validation_failed"),
    ({"lead_ids": ["no-such-lead"]}, 404, "not_found"),
])
def test_a_bad_distribution_is_refused_and_changes_nothing(client, manager, link, make_lead, snapshot, body, status,
                                                           code):
    make_lead(region="华东")
    before = snapshot()
    refused(distribute(client, link, manager, **body), status, code)
    assert snapshot() == before


def test_distributing_an_unknown_material_is_404_and_service_agents_may_not(client, manager, agent, link):
    refused(client.post("/api/v1/materials/nope/distribute", json={"lead_ids": ["x"]}, headers=manager), 404, "not_found")
    refused(distribute(client, link, agent, lead_ids=["x"]), 403, "role_not_allowed")


# -- tracking --------------------------------------------------------------------------------------


def test_a_tracked_link_needs_no_login_counts_clicks_and_publishes_only_the_first(
        client, manager, rep1, link, campaign, make_lead, uow_factory):
    lead = make_lead(owner=rep1)
    delivery = distribute(client, link, manager, lead_ids=[lead["id"]]).json["items"][0]
    first = client.get(delivery["tracking_url"])
    assert first.status_code == 302
    assert first.headers["Location"] == "https://example.com/brochure?lang=zh"
    assert first.headers["Cache-Control"] == "no-store"
    for _ in range(2):
        assert client.get(delivery["tracking_url"]).status_code == 302
    clicked = events(uow_factory, "leads.material.clicked.v1")
    assert len(clicked) == 1
    payload = clicked[0]["payload"]
    assert set(payload) == set(contract("leads.material.clicked.v1").payload)
    assert (payload["delivery_id"], payload["lead_id"], payload["owner_id"], payload["campaign_id"],
            payload["campaign_code"]) == (delivery["id"], lead["id"], "rep-1", campaign["id"], "spring-expo-2026")
    seen = client.get(f"/api/v1/materials/{link['id']}/deliveries", headers=rep1).json["items"][0]
    assert (seen["click_count"], seen["open_count"]) == (3, 1)
    assert seen["clicked_at"] is not None and seen["opened_at"] == seen["clicked_at"]


def test_the_open_pixel_counts_opens_and_a_later_click_does_not_count_another_open(client, manager, rep1, link,
                                                                                    make_lead):
    lead = make_lead(owner=rep1)
    delivery = distribute(client, link, manager, lead_ids=[lead["id"]]).json["items"][0]
    pixel = client.get(delivery["open_pixel_url"])
    assert pixel.status_code == 200 and pixel.headers["Content-Type"] == "image/gif" and pixel.data.startswith(b"GIF89a")
    client.get(delivery["open_pixel_url"])
    client.get(delivery["tracking_url"])
    seen = client.get(f"/api/v1/materials/{link['id']}/deliveries", headers=manager).json["items"][0]
    assert (seen["open_count"], seen["click_count"]) == (2, 1)


@pytest.mark.parametrize("path", ["/api/v1/track/not-a-token", "/api/v1/track/not-a-token/file",
                                  "/api/v1/track/not-a-token/open"])
def test_an_unknown_tracked_link_is_a_plain_404_in_the_error_shape(client, path, snapshot):
    before = snapshot()
    body = refused(client.get(path), 404, "not_found")
    assert "not-a-token" not in body["message"] and body["errors"] == {}
    assert snapshot() == before


def test_a_tracked_link_of_a_file_redirects_to_its_public_download_through_the_same_token(
        client, manager, rep1, make_lead, uow_factory):
    material = upload(client, manager).json
    lead = make_lead(owner=rep1)
    delivery = distribute(client, material, manager, lead_ids=[lead["id"]]).json["items"][0]
    followed = client.get(delivery["tracking_url"])
    assert followed.status_code == 302
    assert followed.headers["Location"] == f"{delivery['tracking_url']}/file"
    download = client.get(followed.headers["Location"])
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert len(events(uow_factory, "leads.material.clicked.v1")) == 1


def test_the_tracked_link_endpoints_are_documented_as_public(client):
    paths = client.get("/openapi.json").json["paths"]
    assert paths["/api/v1/track/{token}"]["get"]["security"] == []
    assert "security" not in paths["/api/v1/materials/{material_id}/distribute"]["post"]
