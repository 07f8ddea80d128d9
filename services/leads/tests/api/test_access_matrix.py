"""Who may call what, and what one rep learns of another rep's leads, for every operation of the OpenAPI document.

RULES give every path and method of the leads service the roles that may call it and what it touches:
OWNED operations name a rep's lead (or its reminder, or an import) in the path; LISTING operations answer with
many leads; BODY operations name leads in the request body; SHARED operations manage configuration (pools,
markets, campaigns, materials); PUBLIC ones need no login. An operation the document has and RULES lack fails
the first test by name, so a new endpoint cannot escape the walks below:

- every role outside an operation's roles gets 403 `role_not_allowed` in the shared error shape, and every role
  inside it gets past that check;
- rep A (team-a) owns a lead with a follow-up, a reminder, a material sent to it and a lead returned to the
  public pool; rep B and team-b's manager then read every OWNED path with A's ids (404), every LISTING path,
  also filtered by A (none of A's contact data), and try every write (refused, A's answers and the outbox as before);
- fields a rep may not set (owner, status, pool membership) are refused or have no effect.
"""
from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm_shared.access_matrix import (
    BODY, LISTING, OWNED, PUBLIC, SHARED, AccessMatrix, Rule, code_of, in_error_shape, ok, secrets_in,
)
from crm_shared.db import outbox
from crm_shared.envelope import format_time, utc_now
from leads import service as lead_service
from leads.pools import DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID

SALES = ("admin", "sales_manager", "sales_rep")
MANAGERS = ("admin", "sales_manager")
SELLERS = ("sales_manager", "sales_rep")  # those who hold leads themselves

IMPORT_MAPPING = {"公司": "company", "联系人": "contact_name", "电话": "phone", "来源": "channel"}
IMPORT_FILE = "公司,联系人,电话,来源\r\nImported Co,Li Na,13900000000,web\r\n"


RULES = {
    ("GET", "/api/v1/leads"): Rule(SALES, LISTING),
    ("POST", "/api/v1/leads"): Rule(SALES, SHARED, {"company": "Probe Co", "contact_name": "Li", "channel": "web",
                                                    "allow_duplicate": True}),
    ("POST", "/api/v1/leads/claim"): Rule(SELLERS, BODY, {"lead_ids": ["{lead_id}"]}),
    ("GET", "/api/v1/leads/{lead_id}"): Rule(SALES, OWNED),
    ("POST", "/api/v1/leads/{lead_id}/claim"): Rule(SELLERS, OWNED),
    ("POST", "/api/v1/leads/{lead_id}/reveal"): Rule(SALES, OWNED),
    ("POST", "/api/v1/leads/{lead_id}/return"): Rule(SELLERS, OWNED, {"reason": "no_budget"}),
    ("POST", "/api/v1/leads/{lead_id}/convert"): Rule(SELLERS, OWNED, {}),
    ("GET", "/api/v1/leads/{lead_id}/ownership-history"): Rule(SALES, OWNED),
    ("GET", "/api/v1/leads/{lead_id}/audit"): Rule(SALES, OWNED),
    ("GET", "/api/v1/pools"): Rule(SALES, SHARED),
    ("POST", "/api/v1/pools"): Rule(MANAGERS, SHARED, {"name": "Probe pool", "kind": "public"}),
    ("GET", "/api/v1/pools/{pool_id}"): Rule(SALES, SHARED),
    ("PATCH", "/api/v1/pools/{pool_id}"): Rule(SALES, SHARED, {"name": "Probe pool"}),
    ("DELETE", "/api/v1/pools/{pool_id}"): Rule(MANAGERS, SHARED),
    ("POST", "/api/v1/pools/{pool_id}/distribute"): Rule(SALES, BODY, {"lead_ids": ["{lead_id}"],
                                                                          "owner_id": "{viewer_id}"}),
    ("GET", "/api/v1/pools/{pool_id}/recycle-preview"): Rule(SALES, SHARED),
    ("POST", "/api/v1/pools/{pool_id}/recycle-preview"): Rule(SALES, SHARED, {"policy": {}}),
    ("GET", "/api/v1/markets"): Rule(MANAGERS, SHARED),
    ("POST", "/api/v1/markets"): Rule(MANAGERS, SHARED, {"name": "Probe market"}),
    ("GET", "/api/v1/markets/{market_id}"): Rule(MANAGERS, SHARED),
    ("PATCH", "/api/v1/markets/{market_id}"): Rule(MANAGERS, SHARED, {"name": "Probe market"}),
    ("DELETE", "/api/v1/markets/{market_id}"): Rule(MANAGERS, SHARED),
    ("PUT", "/api/v1/markets/{market_id}/assignees"): Rule(MANAGERS, SHARED, {"user_ids": [], "team_ids": []}),
    ("GET", "/api/v1/campaigns"): Rule(SALES, SHARED),
    ("POST", "/api/v1/campaigns"): Rule(MANAGERS, SHARED, {
        "code": "probe", "name": "Probe", "channel": "web", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "budget": {"amount": 1, "currency": "CNY"}}),
    ("GET", "/api/v1/campaigns/{campaign_id}"): Rule(SALES, SHARED),
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): Rule(MANAGERS, SHARED, {"name": "Probe"}),
    ("DELETE", "/api/v1/campaigns/{campaign_id}"): Rule(MANAGERS, SHARED),
    ("GET", "/api/v1/materials"): Rule(SALES, SHARED),
    ("POST", "/api/v1/materials"): Rule(MANAGERS, SHARED, {"name": "Probe", "url": "https://example.com/p"}),
    ("GET", "/api/v1/materials/{material_id}"): Rule(SALES, SHARED),
    ("PATCH", "/api/v1/materials/{material_id}"): Rule(MANAGERS, SHARED, {"name": "Probe"}),
    ("DELETE", "/api/v1/materials/{material_id}"): Rule(MANAGERS, SHARED),
    ("GET", "/api/v1/materials/{material_id}/file"): Rule(SALES, SHARED),
    ("POST", "/api/v1/materials/{material_id}/distribute"): Rule(SALES, BODY, {"lead_ids": ["{lead_id}"]}),
    ("GET", "/api/v1/materials/{material_id}/deliveries"): Rule(SALES, LISTING),
    ("GET", "/api/v1/track/{token}"): Rule(None, PUBLIC),
    ("GET", "/api/v1/track/{token}/file"): Rule(None, PUBLIC),
    ("GET", "/api/v1/track/{token}/open"): Rule(None, PUBLIC),
    ("GET", "/api/v1/leads/{lead_id}/follow-ups"): Rule(SALES, OWNED),
    ("POST", "/api/v1/leads/{lead_id}/follow-ups"): Rule(SALES, OWNED, {"kind": "call", "outcome": "probe"}),
    ("GET", "/api/v1/leads/{lead_id}/timeline"): Rule(SALES, OWNED),
    ("GET", "/api/v1/agenda"): Rule(SALES, LISTING),
    ("POST", "/api/v1/reminders/{reminder_id}/complete"): Rule(SALES, OWNED),
    ("POST", "/api/v1/reminders/{reminder_id}/snooze"): Rule(SALES, OWNED, {"until": "2030-01-01T00:00:00+00:00"}),
    ("GET", "/api/v1/leads/search"): Rule(SALES, LISTING),
    ("GET", "/api/v1/leads/export"): Rule(SALES, LISTING),
    ("POST", "/api/v1/leads/duplicates/check"): Rule(SALES, LISTING, {"company": "{secret}", "phone": "{phone}"}),
    ("POST", "/api/v1/leads/{lead_id}/merge"): Rule(MANAGERS, OWNED, {"other_id": "{lead_id}"}),
    ("POST", "/api/v1/leads/imports"): Rule(MANAGERS, SHARED, {
        "options": json.dumps({"mapping": IMPORT_MAPPING, "dry_run": True}), "file": IMPORT_FILE}, multipart=True),
    ("GET", "/api/v1/leads/imports/{import_id}"): Rule(MANAGERS, OWNED),
    ("POST", "/api/v1/leads/{lead_id}/lock"): Rule(SALES, OWNED),
    ("POST", "/api/v1/leads/{lead_id}/unlock"): Rule(SALES, OWNED),
}

# What the walks find today and the product accepts, or leaves open as a known issue: (walk, outsider, pattern, why).
KNOWN = [
    ("read", "rep-b", r"POST /api/v1/leads/duplicates/check\?.* shows A's lead, phone$",
     "the duplicate check names the matching lead's id to whoever typed its phone (the phone is theirs to type)"),
    ("read", "manager-b", r"POST /api/v1/leads/duplicates/check\?.* shows A's lead, phone$", "as for reps"),
    ("read", "manager-b", r"GET /api/v1/materials/[^/]+/deliveries\?.* shows A's lead$",
     "a manager sees every delivery of a material, another team's with the lead id but no company or contact"),
    ("write", "rep-b", r"POST /api/v1/leads/[^/]+/claim None answered 409 lead_already_claimed$",
     "by design: racing claimers of a pool lead learn it was taken (409 lead_already_claimed), which also tells "
     "anyone holding a claimed lead's id (an unguessable UUID) that it exists; nothing of the lead is shown"),
    ("write", "manager-b", r"POST /api/v1/leads/[^/]+/claim None answered 409 lead_already_claimed$", "as for reps"),
]

MATRIX = AccessMatrix(RULES, known=KNOWN, filters={
    # Query values that narrow a list to A's leads: each one is also tried on its own.
    "owner": "rep-a", "q": "{secret}", "status": "claimed", "pool_id": DEFAULT_PUBLIC_POOL_ID,
})


# -- the matrix covers the document ---------------------------------------------------------------------------


def test_every_operation_of_the_openapi_document_has_an_access_rule(client):
    document = client.get("/openapi.json")
    assert document.status_code == 200
    assert MATRIX.uncovered(document.json) == [], "add each operation to RULES with its roles and kind"


def test_every_role_outside_an_operations_roles_is_refused_and_every_role_inside_passes(client, tokens):
    MATRIX.none_of(MATRIX.role_mismatches(client, tokens))


# -- rep A's world ----------------------------------------------------------------------------------------------


@pytest.fixture
def people(tokens, in_directory) -> dict:
    for user, roles, team in (("rep-a", "sales_rep", "team-a"), ("rep-b", "sales_rep", "team-b"),
                              ("manager-a", "sales_manager", "team-a"), ("manager-b", "sales_manager", "team-b")):
        in_directory(user, [roles], [team])
    return {user: tokens.headers(user, [roles], user, teams=[team]) for user, roles, team in (
        ("rep-a", "sales_rep", "team-a"), ("rep-b", "sales_rep", "team-b"),
        ("manager-a", "sales_manager", "team-a"), ("manager-b", "sales_manager", "team-b"))} | {
        "admin": tokens.headers("admin-1", ["admin"], "admin")}


@pytest.fixture
def world(client, people) -> dict:
    """A's ids by path parameter name, and the secrets (contact data) no outsider may read."""
    a, admin, manager_a = people["rep-a"], people["admin"], people["manager-a"]
    marker = uuid.uuid4().hex[:10]
    digits = str(uuid.uuid4().int)[:8]
    phone, pool_phone = f"138{digits}", f"139{digits}"
    email, pool_email = f"secret.{marker}@example.cn", f"pooled.{marker}@example.cn"

    def lead(company: str, phone_number: str, mail: str, owner: dict | None) -> str:
        made = ok(client.post("/api/v1/leads", headers=admin, json={
            "company": company, "contact_name": f"Contact {marker}", "phone": phone_number, "email": mail,
            "channel": "web", "allow_duplicate": True}), 201)
        if owner is not None:
            ok(client.post(f"/api/v1/leads/{made['id']}/claim", headers=owner))
        return made["id"]

    lead_id = lead(f"Secret lead {marker}", phone, email, a)
    ok(client.post(f"/api/v1/leads/{lead_id}/follow-ups", headers=a, json={
        "kind": "visit", "outcome": f"Secret outcome {marker}", "next_step": f"Secret step {marker}",
        "next_contact_at": format_time(utc_now() + timedelta(days=2))}), 201)
    [reminder] = ok(client.get("/api/v1/agenda", headers=a))["upcoming"]
    # A returns a lead to the public pool: others see it, with its phone and email masked.
    pooled_id = lead(f"Pooled lead {marker}", pool_phone, pool_email, a)
    ok(client.post(f"/api/v1/leads/{pooled_id}/return", json={"reason": "no_budget"}, headers=a))
    campaign = ok(client.post("/api/v1/campaigns", headers=manager_a, json={
        "code": f"c-{marker}", "name": "Spring", "channel": "web", "starts_on": "2026-01-01",
        "ends_on": "2030-12-31", "budget": {"amount": 1000, "currency": "CNY"}}), 201)
    material = ok(client.post("/api/v1/materials", headers=manager_a, json={
        "name": "Brochure", "url": "https://example.com/brochure", "campaign_id": campaign["id"]}), 201)
    [delivery] = ok(client.post(f"/api/v1/materials/{material['id']}/distribute", json={"lead_ids": [lead_id]},
                                headers=a), 201)["items"]
    form = {"file": (io.BytesIO(f"公司,联系人,电话,来源\r\nImported {marker},Li,137{digits},web\r\n".encode(
        "utf-8-sig")), "leads.csv"), "options": json.dumps({"mapping": IMPORT_MAPPING, "owner_id": "rep-a"})}
    imported = client.post("/api/v1/leads/imports", data=form, headers=manager_a, content_type="multipart/form-data")
    assert imported.status_code == 202, imported.json
    # B holds a lead of their own, so B's lists are not empty by accident.
    lead(f"B's own lead {uuid.uuid4().hex[:6]}", "13700000000", "b@example.cn", people["rep-b"])
    token = delivery["tracking_url"].rstrip("/").rsplit("/", 1)[-1]
    return {
        "ids": {"lead_id": [lead_id], "reminder_id": [reminder["id"]], "import_id": [imported.json["id"]],
                "pool_id": [DEFAULT_LEAD_POOL_ID, DEFAULT_PUBLIC_POOL_ID], "campaign_id": [campaign["id"]],
                "material_id": [material["id"]], "market_id": [], "token": [token], "secret": [marker],
                "phone": [phone]},
        "secrets": {"lead": lead_id, "company": f"Secret lead {marker}", "phone": phone, "email": email,
                    "outcome": f"Secret outcome {marker}", "next step": f"Secret step {marker}",
                    "pooled phone": pool_phone, "pooled email": pool_email},
        "pooled": pooled_id,
    }


# -- the walks ---------------------------------------------------------------------------------------------------


def reading_leaks(client, world: dict, viewer_id: str, viewer: dict) -> list[str]:
    """What `viewer` learns of A's leads through every read: OWNED paths that answer, lists that show A's data."""
    secrets = world["secrets"]
    if viewer_id.startswith("manager"):
        # Managers administer the public pool and read its contacts unmasked.
        secrets = {name: value for name, value in secrets.items() if not name.startswith("pooled")}
    return MATRIX.reading_leaks(client, world["ids"], secrets, viewer_id, viewer)


def as_seen_by(client, world: dict, viewer: dict) -> dict:
    """Every read of A's leads and lists as `viewer` sees them: what a refused write must leave as it was."""
    return MATRIX.reads(client, world["ids"], viewer, kinds=(OWNED, LISTING))


def outbox_size(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(outbox)).scalar_one()


# -- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["rep-b", "manager-b"])
def test_another_rep_and_another_teams_manager_read_nothing_of_reps_leads(client, world, people, outsider):
    MATRIX.none_of(reading_leaks(client, world, outsider, people[outsider]), "read", outsider)


@pytest.mark.parametrize("outsider", ["rep-b", "manager-b"])
def test_their_writes_on_reps_leads_are_refused_and_change_nothing(client, world, people, outsider, uow_factory):
    before, events = as_seen_by(client, world, people["rep-a"]), outbox_size(uow_factory)
    MATRIX.none_of(MATRIX.writes_answered(client, world["ids"], outsider, people[outsider]), "write", outsider)
    assert as_seen_by(client, world, people["rep-a"]) == before
    assert outbox_size(uow_factory) == events


def test_a_public_pool_lead_shows_its_contacts_masked_everywhere_until_revealed(client, world, people):
    rep_b, pooled = people["rep-b"], world["pooled"]
    secrets = {k: v for k, v in world["secrets"].items() if k.startswith("pooled")}
    for url in (f"/api/v1/leads/{pooled}", "/api/v1/leads", f"/api/v1/leads/search?q={pooled}",
                f"/api/v1/leads?pool_id={DEFAULT_PUBLIC_POOL_ID}",
                f"/api/v1/leads/export?pool_id={DEFAULT_PUBLIC_POOL_ID}",
                f"/api/v1/leads/{pooled}/timeline", f"/api/v1/leads/{pooled}/follow-ups"):
        response = client.get(url, headers=rep_b)
        assert response.status_code == 200, (url, response.data[:300])
        assert secrets_in(response.get_data(as_text=True), secrets) == [], url
        response.close()
    opened = ok(client.post(f"/api/v1/leads/{pooled}/reveal", headers=rep_b))
    assert (opened["phone"], opened["email"], opened["masked"]) == (
        world["secrets"]["pooled phone"], world["secrets"]["pooled email"], False)


def test_fields_a_rep_may_not_set_are_refused_or_have_no_effect(client, world, people):
    rep_b = people["rep-b"]
    for extra in ({"owner_id": "rep-b"}, {"status": "claimed"}, {"owner_id": "rep-a"}, {"previous_owner_id": "rep-a"}):
        response = client.post("/api/v1/leads", headers=rep_b, json={
            "company": "Probe Co", "contact_name": "Li", "channel": "web", "allow_duplicate": True, **extra})
        if response.status_code == 201:
            assert (response.json["owner_id"], response.json["status"]) == (None, "pool"), extra
        else:
            assert response.status_code == 422 and in_error_shape(response), (extra, response.json)
    # A rep may not give leads away, nor import them for somebody else.
    form = {"file": (io.BytesIO(IMPORT_FILE.encode("utf-8-sig")), "leads.csv"),
            "options": json.dumps({"mapping": IMPORT_MAPPING, "owner_id": "rep-b"})}
    response = client.post("/api/v1/leads/imports", data=form, headers=rep_b, content_type="multipart/form-data")
    assert response.status_code == 403 and code_of(response) == "role_not_allowed", response.json
    response = client.post(f"/api/v1/pools/{DEFAULT_LEAD_POOL_ID}/distribute", headers=rep_b,
                           json={"lead_ids": [world["ids"]["lead_id"][0]], "owner_id": "rep-b"})
    assert response.status_code == 403 and in_error_shape(response), response.json
    lead = ok(client.get(f"/api/v1/leads/{world['ids']['lead_id'][0]}", headers=people["rep-a"]))
    assert (lead["owner_id"], lead["status"]) == ("rep-a", "claimed")


def test_the_walk_names_the_leaking_paths_once_reps_may_see_any_lead(client, world, people, monkeypatch):
    """The positive control: with the permission check granting everything, the walk reports A's lead."""
    monkeypatch.setattr(lead_service, "_may_see", lambda *args: True)
    leaks = reading_leaks(client, world, "rep-b", people["rep-b"])
    lead_id = world["ids"]["lead_id"][0]
    for path in ("", "/ownership-history", "/follow-ups", "/timeline"):
        assert f"GET /api/v1/leads/{lead_id}{path} answered 200" in leaks
    assert MATRIX.writes_answered(client, world["ids"], "rep-b", people["rep-b"])
