"""SLA calendars, policies and a ticket's SLA through the Flask test client on a real, migrated database."""
from __future__ import annotations

import uuid

import pytest

from crm_shared.testing import contract_with
from service_desk.db_sla import sla_calendars, sla_policies

OFFICE = {
    "name": "Shanghai office",
    "timezone": "Asia/Shanghai",
    "weekly_hours": {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2027-01-01"],
    "extra_working_days": ["2026-12-05"],
}


@pytest.fixture
def manager(headers):
    return headers("manager-1", "service_manager")


@pytest.fixture
def sla_rows(uow_factory):
    """How many calendars and policies are stored, to show that a refused request changed nothing."""
    from sqlalchemy import func, select

    def count():
        with uow_factory() as uow:
            return tuple(uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                         for t in (sla_calendars, sla_policies))

    return count


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    if code:
        assert response.json["code"] == code, response.json
    return response.json


def create_policy(client, who, **fields):
    body = {"name": f"policy-{uuid.uuid4().hex[:8]}", "targets": {"first_response_minutes": 60}, **fields}
    return client.post("/api/v1/sla-policies", json=body, headers=who)


def test_a_service_manager_creates_reads_edits_and_deletes_a_calendar_with_versions(client, manager):
    created = client.post("/api/v1/sla-calendars", json=OFFICE, headers=manager)
    assert created.status_code == 201, created.json
    calendar = created.json
    assert created.headers["ETag"] == '"1"'
    assert calendar["weekly_hours"]["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert calendar["weekly_hours"]["sat"] == []
    assert (calendar["holidays"], calendar["extra_working_days"], calendar["version"]) == (
        ["2027-01-01"], ["2026-12-05"], 1)
    url = f"/api/v1/sla-calendars/{calendar['id']}"
    assert client.get(url, headers=manager).json == calendar
    assert_error(client.patch(url, json={"name": "HQ"}, headers=manager), 428, "precondition_required")
    edited = client.patch(url, json={"name": "HQ", "holidays": ["2027-01-01", "2027-02-17"]},
                          headers={**manager, "If-Match": '"1"'})
    assert edited.status_code == 200, edited.json
    assert (edited.json["name"], edited.json["holidays"], edited.json["version"]) == ("HQ", ["2027-01-01", "2027-02-17"], 2)
    assert edited.json["timezone"] == "Asia/Shanghai" and edited.headers["ETag"] == '"2"'
    assert_error(client.patch(url, json={"name": "Stale"}, headers={**manager, "If-Match": '"1"'}), 412,
                 "version_mismatch")
    assert client.get(url, headers=manager).json["name"] == "HQ"
    assert client.get("/api/v1/sla-calendars", headers=manager).json["total"] == 1
    assert client.delete(url, headers={**manager, "If-Match": '"2"'}).status_code == 204
    assert_error(client.get(url, headers=manager), 404, "not_found")


def test_agents_read_calendars_and_policies_but_only_managers_and_admins_change_them(client, manager, agent, headers,
                                                                                       sla_rows):
    calendar = client.post("/api/v1/sla-calendars", json=OFFICE, headers=manager).json
    assert client.get(f"/api/v1/sla-calendars/{calendar['id']}", headers=agent).status_code == 200
    assert client.get("/api/v1/sla-policies", headers=agent).status_code == 200
    before = sla_rows()
    assert_error(client.post("/api/v1/sla-calendars", json={**OFFICE, "name": "Other"}, headers=agent), 403)
    assert_error(create_policy(client, agent), 403)
    assert_error(client.get("/api/v1/sla-policies", headers=headers("rep-1", "sales_rep")), 403)
    assert sla_rows() == before
    assert create_policy(client, headers("root", "admin")).status_code == 201


@pytest.mark.parametrize("changes, field", [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"weekly_hours": {"mon": [["18:00", "09:00"]]}}, "weekly_hours"),
    ({"weekly_hours": {"mon": [["09:00", "12:00"], ["11:00", "18:00"]]}}, "weekly_hours"),
    ({"weekly_hours": {"monday": [["09:00", "18:00"]]}}, "weekly_hours"),
    ({"weekly_hours": {"mon": [["9:00", "18:00"]]}}, "weekly_hours"),
    ({"weekly_hours": {"mon": [["09:00", "24:30"]]}}, "weekly_hours"),
    ({"holidays": ["2027-02-30"]}, "holidays"),
    ({"holidays": ["2026-12-05"]}, "extra_working_days"),
    ({"name": ""}, "name"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_calendar_is_refused_with_the_field_named_and_nothing_is_stored(client, manager, sla_rows, changes, field):
    before = sla_rows()
    body = assert_error(client.post("/api/v1/sla-calendars", json={**OFFICE, **changes}, headers=manager), 422)
    assert field in body["errors"], body
    assert sla_rows() == before


def test_a_policy_names_a_real_calendar_has_a_target_and_a_unique_name(client, manager, sla_rows):
    calendar = client.post("/api/v1/sla-calendars", json=OFFICE, headers=manager).json
    created = create_policy(client, manager, name="Gold", calendar_id=calendar["id"],
                            conditions={"priorities": ["high", "urgent"], "customer_levels": ["A"]},
                            targets={"first_response_minutes": 30, "resolution_minutes": 480})
    assert created.status_code == 201, created.json
    policy = created.json
    assert policy["conditions"] == {"priorities": ["high", "urgent"], "categories": [], "customer_levels": ["A"]}
    assert policy["targets"] == {"first_response_minutes": 30, "next_response_minutes": None, "resolution_minutes": 480}
    assert (policy["pause_statuses"], policy["warning_percent"], policy["active"]) == (
        ["pending_customer", "on_hold"], 80, True)
    before = sla_rows()
    assert_error(create_policy(client, manager, name="Gold"), 409, "policy_name_taken")
    assert "calendar_id" in assert_error(create_policy(client, manager, calendar_id=str(uuid.uuid4())), 422)["errors"]
    assert "targets" in assert_error(create_policy(client, manager, targets={}), 422)["errors"]
    assert "targets" in assert_error(create_policy(client, manager, targets={"first_response_minutes": 0}), 422)["errors"]
    assert "pause_statuses" in assert_error(create_policy(client, manager, pause_statuses=["resolved"]), 422)["errors"]
    assert "warning_percent" in assert_error(create_policy(client, manager, warning_percent=100), 422)["errors"]
    assert "conditions" in assert_error(create_policy(client, manager, conditions={"priorities": ["critical"]}), 422)["errors"]
    assert sla_rows() == before
    calendar_url = f"/api/v1/sla-calendars/{calendar['id']}"
    assert_error(client.delete(calendar_url, headers={**manager, "If-Match": '"1"'}), 409, "calendar_in_use")
    url = f"/api/v1/sla-policies/{policy['id']}"
    edited = client.patch(url, json={"targets": {"next_response_minutes": 120}, "active": False},
                          headers={**manager, "If-Match": '"1"'})
    assert edited.status_code == 200, edited.json
    assert edited.json["targets"] == {"first_response_minutes": 30, "next_response_minutes": 120,
                                      "resolution_minutes": 480}
    assert edited.json["active"] is False and edited.json["version"] == 2
    assert_error(client.delete(url, headers=manager), 428)
    assert client.delete(url, headers={**manager, "If-Match": '"2"'}).status_code == 204
    assert client.delete(calendar_url, headers={**manager, "If-Match": '"1"'}).status_code == 204


def test_policies_are_listed_in_the_order_they_are_considered(client, manager):
    create_policy(client, manager, name="Later", position=20)
    create_policy(client, manager, name="First", position=10)
    assert [p["name"] for p in client.get("/api/v1/sla-policies", headers=manager).json["items"]] == ["First", "Later"]


# -- a ticket's SLA ------------------------------------------------------------------------------------------


def open_ticket(client, who, customer_id, **fields):
    response = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Help", **fields}, headers=who)
    assert response.status_code == 201, response.json
    return response.json


def test_a_new_ticket_shows_its_first_response_clock_and_an_agent_reply_meets_it(client, manager, agent,
                                                                                  customer_created):
    create_policy(client, manager, name="Around the clock", targets={"first_response_minutes": 60,
                                                                     "resolution_minutes": 1440})
    ticket = open_ticket(client, agent, customer_created())
    sla = client.get(f"/api/v1/tickets/{ticket['id']}/sla", headers=agent).json
    first = sla["first_response"]
    assert (first["state"], first["target_minutes"], first["cycle"], first["policy_name"]) == (
        "running", 60, 1, "Around the clock")
    assert first["deadline"] and first["met_at"] is None and sla["next_response"] is None
    assert sla["state"] == "running" and sla["next_deadline"] == first["deadline"]
    read = client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json
    assert read["sla"]["first_response"]["deadline"] == first["deadline"]
    replied = client.post(f"/api/v1/tickets/{ticket['id']}/replies", json={"body": "On it."}, headers=agent)
    assert replied.status_code == 201, replied.json
    after = client.get(f"/api/v1/tickets/{ticket['id']}/sla", headers=agent).json
    assert after["first_response"]["state"] == "met" and after["first_response"]["met_at"]
    assert after["resolution"]["state"] == "running"


def test_a_ticket_no_policy_covers_has_no_sla(client, agent, customer_created):
    ticket = open_ticket(client, agent, customer_created())
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=agent).json["sla"] is None
    sla = client.get(f"/api/v1/tickets/{ticket['id']}/sla", headers=agent).json
    assert (sla["state"], sla["first_response"], sla["resolution"]) == (None, None, None)


def test_a_rep_reads_the_sla_of_their_customers_tickets_only(client, manager, agent, headers, customer_created):
    create_policy(client, manager)
    mine = open_ticket(client, agent, customer_created(owner_id="rep-1"))
    theirs = open_ticket(client, agent, customer_created(owner_id="rep-2"))
    rep1 = headers("rep-1", "sales_rep")
    assert client.get(f"/api/v1/tickets/{mine['id']}/sla", headers=rep1).status_code == 200
    assert_error(client.get(f"/api/v1/tickets/{theirs['id']}/sla", headers=rep1), 404, "not_found")


def test_the_customer_level_sales_sets_selects_the_policy_for_that_level(client, manager, agent, customer_created,
                                                                         deliver):
    create_policy(client, manager, name="Standard", position=2, targets={"first_response_minutes": 480})
    create_policy(client, manager, name="Level A", position=1, conditions={"customer_levels": ["A"]},
                  targets={"first_response_minutes": 30})
    customer_id = customer_created()
    ticket = open_ticket(client, agent, customer_id)
    url = f"/api/v1/tickets/{ticket['id']}/sla"
    assert client.get(url, headers=agent).json["first_response"]["policy_name"] == "Standard"
    assert deliver(contract_with("sales.customer.updated.v1", customer_id=customer_id, level="A",
                                 updated_at="2026-11-27T10:20:00Z")) is True
    assert client.get(url, headers=agent).json["first_response"]["policy_name"] == "Level A"
    # An older update arriving late does not undo the level.
    deliver(contract_with("sales.customer.updated.v1", customer_id=customer_id, level="C",
                          updated_at="2026-11-27T10:00:00Z"))
    assert client.get(url, headers=agent).json["first_response"]["policy_name"] == "Level A"


def test_tickets_are_ordered_by_their_nearest_deadline_and_those_without_one_come_last(
        client, manager, agent, customer_created, uow_factory):
    from service_desk.sla_service import by_next_deadline

    create_policy(client, manager, name="Urgent", conditions={"priorities": ["urgent"]},
                  targets={"first_response_minutes": 30})
    create_policy(client, manager, name="Normal", conditions={"priorities": ["normal"]},
                  targets={"first_response_minutes": 600})
    normal = open_ticket(client, agent, customer_created(), priority="normal")
    uncovered = open_ticket(client, agent, customer_created(), priority="low")
    urgent = open_ticket(client, agent, customer_created(), priority="urgent")
    with uow_factory() as uow:
        tickets = [uow.tickets.get(t["id"]) for t in (uncovered, normal, urgent)]
        assert [t.id for t in by_next_deadline(uow, tickets)] == [urgent["id"], normal["id"], uncovered["id"]]


def test_a_customer_update_without_an_id_or_time_is_refused_for_dead_lettering(deliver):
    from service_desk.sla_handlers import InvalidLevelPayload

    for changes in ({"customer_id": None}, {"updated_at": "yesterday"}, {"level": 7}):
        with pytest.raises(InvalidLevelPayload):
            deliver(contract_with("sales.customer.updated.v1", **changes))
