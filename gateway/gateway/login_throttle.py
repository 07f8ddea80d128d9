"""How many failed logins one username and one client address may have: counted in the gateway database."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Column, Integer, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_shared.db import UtcDateTime
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError
from gateway.db import metadata
from gateway.uow import GatewayUnitOfWork

# Fixed windows of failed logins per key ("user:<username>", "address:<client address>"). The row is locked
# while counted, so every gateway process and thread shares one count.
login_throttles = Table(
    "login_throttles",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("window_started_at", UtcDateTime(), nullable=False),
    Column("failures", Integer, nullable=False),
)


@dataclass(frozen=True)
class LoginLimit:
    """At most `failures` failed logins per `window` for one username, and `address_failures` for one client address.

    An address gets more than a username: everyone in an office behind one NAT address shares its count, and
    their mistyped passwords must not lock the whole office out; guessing at one account is still capped
    by the username's own count.
    """

    failures: int
    window: timedelta
    address_failures: int | None = None

    def for_key(self, key: str) -> int:
        if key.startswith("address:") and self.address_failures is not None:
            return self.address_failures
        return self.failures


class TooManyFailedLogins(APIError):
    def __init__(self, retry_after_seconds: int):
        super().__init__(
            429, "rate_limited",
            "Too many failed logins for this account or from your address; "
            f"try again in {retry_after_seconds} seconds.",
            {"retry_after": retry_after_seconds},
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after = retry_after_seconds


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


class LoginThrottle:
    """Counts an attempt as failed before the password is checked, and takes it back if the login succeeds.

    Counting first means that any number of simultaneous guesses still gets at most `limit.failures` through:
    each one holds its place in the count while its (slow) password check runs.
    """

    def __init__(self, uow_factory: Callable[[], GatewayUnitOfWork], limit: LoginLimit, client_address: str,
                 clock: Callable[[], datetime] = utc_now):
        self.uow_factory = uow_factory
        self.limit = limit
        self.client_address = client_address or "unknown"
        self.clock = clock

    def keys(self, username: str) -> list[str]:
        """The counts an attempt to log in as `username` (normalised) from this client address goes into."""
        return [f"address:{self.client_address}", f"user:{username}"]

    def take(self, keys: list[str]) -> None:
        """Count one failure against every key, or raise 429 (counting nothing) if any key has no failures left."""
        t = login_throttles
        now = self.clock()
        with self.uow_factory() as uow:
            counted = []
            # Sorted, so two attempts sharing keys lock them in the same order and cannot deadlock.
            for key in sorted(set(keys)):
                uow.session.execute(_insert(uow.session)(t).values(key=key, window_started_at=now, failures=0)
                                    .on_conflict_do_nothing(index_elements=["key"]))
                row = uow.session.execute(
                    select(t.c.window_started_at, t.c.failures).where(t.c.key == key).with_for_update()
                ).one()
                started, failures = row.window_started_at, row.failures
                if now - started >= self.limit.window:
                    started, failures = now, 0
                if failures >= self.limit.for_key(key):
                    wait = (started + self.limit.window - now).total_seconds()
                    raise TooManyFailedLogins(max(1, math.ceil(wait)))
                counted.append((key, started, failures + 1))
            for key, started, failures in counted:
                uow.session.execute(
                    update(t).where(t.c.key == key).values(window_started_at=started, failures=failures)
                )
            uow.commit()

    def give_back(self, keys: list[str]) -> None:
        """Uncount an attempt that was not a wrong password (the account is disabled, or something broke)."""
        self._uncount(keys, forget_username=False)

    def succeeded(self, keys: list[str]) -> None:
        """Uncount a successful login, and forget the username's failures: its owner knows the password.

        The address keeps its other failures, so logging in to one's own account between guesses at
        another's does not buy more guesses.
        """
        self._uncount(keys, forget_username=True)

    def _uncount(self, keys: list[str], forget_username: bool) -> None:
        t = login_throttles
        with self.uow_factory() as uow:
            for key in sorted(set(keys)):
                if forget_username and key.startswith("user:"):
                    uow.session.execute(update(t).where(t.c.key == key).values(failures=0))
                else:
                    uow.session.execute(update(t).where(t.c.key == key, t.c.failures > 0)
                                        .values(failures=t.c.failures - 1))
            uow.commit()
