"""Rate limits counted in the service's database: fixed windows per key, shared by every process.

A service keeps one table made by `rate_limit_table` (a key, when its window started, how many requests
it has taken). The key's row is locked while it is counted, so web processes and threads share one
count and a burst of simultaneous requests lets through no more than the limit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_shared.db import UtcDateTime
from crm_shared.errors import APIError


def rate_limit_table(metadata: MetaData, name: str = "rate_limits") -> Table:
    return Table(
        name,
        metadata,
        Column("key", String(300), primary_key=True),
        Column("window_started_at", UtcDateTime(), nullable=False),
        Column("count", Integer, nullable=False),
    )


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` per `window` for one key."""

    requests: int
    window: timedelta

    @classmethod
    def per_minute(cls, requests: int) -> "RateLimit":
        return cls(requests, timedelta(minutes=1))


class TooManyRequests(APIError):
    def __init__(self, retry_after_seconds: int, message: str | None = None):
        super().__init__(
            429, "rate_limited",
            message or f"Too many requests from you; try again in {retry_after_seconds} seconds.",
            {"retry_after": retry_after_seconds},
            headers={"Retry-After": str(retry_after_seconds)},
        )
        self.retry_after = retry_after_seconds


class RateLimiter:
    """Counts requests against keys in `table`, in the caller's transaction."""

    def __init__(self, session: Session, table: Table):
        self.session = session
        self.table = table

    def take(self, keys: list[str], limit: RateLimit, now: datetime, message: str | None = None) -> None:
        """Count one request against every key, or raise 429 (counting nothing) if any key is spent.

        `message` says what was limited, with `{seconds}` for the wait; the default speaks of requests.
        """
        if len(set(keys)) == 1 and self.session.get_bind().dialect.name == "postgresql":
            return self._take_one_key(keys[0], limit, now, message)
        t = self.table
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        windows = []
        # Sorted, so two requests sharing keys lock them in the same order and cannot deadlock.
        for key in sorted(set(keys)):
            self.session.execute(insert(t).values(key=key, window_started_at=now, count=0)
                                 .on_conflict_do_nothing(index_elements=["key"]))
            row = self.session.execute(select(t.c.window_started_at, t.c.count).where(t.c.key == key)
                                       .with_for_update()).one()
            started, count = row.window_started_at, row.count
            if now - started >= limit.window:
                started, count = now, 0
            if count >= limit.requests:
                wait = max(1, math.ceil((started + limit.window - now).total_seconds()))
                raise TooManyRequests(wait, message.format(seconds=wait) if message else None)
            windows.append((key, started, count + 1))
        for key, started, count in windows:
            self.session.execute(update(t).where(t.c.key == key).values(window_started_at=started, count=count))

    def _take_one_key(self, key: str, limit: RateLimit, now: datetime, message: str | None) -> None:
        """`take` for one key in one upsert: limits in front of every claim pay one round trip, not three.

        The same fixed window: a window that has run out starts afresh at `now`; a spent one is left as it
        is (the upsert's WHERE fails, so nothing is counted and no row comes back) and the request hears 429.
        """
        t = self.table
        expired = t.c.window_started_at <= now - limit.window
        counted = self.session.execute(
            postgresql.insert(t).values(key=key, window_started_at=now, count=1)
            .on_conflict_do_update(
                index_elements=[t.c.key],
                set_={"window_started_at": case((expired, now), else_=t.c.window_started_at),
                      "count": case((expired, 1), else_=t.c.count + 1)},
                where=expired | (t.c.count < limit.requests),
            )
            .returning(t.c.count)
        ).first()
        if counted is None:
            started = self.session.execute(select(t.c.window_started_at).where(t.c.key == key)).scalar_one()
            wait = max(1, math.ceil((started + limit.window - now).total_seconds()))
            raise TooManyRequests(wait, message.format(seconds=wait) if message else None)
