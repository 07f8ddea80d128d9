"""People who log in: users, their roles, teams and language."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from crm_shared.auth import ROLES, Identity
from crm_shared.errors import APIError

LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


class InvalidUser(APIError):
    def __init__(self, message: str, field_name: str):
        super().__init__(422, "validation_failed", message, {field_name: [message]})


def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively, so they are stored in lower case."""
    return username.strip().lower()


@dataclass(frozen=True)
class Team:
    id: str
    name: str


@dataclass
class User:
    """Someone who can log in; roles decide what each service lets them do."""

    id: str
    username: str
    display_name: str
    password_hash: str
    roles: list[str]
    locale: str
    active: bool
    created_at: datetime
    teams: list[Team] = field(default_factory=list)

    def identity(self) -> Identity:
        """What the access token says about this user."""
        return Identity(
            user_id=self.id,
            username=self.username,
            roles=frozenset(self.roles),
            team_ids=frozenset(team.id for team in self.teams),
        )


def check_new_user(username: str, roles: list[str], locale: str) -> None:
    """Refuse a user that could never log in properly: a bad name, unknown role or language."""
    if not USERNAME.match(username):
        raise InvalidUser("Use 1 to 100 lower-case letters, digits, dots, dashes or underscores.", "username")
    check_roles(roles)
    check_locale(locale)


def check_roles(roles: list[str]) -> None:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InvalidUser(f"Unknown roles: {', '.join(unknown)}.", "roles")


def check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise InvalidUser(f"Choose one of: {', '.join(LOCALES)}.", "locale")
