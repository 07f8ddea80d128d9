"""How often one client address or one email may use the public request form: counted in the database."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_shared.errors import APIError
from service_desk.db import public_rate_limits
from service_desk.repository import dialect_insert


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` per `window` for one key."""

    requests: int
    window: timedelta


class TooManyRequests(APIError):
    def __init__(self, retry_after_seconds: int):
        super().__init__(429, "rate_limited",
                         f"Too many requests from you; try again in {retry_after_seconds} seconds.",
                         {"retry_after": retry_after_seconds})
        self.retry_after = retry_after_seconds


class PublicRateLimits:
    """Fixed windows per key; the key's row is locked while counted, so processes and threads share one count."""

    def __init__(self, session: Session):
        self.session = session

    def take(self, keys: list[str], limit: RateLimit, now: datetime) -> None:
        """Count one request against every key, or raise 429 (counting nothing) if any key is spent."""
        t = public_rate_limits
        windows = []
        # Sorted, so two requests sharing keys lock them in the same order and cannot deadlock.
        for key in sorted(set(keys)):
            self.session.execute(dialect_insert(self.session)(t).values(key=key, window_started_at=now, count=0)
                                 .on_conflict_do_nothing(index_elements=["key"]))
            row = self.session.execute(select(t.c.window_started_at, t.c.count).where(t.c.key == key)
                                       .with_for_update()).one()
            started, count = row.window_started_at, row.count
            if now - started >= limit.window:
                started, count = now, 0
            if count >= limit.requests:
                wait = (started + limit.window - now).total_seconds()
                raise TooManyRequests(max(1, math.ceil(wait)))
            windows.append((key, started, count + 1))
        for key, started, count in windows:
            self.session.execute(update(t).where(t.c.key == key).values(window_started_at=started, count=count))
