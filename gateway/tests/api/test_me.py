"""You and the other users: /me, the language setting, the user list."""
from sqlalchemy import update

from gateway.db import users


def test_me_shows_who_you_are(client, add_user, login, bearer):
    user = add_user("rep1", roles=["sales_rep"], team_names=["East"], display_name="Riley Rep")
    body = client.get("/api/v1/me", headers=bearer(login("rep1"))).get_json()
    assert body == {
        "id": user.id,
        "username": "rep1",
        "display_name": "Riley Rep",
        "roles": ["sales_rep"],
        "teams": [{"id": user.teams[0].id, "name": "East"}],
        "locale": "en",
    }


def test_me_needs_a_token(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["code"] == "authentication_required"


def test_you_can_switch_to_chinese_and_it_is_remembered(client, add_user, login, bearer):
    add_user("rep1")
    headers = bearer(login("rep1"))
    response = client.patch("/api/v1/me", json={"locale": "zh-CN"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["locale"] == "zh-CN"
    assert client.get("/api/v1/me", headers=headers).get_json()["locale"] == "zh-CN"


def test_an_unknown_language_or_another_field_is_refused(client, add_user, login, bearer):
    add_user("rep1")
    headers = bearer(login("rep1"))
    unknown = client.patch("/api/v1/me", json={"locale": "fr"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"locale": ["Must be one of: en, zh-CN."]}
    other = client.patch("/api/v1/me", json={"locale": "en", "roles": ["admin"]}, headers=headers)
    assert other.status_code == 422
    assert "roles" in other.get_json()["errors"]


def test_a_disabled_user_token_no_longer_opens_me(client, add_user, login, bearer, uow_factory):
    user = add_user("rep1")
    headers = bearer(login("rep1"))
    with uow_factory() as uow:
        uow.session.execute(update(users).where(users.c.id == user.id).values(active=False))
        uow.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "account_unavailable"


def test_admins_and_managers_see_every_user_with_names_and_teams(client, add_user, login, bearer):
    add_user("boss", roles=["admin"])
    add_user("manager", roles=["sales_manager"])
    rep = add_user("rep1", roles=["sales_rep"], team_names=["East"], display_name="Riley Rep")
    for who in ("boss", "manager"):
        body = client.get("/api/v1/users", headers=bearer(login(who))).get_json()
        assert body["total"] == 3
        listed = {item["username"]: item for item in body["items"]}
        assert listed["rep1"] == {
            "id": rep.id,
            "username": "rep1",
            "display_name": "Riley Rep",
            "roles": ["sales_rep"],
            "teams": [{"id": rep.teams[0].id, "name": "East"}],
            "active": True,
        }
        assert "password_hash" not in listed["rep1"]


def test_a_rep_cannot_list_the_users(client, add_user, login, bearer):
    add_user("rep1")
    response = client.get("/api/v1/users", headers=bearer(login("rep1")))
    assert response.status_code == 403
    assert response.get_json()["code"] == "role_not_allowed"
