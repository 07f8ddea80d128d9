"""Administrators manage users and teams: POST/PATCH /api/v1/users, GET /api/v1/teams, and the events they cause."""
import pytest
from sqlalchemy import select

from crm_shared.db import outbox
from crm_shared.envelope import Envelope
from gateway.events import USER_CHANGED, USER_REGISTERED
from gateway.routes import owner_of


def outbox_events(uow_factory) -> list[Envelope]:
    with uow_factory() as uow:
        bodies = uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position)).all()
    return [Envelope.from_json(body) for body in bodies]


def changes_of(uow_factory) -> list[Envelope]:
    return [event for event in outbox_events(uow_factory) if event.name == USER_CHANGED]


@pytest.fixture
def admin(add_user, login, bearer):
    user = add_user("boss", roles=["admin"])
    return user, bearer(login("boss"))


@pytest.fixture
def rep(add_user):
    return add_user("rep1", roles=["sales_rep"], team_names=["East"], display_name="Riley Rep")


def test_users_and_teams_are_the_gateway_s_own_not_routed_to_a_service():
    assert owner_of("/api/v1/users") is None
    assert owner_of("/api/v1/users/abc") is None
    assert owner_of("/api/v1/teams") is None


def test_an_admin_creates_a_user_who_can_log_in_and_is_announced_once(client, admin, login, uow_factory):
    _, headers = admin
    response = client.post(
        "/api/v1/users",
        json={"username": "Li.Wei", "password": "a long secret", "display_name": "李伟",
              "roles": ["sales_rep"], "team_names": ["North"]},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["username"] == "li.wei" and created["roles"] == ["sales_rep"] and created["active"] is True
    assert [team["name"] for team in created["teams"]] == ["North"]
    assert "password" not in created and "password_hash" not in created
    assert login("li.wei", "a long secret")
    registered = [e for e in outbox_events(uow_factory) if e.payload["username"] == "li.wei"]
    assert [e.name for e in registered] == [USER_REGISTERED]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"roles": []}, "roles"),
        ({"roles": ["pilot"]}, "roles"),
        ({"password": "short"}, "password"),
        ({"username": "no spaces"}, "username"),
        ({"locale": "fr"}, "locale"),
        ({"is_superuser": True}, "is_superuser"),
    ],
)
def test_a_user_that_could_not_work_is_not_created(client, admin, body, field, uow_factory):
    _, headers = admin
    before = len(outbox_events(uow_factory))
    valid = {"username": "new.rep", "password": "a long secret", "roles": ["sales_rep"]}
    response = client.post("/api/v1/users", json={**valid, **body}, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "validation_failed"
    assert field in response.get_json()["errors"]
    assert len(outbox_events(uow_factory)) == before


def test_a_taken_username_is_a_conflict(client, admin, rep):
    _, headers = admin
    response = client.post(
        "/api/v1/users", json={"username": "REP1", "password": "a long secret", "roles": ["sales_rep"]}, headers=headers
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "username_taken"


def test_an_admin_moves_a_rep_to_another_team_by_name_or_by_id(client, admin, rep, add_user, uow_factory):
    _, headers = admin
    west = add_user("westie", team_names=["West"]).teams[0]
    by_name = client.patch(f"/api/v1/users/{rep.id}", json={"team_names": ["North"]}, headers=headers)
    assert by_name.status_code == 200, by_name.get_json()
    assert [team["name"] for team in by_name.get_json()["teams"]] == ["North"]
    by_id = client.patch(f"/api/v1/users/{rep.id}", json={"team_ids": [west.id], "team_names": ["North"]}, headers=headers)
    assert [team["name"] for team in by_id.get_json()["teams"]] == ["North", "West"]
    first, second = changes_of(uow_factory)
    assert first.payload["user_id"] == second.payload["user_id"] == rep.id
    assert [team["name"] for team in first.payload["teams"]] == ["North"]
    assert west.id in second.payload["team_ids"]
    listed = client.get("/api/v1/users", headers=headers).get_json()["items"]
    assert [t["name"] for t in next(u for u in listed if u["id"] == rep.id)["teams"]] == ["North", "West"]


def test_each_effective_change_is_one_event_and_a_change_to_the_same_values_is_none(client, admin, rep, uow_factory):
    _, headers = admin
    url = f"/api/v1/users/{rep.id}"
    same = client.patch(url, json={"display_name": "Riley Rep", "roles": ["sales_rep"], "team_names": ["East"],
                                   "active": True}, headers=headers)
    assert same.status_code == 200
    assert changes_of(uow_factory) == []
    promoted = client.patch(url, json={"roles": ["sales_manager", "sales_rep"], "display_name": "Riley R."},
                            headers=headers)
    assert promoted.get_json()["roles"] == ["sales_manager", "sales_rep"]
    disabled = client.patch(url, json={"active": False}, headers=headers)
    assert disabled.get_json()["active"] is False
    events = changes_of(uow_factory)
    assert len(events) == 2
    assert events[0].payload["roles"] == ["sales_manager", "sales_rep"]
    assert events[0].payload["display_name"] == "Riley R." and events[0].payload["active"] is True
    assert events[1].payload["active"] is False


@pytest.mark.parametrize(
    "body, field",
    [
        ({"roles": []}, "roles"),
        ({"roles": ["sales_rep", "pilot"]}, "roles"),
        ({"team_ids": ["00000000-0000-4000-8000-000000000000"]}, "team_ids"),
        ({"team_names": [" East"]}, "team_names"),
        ({"team_names": [""]}, "team_names"),
        ({"active": "sometimes"}, "active"),
        ({"username": "renamed"}, "username"),
        ({"password": "a new secret"}, "password"),
    ],
)
def test_a_refused_change_changes_nothing_and_announces_nothing(client, admin, rep, body, field, uow_factory):
    _, headers = admin
    response = client.patch(f"/api/v1/users/{rep.id}", json={"display_name": "Someone Else", **body}, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "validation_failed"
    assert field in response.get_json()["errors"]
    assert changes_of(uow_factory) == []
    with uow_factory() as uow:
        stored = uow.users.get(rep.id)
    assert (stored.display_name, stored.roles, [t.name for t in stored.teams]) == ("Riley Rep", ["sales_rep"], ["East"])


def test_an_unknown_user_is_404(client, admin, uow_factory):
    _, headers = admin
    response = client.patch("/api/v1/users/no-such-user", json={"active": False}, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
    assert changes_of(uow_factory) == []


@pytest.mark.parametrize(
    "body, code",
    [
        ({"active": False}, "cannot_deactivate_yourself"),
        ({"roles": ["sales_manager"]}, "cannot_remove_own_admin_role"),
    ],
)
def test_an_admin_cannot_lock_themselves_out(client, admin, body, code, uow_factory):
    user, headers = admin
    response = client.patch(f"/api/v1/users/{user.id}", json=body, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["code"] == code
    assert changes_of(uow_factory) == []
    with uow_factory() as uow:
        stored = uow.users.get(user.id)
    assert stored.active and stored.roles == ["admin"]


def test_an_admin_may_still_rename_themselves_and_add_roles(client, admin, uow_factory):
    user, headers = admin
    response = client.patch(
        f"/api/v1/users/{user.id}", json={"display_name": "Chief", "roles": ["admin", "executive"]}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json()["roles"] == ["admin", "executive"]
    assert len(changes_of(uow_factory)) == 1


def test_another_admin_may_deactivate_an_admin(client, admin, add_user, uow_factory):
    _, headers = admin
    other = add_user("boss2", roles=["admin"])
    response = client.patch(f"/api/v1/users/{other.id}", json={"active": False, "roles": ["executive"]}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["active"] is False


@pytest.mark.parametrize("who, roles", [("manager", ["sales_manager"]), ("rep2", ["sales_rep"])])
def test_only_admins_create_or_change_users(client, add_user, login, bearer, rep, who, roles, uow_factory):
    add_user(who, roles=roles)
    headers = bearer(login(who))
    created = client.post("/api/v1/users", json={"username": "x", "password": "a long secret", "roles": ["admin"]},
                          headers=headers)
    changed = client.patch(f"/api/v1/users/{rep.id}", json={"roles": ["admin"]}, headers=headers)
    assert (created.status_code, changed.status_code) == (403, 403)
    assert changed.get_json()["code"] == "role_not_allowed"
    assert changes_of(uow_factory) == []


def test_a_disabled_admin_s_token_no_longer_changes_users(client, admin, add_user, rep, login, bearer, uow_factory):
    first, first_headers = admin
    second = add_user("boss2", roles=["admin"])
    second_headers = bearer(login("boss2"))
    assert client.patch(f"/api/v1/users/{second.id}", json={"active": False}, headers=first_headers).status_code == 200
    response = client.patch(f"/api/v1/users/{rep.id}", json={"active": False}, headers=second_headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "account_unavailable"
    assert len(changes_of(uow_factory)) == 1


def test_teams_are_listed_with_their_member_counts(client, admin, rep, add_user, login, bearer):
    _, headers = admin
    add_user("rep2", team_names=["East", "West"])
    add_user("manager", roles=["sales_manager"])
    body = client.get("/api/v1/teams", headers=headers).get_json()
    assert [(team["name"], team["member_count"]) for team in body["items"]] == [("East", 2), ("West", 1)]
    assert body["total"] == 2
    assert client.get("/api/v1/teams", headers=bearer(login("manager"))).status_code == 200
    add_user("chief", roles=["executive"])  # shares reports with people and teams
    assert client.get("/api/v1/teams", headers=bearer(login("chief"))).status_code == 200
    assert client.get("/api/v1/users", headers=bearer(login("chief"))).status_code == 200
    refused = client.get("/api/v1/teams", headers=bearer(login("rep1")))
    assert refused.status_code == 403


def test_a_name_with_a_nul_character_is_refused_before_anything_is_stored(client, admin, uow_factory):
    _, headers = admin
    before = outbox_events(uow_factory)
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "nul.user", "password": "a long secret", "display_name": "Nul\u0000Name", "roles": ["sales_rep"]})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "validation_failed"
    assert "NUL" in response.get_json()["message"]
    assert outbox_events(uow_factory) == before
