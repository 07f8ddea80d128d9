"""Duplicate leads: when a new lead is refused for one, and how two leads are merged into one."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import text

from crm_shared.envelope import Envelope, format_time
from crm_shared.errors import APIError
from leads.config import SERVICE
from leads.domain import CONVERTED, MERGED, Lead
from leads.events import LEAD_MERGED
from leads.matching import EMAIL_KEY, PHONE_KEY, STRONG, Match, duplicate_keys, find_duplicates

# Tables whose rows follow a merged lead to the lead it is merged into, when they exist (features add
# theirs here). The lead's reveals stay: they are what a rep's daily open quota counted.
MERGED_ALONG = ("lead_ownership_history", "lead_timeline", "lead_follow_ups", "lead_reminders", "material_deliveries")
# Fields the survivor takes from the merged lead where it has none.
FILLED_IN = ("phone", "email", "region", "industry", "company_size", "campaign")


class DuplicateLead(APIError):
    """A lead with the same phone or e-mail exists; the matches say which."""

    def __init__(self, matches: Sequence[Match]):
        super().__init__(
            409, "duplicate_lead",
            "A lead with the same phone or e-mail already exists; send allow_duplicate: true to create it anyway.",
            {"matches": [match_view(match) for match in matches]},
        )


def match_view(match: Match) -> dict:
    return {"lead_id": match.lead_id, "strength": match.strength, "keys": list(match.keys)}


def refuse_strong(matches: Sequence[Match], allow_duplicate: bool) -> None:
    """Strong matches (same phone or e-mail) refuse a new lead unless allowed; weak ones never do."""
    strong = [match for match in matches if match.strength == STRONG]
    if strong and not allow_duplicate:
        raise DuplicateLead(strong)


def matches_for(uow, company: str | None, phone: str | None, email: str | None) -> list[Match]:
    """The leads sharing a key with these details, through the unit of work's match keys."""
    keys = duplicate_keys(company, phone, email)
    return find_duplicates(keys, uow.match_keys.leads_by_key(keys))


def refuse_duplicates(uow, fields: dict, allow_duplicate: bool) -> list[dict]:
    """For a new lead: 409 `duplicate_lead` on a strong match unless allowed; the (weak) matches otherwise.

    Call it in the transaction that adds the lead: it locks the lead's phone and e-mail until that commits.
    """
    keys = duplicate_keys(fields.get("company"), fields.get("phone"), fields.get("email"))
    lock_strong_keys(uow, keys)
    matches = find_duplicates(keys, uow.match_keys.leads_by_key(keys))
    refuse_strong(matches, allow_duplicate)
    return [match_view(match) for match in matches]


def lock_strong_keys(uow, keys: Iterable[str]) -> None:
    """Make creates that share a phone or e-mail take turns until each commits, so the later one sees the earlier.

    Without it two simultaneous creates both find no match and both succeed. PostgreSQL: one
    transaction-scoped advisory lock per normalised phone and e-mail key (allowed duplicates take them too,
    so a refusal never depends on timing), in sorted order so two creates never wait for each other
    crosswise. SQLite needs none: BEGIN IMMEDIATE already runs one writer at a time. Company keys only warn,
    so they are not locked.
    """
    if uow.session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(key for key in set(keys) if key.startswith((PHONE_KEY, EMAIL_KEY))):
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:lock_id)"), {"lock_id": _advisory_lock_id(key)})


def _advisory_lock_id(key: str) -> int:
    # A signed 64-bit lock id per key; the prefix makes a clash with another feature's advisory locks unlikely.
    digest = hashlib.blake2b(f"leads.duplicate_key:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True)
class Merge:
    """What a merge did: who merged which lead into which, and how many rows followed it."""

    survivor: Lead
    merged: Lead
    merged_by: str
    at: datetime
    moved: dict[str, int]


def merge_into(survivor: Lead, other: Lead, now: datetime) -> None:
    """Fold `other` into `survivor`: the survivor fills its blanks from it; `other` becomes `merged`."""
    if survivor.id == other.id:
        raise APIError(422, "cannot_merge_into_itself", "A lead cannot be merged into itself.",
                       {"other_id": ["Must be another lead."]})
    for lead in (survivor, other):
        if lead.status == MERGED:
            raise APIError(409, "lead_merged", f"Lead {lead.id} has already been merged into {lead.merged_into_id}.")
    if other.status == CONVERTED:
        raise APIError(409, "lead_already_converted",
                       f"Lead {other.id} is a customer already; merge the other lead into it instead.")
    for name in FILLED_IN:
        if not getattr(survivor, name) and getattr(other, name):
            setattr(survivor, name, getattr(other, name))
    if other.tags:
        survivor.tags = sorted(set(survivor.tags or ()) | set(other.tags))
    if other.notes:
        survivor.notes = f"{survivor.notes}\n{other.notes}" if survivor.notes else other.notes
    other.status = MERGED
    other.merged_into_id = survivor.id


def merged_envelope(merge: Merge) -> Envelope:
    """`leads.lead.merged.v1`: on the survivor's timeline, since `lead_id` is the survivor."""
    return Envelope.new(LEAD_MERGED, {
        "lead_id": merge.survivor.id,
        "merged_lead_id": merge.merged.id,
        "merged_by": merge.merged_by,
        "owner_id": merge.survivor.owner_id,
        "merged_lead_owner_id": merge.merged.owner_id,
        "merged_lead_pool_id": merge.merged.pool_id,
        "channel": merge.merged.channel,
        "moved": merge.moved,
        "merged_at": format_time(merge.at),
    }, producer=SERVICE)
