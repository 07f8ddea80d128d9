"""Rate limits on browsing the pools and on claiming: a person reads and claims at a human pace; a script
scraping the public pool or hammering the claim button is turned away with 429 and Retry-After.

The daily claim and open quotas of each pool (leads/claims.py) limit how much a rep may take in a day;
these limits bound how fast anyone may ask. Each counts in its own short transaction before the request's
work, so a refused request does nothing and a request that later fails still counted as an attempt.
"""
from __future__ import annotations

from sqlalchemy import text

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.rate_limit import RateLimit, RateLimiter
from leads import config
from leads.db import rate_limits


def count_pool_view(uow_factory, viewer: Identity) -> None:
    """One look at leads (list, search, export, reveal) by `viewer`, or 429 once they have had their share."""
    _take(uow_factory, f"pool-view:{viewer.user_id}", RateLimit.per_minute(config.pool_views_per_minute()),
          "You have looked at leads too often in the last minute; try again in {seconds} seconds.")


def count_claim(uow_factory, viewer: Identity) -> None:
    """One claim request by `viewer`, or 429 once they have had their share."""
    _take(uow_factory, f"claim:{viewer.user_id}", RateLimit.per_minute(config.claims_per_minute()),
          "You have tried to claim leads too often in the last minute; try again in {seconds} seconds.")


def _take(uow_factory, key: str, limit: RateLimit, message: str) -> None:
    with uow_factory() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            # The count's own commit need not wait for its WAL flush, paid on every pool view and claim
            # (0.32 -> 0.16 ms a commit on a quiet machine, 3.5 ms median on a busy one): a crash could
            # forget the last counts, which only lets a few more requests in.
            uow.session.execute(text("SET LOCAL synchronous_commit = off"))
        RateLimiter(uow.session, rate_limits).take([key], limit, utc_now(), message)
        uow.commit()
