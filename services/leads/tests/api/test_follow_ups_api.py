"""Follow-ups, the lead timeline and the agenda through the Flask test client."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crm_shared.auth import Identity
from crm_shared.db import outbox
from crm_shared.envelope import format_time, utc_now
from crm_shared.testing import contract
from leads import follow_up_service
from leads.db import leads
from leads.db_follow_ups import lead_follow_ups, lead_reminders, lead_timeline
from leads.follow_ups import NEXT_CONTACT, Reminder, TimelineEntry


@pytest.fixture
def make_lead(client, manager, new_lead):
    def make(**fields):
        response = client.post("/api/v1/leads", json={**new_lead, **fields}, headers=manager)
        assert response.status_code == 201, response.json
        return response.json
    return make


@pytest.fixture
def rep1_lead(client, rep1, make_lead):
    lead = make_lead()
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    return lead


@pytest.fixture
def snapshot(uow_factory):
    """Everything a refused request must leave as it was."""
    def take():
        with uow_factory() as uow:
            rows = [tuple(r) for r in uow.session.execute(select(leads).order_by(leads.c.id))]
            counts = [uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                      for t in (lead_follow_ups, lead_reminders, lead_timeline, outbox)]
            reminders = [tuple(r) for r in uow.session.execute(select(lead_reminders).order_by(lead_reminders.c.id))]
            return rows, counts, reminders
    return take


def refused(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["code"] == code, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    return response.json


def in_days(days: float) -> str:
    return format_time(utc_now() + timedelta(days=days))


def log(client, lead, headers, **fields):
    body = {"kind": "call", "outcome": "Interested; wants a quote", **fields}
    return client.post(f"/api/v1/leads/{lead['id']}/follow-ups", json=body, headers=headers)


def last_event(uow_factory, name):
    with uow_factory() as uow:
        bodies = uow.session.scalars(select(outbox.c.body).where(outbox.c.name == name).order_by(outbox.c.position))
        return [json.loads(body) for body in bodies][-1]


def test_the_owner_logs_a_follow_up_which_plans_a_reminder_publishes_an_event_and_marks_the_lead(
        client, rep1, rep1_lead, uow_factory):
    next_contact = in_days(2)
    response = log(client, rep1_lead, rep1, kind="visit", next_step="Bring the price list", next_contact_at=next_contact)
    assert response.status_code == 201, response.json
    follow_up = response.json
    assert (follow_up["kind"], follow_up["owner_id"], follow_up["author_id"]) == ("visit", "rep-1", "rep-1")
    lead = client.get(f"/api/v1/leads/{rep1_lead['id']}", headers=rep1).json
    assert lead["last_followed_up_at"] == follow_up["logged_at"]
    event = last_event(uow_factory, "leads.follow_up.logged.v1")
    assert set(event["payload"]) == set(contract("leads.follow_up.logged.v1").payload)
    assert (event["payload"]["follow_up_id"], event["payload"]["next_contact_at"]) == (follow_up["id"], next_contact)
    agenda = client.get("/api/v1/agenda", headers=rep1).json
    [reminder] = agenda["upcoming"]
    assert (reminder["kind"], reminder["lead_id"], reminder["note"], reminder["company"]) == (
        NEXT_CONTACT, rep1_lead["id"], "Bring the price list", rep1_lead["company"])
    listed = client.get(f"/api/v1/leads/{rep1_lead['id']}/follow-ups", headers=rep1).json
    assert [f["id"] for f in listed["items"]] == [follow_up["id"]] and listed["next_cursor"] is None


def test_a_new_next_contact_replaces_the_earlier_reminder_of_the_lead(client, rep1, rep1_lead):
    log(client, rep1_lead, rep1, next_contact_at=in_days(2))
    log(client, rep1_lead, rep1, kind="note", outcome="Nothing planned")
    assert len(client.get("/api/v1/agenda", headers=rep1).json["upcoming"]) == 1
    log(client, rep1_lead, rep1, next_contact_at=in_days(3), next_step="Call again")
    assert [r["note"] for r in client.get("/api/v1/agenda", headers=rep1).json["upcoming"]] == ["Call again"]


def test_a_manager_logs_on_a_reps_lead_and_the_reminder_goes_to_the_owner(client, rep1, tokens, in_directory, rep1_lead):
    in_directory("rep-1", ["sales_rep"], ["east"])
    manager = tokens.headers("manager-1", ["sales_manager"], "manager", teams=["east"])
    response = log(client, rep1_lead, manager, next_contact_at=in_days(1.5))
    assert response.status_code == 201 and response.json["author_id"] == "manager-1"
    assert len(client.get("/api/v1/agenda", headers=rep1).json["upcoming"]) == 1
    assert client.get("/api/v1/agenda", headers=manager).json["upcoming"] == []


def test_a_rep_cannot_log_on_another_reps_lead_nor_on_a_pool_lead_and_nothing_changes(
        client, rep2, rep1_lead, make_lead, snapshot):
    pool_lead = make_lead()
    before = snapshot()
    refused(log(client, rep1_lead, rep2), 404, "not_found")
    refused(log(client, pool_lead, rep2), 403, "not_lead_owner")
    refused(client.get(f"/api/v1/leads/{rep1_lead['id']}/timeline", headers=rep2), 404, "not_found")
    refused(client.get(f"/api/v1/leads/{rep1_lead['id']}/follow-ups", headers=rep2), 404, "not_found")
    assert snapshot() == before


@pytest.mark.parametrize("body, field", [
    ({"kind": "fax", "outcome": "x"}, "kind"),
    ({"kind": "call"}, "outcome"),
    ({"kind": "call", "outcome": ""}, "outcome"),
    ({"kind": "call", "outcome": "x", "next_contact_at": "2030-01-01T09:00:00"}, "next_contact_at"),
    ({"kind": "call", "outcome": "x", "next_contact_at": "2020-01-01T09:00:00Z"}, "next_contact_at"),
    ({"kind": "call", "outcome": "x", "mood": "good"}, "mood"),
])
def test_a_malformed_follow_up_is_refused_with_the_field_and_nothing_changes(
        client, rep1, rep1_lead, snapshot, body, field):
    before = snapshot()
    response = client.post(f"/api/v1/leads/{rep1_lead['id']}/follow-ups", json=body, headers=rep1)
    assert field in refused(response, 422, "validation_failed")["errors"]
    assert snapshot() == before


def test_people_outside_sales_cannot_log_follow_ups(client, agent, rep1_lead):
    refused(log(client, rep1_lead, agent), 403, "role_not_allowed")
    refused(client.get("/api/v1/agenda", headers=agent), 403, "role_not_allowed")


def test_the_timeline_shows_everything_that_happened_newest_first(client, rep1, manager, make_lead, uow_factory):
    lead = make_lead()
    client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1)
    log(client, lead, rep1, kind="meeting", outcome="Demo went well")
    assert client.post(f"/api/v1/leads/{lead['id']}/return", json={"reason": "no_budget"}, headers=rep1).status_code == 200
    timeline = client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=manager).json
    assert [(e["kind"], e["summary"]) for e in timeline["items"]] == [
        ("returned", "Returned to the public pool: no_budget"),
        ("follow_up", "Meeting: Demo went well"),
        ("claimed", "Claimed"),
        ("created", "Lead created"),
    ]
    assert [e["actor_id"] for e in timeline["items"]] == ["rep-1", "rep-1", "rep-1", "manager-1"]
    assert timeline["next_cursor"] is None


def test_the_timeline_pages_by_keyset_without_gaps_or_repeats_even_when_lines_share_a_time(
        client, rep1, rep1_lead, uow_factory):
    same_time = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
    with uow_factory() as uow:
        uow.timeline.add([TimelineEntry(rep1_lead["id"], "note", same_time, "rep-1", f"line {n}") for n in range(5)])
        uow.commit()
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"before": cursor} if cursor else {})}
        page = client.get(f"/api/v1/leads/{rep1_lead['id']}/timeline", query_string=query, headers=rep1).json
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 4 and len(seen) == 7 and len({e["id"] for e in seen}) == 7
    keys = [(e["at"], e["id"]) for e in seen]
    assert keys == sorted(keys, reverse=True)
    assert [e["summary"] for e in seen[2:]] == [f"line {n}" for n in (4, 3, 2, 1, 0)]


def test_a_made_up_cursor_or_limit_is_refused(client, rep1, rep1_lead):
    path = f"/api/v1/leads/{rep1_lead['id']}/timeline"
    assert "before" in refused(client.get(path, query_string={"before": "garbage"}, headers=rep1), 422, "validation_failed")["errors"]
    assert "limit" in refused(client.get(path, query_string={"limit": 0}, headers=rep1), 422, "validation_failed")["errors"]
    refused(client.get(f"/api/v1/leads/{rep1_lead['id']}/follow-ups", query_string={"before": "garbage"}, headers=rep1),
            422, "validation_failed")


def add_reminder(uow_factory, lead, owner_id, due_at, kind=NEXT_CONTACT) -> Reminder:
    reminder = Reminder.new(kind=kind, lead_id=lead["id"], owner_id=owner_id, due_at=due_at, now=utc_now())
    with uow_factory() as uow:
        uow.reminders.add(reminder)
        uow.commit()
    return reminder


def test_the_agenda_sorts_the_reps_own_reminders_into_overdue_due_today_and_upcoming(rep1_lead, uow_factory):
    # 10:00 in Shanghai.
    now = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
    overdue = add_reminder(uow_factory, rep1_lead, "rep-1", now - timedelta(days=2))
    today = add_reminder(uow_factory, rep1_lead, "rep-1", now + timedelta(hours=5), kind="recycle_warning")
    soon = add_reminder(uow_factory, rep1_lead, "rep-1", now + timedelta(days=3))
    add_reminder(uow_factory, rep1_lead, "rep-1", now + timedelta(days=30))
    add_reminder(uow_factory, rep1_lead, "rep-2", now + timedelta(hours=1))
    rep1 = Identity("rep-1", "rep1", frozenset({"sales_rep"}))
    agenda = follow_up_service.agenda(uow_factory, rep1, now=now)
    assert (agenda["timezone"], str(agenda["today"])) == ("Asia/Shanghai", "2026-11-27")
    assert [[r["id"] for r in agenda[bucket]] for bucket in ("overdue", "due_today", "upcoming")] == [
        [overdue.id], [today.id], [soon.id]]
    rep2 = Identity("rep-2", "rep2", frozenset({"sales_rep"}))
    assert follow_up_service.agenda(uow_factory, rep2, now=now)["due_today"] == []  # not rep-2's lead


def test_a_rep_completes_and_snoozes_their_reminders_but_not_someone_elses(
        client, rep1, rep2, rep1_lead, uow_factory, snapshot):
    first = add_reminder(uow_factory, rep1_lead, "rep-1", utc_now() - timedelta(hours=1))
    second = add_reminder(uow_factory, rep1_lead, "rep-1", utc_now() - timedelta(hours=2))
    before = snapshot()
    refused(client.post(f"/api/v1/reminders/{first.id}/complete", headers=rep2), 404, "not_found")
    refused(client.post(f"/api/v1/reminders/{first.id}/snooze", json={"until": in_days(1)}, headers=rep2), 404, "not_found")
    refused(client.post(f"/api/v1/reminders/{first.id}/snooze", json={"until": in_days(-1)}, headers=rep1), 422, "validation_failed")
    refused(client.post(f"/api/v1/reminders/{first.id}/snooze", json={}, headers=rep1), 422, "validation_failed")
    refused(client.post("/api/v1/reminders/nope/complete", headers=rep1), 404, "not_found")
    assert snapshot() == before
    done = client.post(f"/api/v1/reminders/{first.id}/complete", headers=rep1)
    assert done.status_code == 200 and done.json["status"] == "done"
    assert client.post(f"/api/v1/reminders/{first.id}/complete", headers=rep1).status_code == 200
    refused(client.post(f"/api/v1/reminders/{first.id}/snooze", json={"until": in_days(1)}, headers=rep1), 409, "reminder_done")
    until = in_days(2)
    snoozed = client.post(f"/api/v1/reminders/{second.id}/snooze", json={"until": until}, headers=rep1)
    assert snoozed.status_code == 200 and (snoozed.json["status"], snoozed.json["due_at"]) == ("snoozed", until.replace("Z", "+00:00"))
    agenda = client.get("/api/v1/agenda", headers=rep1).json
    assert (agenda["overdue"], [r["id"] for r in agenda["upcoming"]]) == ([], [second.id])


def test_reminders_leave_the_agenda_when_the_lead_leaves_the_rep(client, rep1, rep1_lead):
    log(client, rep1_lead, rep1, next_contact_at=in_days(2))
    assert client.post(f"/api/v1/leads/{rep1_lead['id']}/return", json={"reason": "no_budget"}, headers=rep1).status_code == 200
    assert client.get("/api/v1/agenda", headers=rep1).json["upcoming"] == []
