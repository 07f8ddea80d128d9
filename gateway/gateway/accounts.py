"""The use cases of users and logins: the only place that commits to the users tables."""
from __future__ import annotations

import uuid
from typing import Callable, Iterable

from crm_shared import audit
from crm_shared.auth import ADMIN, TokenIssuer
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, Conflict, NotFound
from gateway.domain import (
    DEFAULT_LOCALE,
    Team,
    User,
    check_locale,
    check_new_user,
    check_roles,
    normalise_username,
)
from gateway.db import audit_log
from gateway.events import user_changed, user_registered
from gateway.login_throttle import LoginThrottle
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
    uow_factory: UowFactory, passwords: Passwords, issuer: TokenIssuer, username: str, password: str,
    throttle: LoginThrottle | None = None,
) -> dict:
    """An access token for the user with these credentials; with a throttle, 429 once too many logins failed."""
    if throttle is None:
        user = authenticate(uow_factory, passwords, username, password)
    else:
        keys = throttle.keys(normalise_username(username))
        throttle.take(keys)
        try:
            user = authenticate(uow_factory, passwords, username, password)
        except InvalidCredentials:
            raise  # a wrong password or an unknown user: the attempt stays counted
        except Exception:
            throttle.give_back(keys)
            raise
        throttle.succeeded(keys)
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
        uow.audit_change("user", user.id, "locale_changed", {"locale": locale})
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
        # Naming a new team creates it: no event says so, the audit log does.
        uow.audit_change("team", team.id, "created", {"name": name})
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
        now = utc_now()
        user = User(
            id=user_id or str(uuid.uuid4()),
            username=username,
            display_name=display_name or username,
            password_hash=password_hash,
            roles=roles,
            locale=locale,
            active=True,
            created_at=now,
            teams=[_team(uow, name) for name in sorted(set(team_names))],
        )
        uow.users.add(user)
        for team in user.teams:
            uow.audit_change("team", team.id, "member_added", {"user_id": user.id, "username": user.username})
        # In the same transaction: the services' user directories learn of every user that exists.
        uow.emit(user_registered(user, now))
        uow.commit()
        return user


def _teams(uow: GatewayUnitOfWork, team_names: Iterable[str], team_ids: Iterable[str]) -> list[Team]:
    wanted_ids = sorted(set(team_ids))
    known = uow.users.teams_by_id(wanted_ids)
    unknown = [team_id for team_id in wanted_ids if team_id not in known]
    if unknown:
        message = f"Unknown teams: {', '.join(unknown)}."
        raise APIError(422, "validation_failed", message, {"team_ids": [message]})
    chosen = {team.id: team for team in known.values()}
    for name in sorted(set(team_names)):
        team = _team(uow, name)
        chosen[team.id] = team
    return sorted(chosen.values(), key=lambda team: (team.name, team.id))


def change_user_as_admin(uow_factory: UowFactory, admin_id: str, user_id: str, **changes) -> User:
    """`change_user` on behalf of the administrator `admin_id`, who may not lock themselves out."""
    if user_id == admin_id:
        if changes.get("active") is False:
            raise Conflict("cannot_deactivate_yourself", "You cannot deactivate your own account.")
        if changes.get("roles") is not None and ADMIN not in changes["roles"]:
            raise Conflict("cannot_remove_own_admin_role", "You cannot take the admin role away from yourself.")
    return change_user(uow_factory, user_id, **changes)


def list_teams(uow_factory: UowFactory) -> list[tuple[Team, int]]:
    with uow_factory() as uow:
        return uow.users.list_teams()


def _directory_facts(user: User) -> tuple:
    return user.display_name, sorted(user.roles), sorted(team.id for team in user.teams), user.active


def change_user(
    uow_factory: UowFactory,
    user_id: str,
    *,
    display_name: str | None = None,
    roles: Iterable[str] | None = None,
    team_names: Iterable[str] | None = None,
    active: bool | None = None,
    team_ids: Iterable[str] | None = None,
) -> User:
    """Change what the services know a user by (None leaves a field as it is); teams named are created when missing.

    Given `team_names` and/or `team_ids`, the user's teams become exactly those; an unknown team id is refused.
    """
    if roles is not None:
        roles = sorted(set(roles))
        check_roles(roles)
    with uow_factory() as uow:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("user", user_id)
        before = _directory_facts(user)
        if display_name is not None:
            user.display_name = display_name or user.username
        if roles is not None:
            user.roles = roles
        if team_names is not None or team_ids is not None:
            user.teams = _teams(uow, team_names or (), team_ids or ())
        if active is not None:
            user.active = active
        if _directory_facts(user) == before:
            return user  # nothing changed: no event for the directories to apply
        uow.users.save_profile(user)
        _audit_team_changes(uow, user, before[2])
        uow.emit(user_changed(user, utc_now()))
        uow.commit()
        return user


def _audit_team_changes(uow: GatewayUnitOfWork, user: User, team_ids_before: list[str]) -> None:
    """Each team a user joined or left keeps it in its own trail (the user's event is the user's trail)."""
    after = {team.id for team in user.teams}
    for team_id in sorted(after - set(team_ids_before)):
        uow.audit_change("team", team_id, "member_added", {"user_id": user.id, "username": user.username})
    for team_id in sorted(set(team_ids_before) - after):
        uow.audit_change("team", team_id, "member_removed", {"user_id": user.id, "username": user.username})


def announce_users(uow_factory: UowFactory) -> int:
    """Publish every user as they are now, so a directory started after they registered catches up."""
    with uow_factory() as uow:
        found = uow.users.list()
        now = utc_now()
        for user in found:
            uow.emit(user_changed(user, now))
        uow.commit()
        return len(found)


def audit_trail(uow_factory: UowFactory, record_type: str, record_id: str, limit: int, offset: int) -> dict:
    """A user's or team's audit trail, newest first, with the names of the administrators who acted."""
    with uow_factory() as uow:
        exists = uow.users.get(record_id) if record_type == "user" else uow.users.teams_by_id([record_id])
        if not exists:
            raise NotFound(record_type, record_id)
        return audit.trail(uow.session, audit_log, record_type, record_id, limit=limit, offset=offset,
                           names_of=uow.users.display_names)


def user_exists(uow_factory: UowFactory, username: str) -> bool:
    with uow_factory() as uow:
        return uow.users.by_username(normalise_username(username)) is not None
