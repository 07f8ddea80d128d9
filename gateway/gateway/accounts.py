"""The use cases of users and logins: the only place that commits to the users tables."""
from __future__ import annotations

import uuid
from typing import Callable, Iterable

from crm_shared.auth import TokenIssuer
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, Conflict
from gateway.domain import DEFAULT_LOCALE, Team, User, check_locale, check_new_user, normalise_username
from gateway.passwords import Passwords
from gateway.uow import GatewayUnitOfWork

UowFactory = Callable[[], GatewayUnitOfWork]


class InvalidCredentials(APIError):
    def __init__(self):
        # One message for an unknown user and a wrong password, so usernames cannot be probed.
        super().__init__(401, "invalid_credentials", "The username or password is not correct.")


class AccountDisabled(APIError):
    def __init__(self):
        super().__init__(403, "account_disabled", "This account has been disabled; ask an administrator.")


class AccountUnavailable(APIError):
    def __init__(self):
        super().__init__(401, "account_unavailable", "Your account no longer exists or was disabled; log in again.")


def authenticate(uow_factory: UowFactory, passwords: Passwords, username: str, password: str) -> User:
    """The user with these credentials; the password is checked before anything else is revealed."""
    with uow_factory() as uow:
        user = uow.users.by_username(normalise_username(username))
    # The check is slow on purpose, so it runs outside any transaction (on SQLite, outside the lock).
    if not passwords.check(user.password_hash if user else None, password):
        raise InvalidCredentials()
    if not user.active:
        raise AccountDisabled()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
        with uow_factory() as uow:
            uow.users.save_password_hash(user)
            uow.commit()
    return user


def log_in(
    uow_factory: UowFactory, passwords: Passwords, issuer: TokenIssuer, username: str, password: str
) -> dict:
    """An access token for the user with these credentials."""
    user = authenticate(uow_factory, passwords, username, password)
    return {"access_token": issuer.issue(user.identity()), "token_type": "bearer", "expires_in": issuer.ttl_seconds}


def get_active_user(uow_factory: UowFactory, user_id: str) -> User:
    """The caller's own record; a token of a removed or disabled user no longer opens it."""
    with uow_factory() as uow:
        user = uow.users.get(user_id)
        if user is None or not user.active:
            raise AccountUnavailable()
        return user


def change_locale(uow_factory: UowFactory, user_id: str, locale: str) -> User:
    with uow_factory() as uow:
        user = uow.users.get(user_id)
        if user is None or not user.active:
            raise AccountUnavailable()
        check_locale(locale)
        user.locale = locale
        uow.users.save_locale(user)
        uow.commit()
        return user


def list_users(uow_factory: UowFactory) -> list[User]:
    with uow_factory() as uow:
        return uow.users.list()


def _team(uow: GatewayUnitOfWork, name: str) -> Team:
    team = uow.users.team_named(name)
    if team is None:
        team = Team(str(uuid.uuid4()), name)
        uow.users.add_team(team)
    return team


def create_user(
    uow_factory: UowFactory,
    passwords: Passwords,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: Iterable[str],
    locale: str = DEFAULT_LOCALE,
    team_names: Iterable[str] = (),
    user_id: str | None = None,
) -> User:
    """A new active user; teams named here are created when missing."""
    username = normalise_username(username)
    roles = sorted(set(roles))
    check_new_user(username, roles, locale)
    if not password:
        raise APIError(422, "validation_failed", "A password is needed.", {"password": ["A password is needed."]})
    password_hash = passwords.hash(password)
    with uow_factory() as uow:
        if uow.users.by_username(username) is not None:
            raise Conflict("username_taken", f"There is already a user named {username}.")
        user = User(
            id=user_id or str(uuid.uuid4()),
            username=username,
            display_name=display_name or username,
            password_hash=password_hash,
            roles=roles,
            locale=locale,
            active=True,
            created_at=utc_now(),
            teams=[_team(uow, name) for name in sorted(set(team_names))],
        )
        uow.users.add(user)
        uow.commit()
        return user


def user_exists(uow_factory: UowFactory, username: str) -> bool:
    with uow_factory() as uow:
        return uow.users.by_username(normalise_username(username)) is not None
