"""The gateway's audit log: who created and changed users and teams, read per user and per team by administrators."""
import pytest

from gateway.routes import owner_of


@pytest.fixture
def admin(add_user, login, bearer):
    user = add_user("boss", roles=["admin"], display_name="Big Boss")
    return user, bearer(login("boss"))


@pytest.fixture
def rep(add_user):
    return add_user("rep1", roles=["sales_rep"], team_names=["East"])


def test_the_trails_are_the_gateway_s_own_not_routed_to_a_service():
    assert owner_of("/api/v1/users/abc/audit") is None and owner_of("/api/v1/teams/abc/audit") is None


def test_a_users_changes_are_in_their_trail_newest_first_with_the_admin_named(client, admin, rep):
    boss, headers = admin
    changed = client.patch(f"/api/v1/users/{rep.id}", json={"roles": ["sales_manager"], "team_names": ["West"]},
                           headers=headers)
    assert changed.status_code == 200, changed.get_json()
    page = client.get(f"/api/v1/users/{rep.id}/audit", headers=headers).get_json()
    assert [item["action"] for item in page["items"]] == ["gateway.user.changed.v1", "gateway.user.registered.v1"]
    newest = page["items"][0]
    assert (newest["actor_id"], newest["actor_name"], newest["actor_kind"]) == (boss.id, "Big Boss", "user")
    assert newest["details"]["roles"] == ["sales_manager"]
    assert page["total"] == 2
    second = client.get(f"/api/v1/users/{rep.id}/audit?limit=1&offset=1", headers=headers).get_json()
    assert [item["action"] for item in second["items"]] == ["gateway.user.registered.v1"]


def test_a_team_keeps_who_made_it_and_who_joined_and_left(client, admin, rep):
    _, headers = admin
    east = next(team for team in rep.teams if team.name == "East")
    assert client.patch(f"/api/v1/users/{rep.id}", json={"team_names": ["West"]}, headers=headers).status_code == 200
    items = client.get(f"/api/v1/teams/{east.id}/audit", headers=headers).get_json()["items"]
    assert [(item["action"], item["details"].get("user_id")) for item in items] == [
        ("member_removed", rep.id), ("member_added", rep.id), ("created", None)]


def test_only_administrators_read_the_trails_and_an_unknown_id_is_404(client, admin, rep, login, bearer, add_user):
    _, headers = admin
    add_user("manager", roles=["sales_manager"])
    manager = bearer(login("manager"))
    refused = client.get(f"/api/v1/users/{rep.id}/audit", headers=manager)
    assert refused.status_code == 403 and refused.get_json()["code"] == "role_not_allowed"
    assert client.get("/api/v1/users/nobody/audit", headers=headers).status_code == 404
    assert client.get("/api/v1/teams/none/audit", headers=headers).status_code == 404
