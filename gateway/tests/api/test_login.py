"""Logging in: the right password, a wrong one, an unknown user, a disabled account."""
import jwt
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import update

from gateway import accounts
from gateway.db import users
from gateway.passwords import Passwords


def test_the_right_password_gets_a_bearer_token_naming_the_user_roles_and_teams(client, add_user, settings):
    user = add_user("rep1", roles=["sales_rep"], team_names=["East"])
    response = client.post("/api/v1/auth/login", json={"username": "rep1", "password": "correct horse"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.token_ttl_seconds
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == user.id
    assert claims["username"] == "rep1"
    assert claims["roles"] == ["sales_rep"]
    assert claims["teams"] == [user.teams[0].id]
    assert claims["iss"] == "crm-gateway" and claims["aud"] == "crm"
    assert claims["exp"] - claims["iat"] == settings.token_ttl_seconds


def test_usernames_are_not_case_sensitive(client, add_user):
    add_user("rep1")
    response = client.post("/api/v1/auth/login", json={"username": " REP1 ", "password": "correct horse"})
    assert response.status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, add_user):
    add_user("rep1")
    wrong = client.post("/api/v1/auth/login", json={"username": "rep1", "password": "wrong"})
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json() == {
        "code": "invalid_credentials",
        "status": 401,
        "message": "The username or password is not correct.",
        "errors": {},
    }


class CountingHasher(PasswordHasher):
    def __init__(self):
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash, password):
        self.verified += 1
        return super().verify(hash, password)


def test_an_unknown_user_costs_a_full_password_check_like_a_wrong_password(uow_factory, add_user):
    add_user("rep1")
    hasher = CountingHasher()
    passwords = Passwords(hasher)
    for username in ("rep1", "nobody"):
        before = hasher.verified
        try:
            accounts.authenticate(uow_factory, passwords, username, "wrong")
        except accounts.InvalidCredentials:
            pass
        assert hasher.verified - before == 1, username


def test_the_stand_in_hash_for_an_unknown_user_costs_what_a_real_users_hash_costs():
    # Verifying costs what the hash's own parameters say; the stand-in is made by the same hasher with
    # the real parameters, so "no such user" takes as long as "wrong password" (compared by parameters,
    # not by a stopwatch, which a busy machine makes unreliable).
    passwords = Passwords()
    real = passwords.hash("correct horse")
    assert passwords.check(None, "wrong") is False
    stand_in = passwords._dummy()
    assert extract_parameters(stand_in) == extract_parameters(real)
    assert not passwords.needs_rehash(stand_in)


def test_a_disabled_account_is_refused_even_with_the_right_password(client, add_user, uow_factory):
    user = add_user("rep1")
    with uow_factory() as uow:
        uow.session.execute(update(users).where(users.c.id == user.id).values(active=False))
        uow.commit()
    right = client.post("/api/v1/auth/login", json={"username": "rep1", "password": "correct horse"})
    assert right.status_code == 403
    assert right.get_json()["code"] == "account_disabled"
    wrong = client.post("/api/v1/auth/login", json={"username": "rep1", "password": "wrong"})
    assert wrong.get_json()["code"] == "invalid_credentials"


def test_a_login_without_a_password_or_with_extra_fields_is_refused_field_by_field(client):
    missing = client.post("/api/v1/auth/login", json={"username": "rep1"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {"password": ["Missing data for required field."]}
    extra = client.post("/api/v1/auth/login", json={"username": "rep1", "password": "x", "role": "admin"})
    assert extra.status_code == 422
    assert "role" in extra.get_json()["errors"]


def test_a_password_hashed_with_old_parameters_is_rehashed_at_login(client, uow_factory, add_user, app):
    weak = Passwords(PasswordHasher(time_cost=1, memory_cost=512, parallelism=1))
    accounts.create_user(uow_factory, weak, username="old", password="correct horse", display_name="Old", roles=["admin"])
    client.post("/api/v1/auth/login", json={"username": "old", "password": "correct horse"})
    with uow_factory() as uow:
        stored = uow.users.by_username("old").password_hash
    assert not app.extensions["crm.passwords"].needs_rehash(stored)
    assert client.post("/api/v1/auth/login", json={"username": "old", "password": "correct horse"}).status_code == 200
