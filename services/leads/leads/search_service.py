"""The use cases of prospect search, export, duplicate checks and merges; the only place that commits them."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterator

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from leads.domain import Lead, LeadRuleViolation
from leads.duplicates import MERGED_ALONG, Merge, match_view, matches_for, merge_into, merged_envelope
from leads.pools import Member, Pool
from leads.repository import LeadQuery
from leads.search import DEFAULT_SORT, decode_cursor, encode_cursor, read_query
from leads.search_repository import Matching, SearchFilters
from leads.service import lead_views, member_of, visible_lead, visible_query
from leads.uow import LeadsUnitOfWork

UowFactory = Callable[[], LeadsUnitOfWork]
EXPORT_PAGE = 1000


@dataclass(frozen=True)
class Search:
    """A search as asked: filters, free text, sort, where to continue and how many."""

    query: LeadQuery
    q: str | None = None
    region: str | None = None
    industry: str | None = None
    campaign: str | None = None
    tag: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort: str = DEFAULT_SORT
    cursor: str | None = None
    limit: int = 50


def _prepare(uow: LeadsUnitOfWork, search: Search, member: Member) -> tuple[Matching, dict[str, Pool]]:
    query, pools = visible_query(uow, member, search.query)
    masked = tuple(pool_id for pool_id, pool in pools.items() if pool.masks_contacts_for(member))
    filters = SearchFilters(
        text=read_query(search.q), region=search.region, industry=search.industry, campaign=search.campaign,
        tag=search.tag, created_from=search.created_from, created_to=search.created_to, masked_pools=masked,
    )
    return uow.search.matching(query, filters, search.sort), pools


def _cursor_after(search: Search, page: list[Lead]) -> str:
    last = page[-1]
    key = last.created_at if search.sort.endswith("created_at") else last.company
    return encode_cursor(search.sort, key, last.id)


def search_leads(uow_factory: UowFactory, search: Search, viewer: Identity) -> dict:
    """One page of the leads `viewer` may see that match, masked like the list, with a capped count."""
    after = decode_cursor(search.cursor, search.sort) if search.cursor else None
    with uow_factory() as uow:
        member = member_of(uow, viewer)
        matching, pools = _prepare(uow, search, member)
        found = uow.search.page(matching, search.sort, after, search.limit)
        page, more = found.leads, found.more
        # A first page with room to spare holds every match, and one read by sorting every match counted
        # them as it went: no need to count them again.
        if after is None and not more:
            total, estimate = len(page), False
        elif found.total is not None:
            total, estimate = found.total, False
        else:
            total, estimate = uow.search.count(matching, at_least=len(page) + more)
        return {
            "items": lead_views(uow, page, pools, member),
            "total": total,
            "total_is_estimate": estimate,
            "next_cursor": _cursor_after(search, page) if more else None,
        }


def export_pages(uow_factory: UowFactory, search: Search, viewer: Identity) -> Iterator[list[dict]]:
    """Every matching lead, a page at a time, each page read in its own short transaction (keyset, no OFFSET)."""
    search = replace(search, limit=EXPORT_PAGE, cursor=None)
    with uow_factory() as uow:
        # Checked before the first byte is sent, so a bad filter is still a clean 4xx.
        _prepare(uow, search, member_of(uow, viewer))
    return _pages(uow_factory, search, viewer)


def _pages(uow_factory: UowFactory, search: Search, viewer: Identity) -> Iterator[list[dict]]:
    after = None
    while True:
        with uow_factory() as uow:
            member = member_of(uow, viewer)
            matching, pools = _prepare(uow, search, member)
            found = uow.search.page(matching, search.sort, after, search.limit)
            page, more = found.leads, found.more
            views = lead_views(uow, page, pools, member)
        if views:
            yield views
        if not more:
            return
        after = decode_cursor(_cursor_after(search, page), search.sort)


# --- duplicates ---------------------------------------------------------------------------------------

def check_duplicates(uow_factory: UowFactory, company: str | None, phone: str | None, email: str | None) -> list[dict]:
    """The leads a new lead with these details would duplicate, strong (phone, e-mail) first."""
    with uow_factory() as uow:
        return [match_view(match) for match in matches_for(uow, company, phone, email)]


def merge_leads(uow_factory: UowFactory, survivor_id: str, other_id: str, manager: Identity) -> Lead:
    """Fold `other_id` into `survivor_id`: its history, timeline, follow-ups and match keys move to the survivor."""
    now = utc_now()
    try:
        with uow_factory() as uow:
            # Both must be leads the manager may see (their teams', their pools'): another team's lead
            # answers 404 exactly like a missing one, so ids cannot be probed through a merge either.
            member = member_of(uow, manager)
            survivor, _ = visible_lead(uow, survivor_id, member)
            other, _ = visible_lead(uow, other_id, member)
            # Rows move before the leads change: a query after the change would flush the merged lead,
            # whose listener drops its match keys before they could move. A refusal rolls it all back.
            moved = uow.lead_rows.repoint(MERGED_ALONG, other.id, survivor.id)
            moved["lead_match_keys"] = uow.match_keys.move(other.id, survivor.id)
            merge_into(survivor, other, now)
            uow.emit(merged_envelope(Merge(survivor, other, manager.user_id, now, moved)))
            uow.commit()
            return survivor
    except StaleDataError as error:
        raise LeadRuleViolation("lead_changed", "One of the leads changed while you were merging; try again.") from error
