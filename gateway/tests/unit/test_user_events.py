"""Every new or changed user is an event in the gateway's outbox, written in the same transaction."""
from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from crm_shared.db import outbox
from crm_shared.envelope import Envelope
from crm_shared.errors import APIError, NotFound
from crm_shared.testing import contract
from gateway import accounts, announce_users, create_admin, seed_demo
from gateway.events import USER_CHANGED, USER_REGISTERED
from gateway.passwords import Passwords

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def outbox_events(uow_factory) -> list[Envelope]:
    with uow_factory() as uow:
        bodies = uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position)).all()
    return [Envelope.from_json(body) for body in bodies]


def test_a_new_user_is_announced_with_their_roles_and_teams(add_user, uow_factory):
    user = add_user("li.wei", roles=["sales_rep"], display_name="李伟", team_names=["East", "North"])
    [event] = outbox_events(uow_factory)
    assert event.name == USER_REGISTERED and event.producer == "gateway"
    assert set(event.payload) == set(contract(USER_REGISTERED).payload)
    assert event.payload["user_id"] == user.id and event.payload["username"] == "li.wei"
    assert event.payload["display_name"] == "李伟" and event.payload["roles"] == ["sales_rep"]
    assert event.payload["team_ids"] == sorted(team.id for team in user.teams)
    assert [team["name"] for team in event.payload["teams"]] == ["East", "North"]
    assert event.payload["active"] is True
    assert "password_hash" not in json.dumps(event.payload)


def test_a_refused_user_writes_no_event(add_user, uow_factory):
    add_user("rep1")
    with pytest.raises(APIError):
        add_user("rep1")
    with pytest.raises(APIError):
        add_user("rep2", roles=["pilot"])
    assert [event.name for event in outbox_events(uow_factory)] == [USER_REGISTERED]


def test_changing_roles_teams_or_the_active_flag_is_announced_as_the_whole_user(add_user, uow_factory):
    user = add_user("rep1", team_names=["East"])
    moved = accounts.change_user(uow_factory, user.id, roles=["sales_manager"], team_names=["North"])
    disabled = accounts.change_user(uow_factory, user.id, active=False)
    registered, first, second = outbox_events(uow_factory)
    assert (first.name, second.name) == (USER_CHANGED, USER_CHANGED)
    assert set(first.payload) == set(contract(USER_CHANGED).payload)
    assert first.payload["roles"] == ["sales_manager"]
    assert first.payload["team_ids"] == [moved.teams[0].id] != registered.payload["team_ids"]
    assert first.payload["active"] is True
    assert second.payload["active"] is False and second.payload["team_ids"] == first.payload["team_ids"]
    assert second.payload["changed_at"] >= first.payload["changed_at"]
    assert disabled.active is False
    with uow_factory() as uow:
        stored = uow.users.get(user.id)
    assert stored.roles == ["sales_manager"] and [t.name for t in stored.teams] == ["North"] and not stored.active


def test_a_change_that_changes_nothing_and_a_refused_change_write_no_event(add_user, uow_factory):
    user = add_user("rep1", team_names=["East"])
    accounts.change_user(uow_factory, user.id, roles=["sales_rep"], team_names=["East"], active=True)
    with pytest.raises(APIError):
        accounts.change_user(uow_factory, user.id, roles=["pilot"])
    with pytest.raises(NotFound):
        accounts.change_user(uow_factory, "no-such-user", active=False)
    assert [event.name for event in outbox_events(uow_factory)] == [USER_REGISTERED]
    with uow_factory() as uow:
        assert uow.users.get(user.id).roles == ["sales_rep"]


def test_every_user_can_be_announced_again_for_a_directory_that_started_late(add_user, uow_factory):
    add_user("rep1")
    add_user("rep2", team_names=["East"])
    assert accounts.announce_users(uow_factory) == 2
    events = outbox_events(uow_factory)
    assert [e.name for e in events] == [USER_REGISTERED, USER_REGISTERED, USER_CHANGED, USER_CHANGED]
    assert {e.payload["username"] for e in events[2:]} == {"rep1", "rep2"}


def test_the_demo_users_are_announced_and_the_manager_leads_the_reps_team(uow_factory):
    seed_demo.seed(uow_factory, Passwords(FAST_HASHER), "demo")
    events = {e.payload["username"]: e for e in outbox_events(uow_factory)}
    assert {e.name for e in events.values()} == {USER_REGISTERED}
    assert set(events) == {"admin", "manager", "rep1", "rep2", "agent1"}
    assert events["manager"].payload["team_ids"] == events["rep1"].payload["team_ids"] == events["rep2"].payload["team_ids"]
    assert events["manager"].payload["team_ids"] != []


def test_the_first_administrator_is_announced_too(monkeypatch, tmp_path, migrated, uow_factory):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRM_GATEWAY_DATABASE_URL", migrated)
    monkeypatch.setenv("CRM_ADMIN_PASSWORD", "a long secret")
    create_admin.main(["--username", "chief"])
    [event] = outbox_events(uow_factory)
    assert (event.name, event.payload["username"], event.payload["roles"]) == (USER_REGISTERED, "chief", ["admin"])


def test_the_announce_command_puts_every_user_in_the_outbox(monkeypatch, tmp_path, migrated, add_user, uow_factory, capsys):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRM_GATEWAY_DATABASE_URL", migrated)
    add_user("rep1")
    announce_users.main()
    assert "Announced 1 users" in capsys.readouterr().out
    assert [e.name for e in outbox_events(uow_factory)] == [USER_REGISTERED, USER_CHANGED]
