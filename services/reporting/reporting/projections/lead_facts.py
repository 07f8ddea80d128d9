"""Read models `fact_leads`, `fact_pool_moves` and the lead half of `fact_follow_ups`, from the lead pool's events."""
from __future__ import annotations

from crm_shared.envelope import Envelope
from reporting import events
from reporting.db import fact_follow_ups, fact_leads, fact_pool_moves
from reporting.projections.base import Projection
from reporting.projections.changes import Changes
from reporting.projections.facts import moment, text


def _describing(payload) -> dict:
    # Facts every lead event may carry; the first one to arrive fills them, later ones never overwrite.
    return {
        "company": text(payload.get("company"), 300),
        "channel": text(payload.get("channel"), 50),
        "campaign": text(payload.get("campaign"), 100),
        "region": text(payload.get("region"), 100),
        "industry": text(payload.get("industry"), 100),
    }


def _lead(changes: Changes, envelope: Envelope, first=None, **rules) -> None:
    payload = envelope.payload
    changes.upsert(
        fact_leads,
        {"lead_id": payload["lead_id"]},
        envelope.occurred,
        first={**_describing(payload), **(first or {})},
        defaults={"status": "pool"},
        **rules,
    )


def _pool_move(changes: Changes, envelope: Envelope, direction: str, kind: str, owner_id, at) -> None:
    payload = envelope.payload
    changes.insert_ignoring_duplicates(
        fact_pool_moves,
        [
            {
                "event_id": envelope.id,
                "lead_id": payload["lead_id"],
                "pool_id": payload.get("pool_id"),
                "direction": direction,
                "kind": kind,
                "reason": text(payload.get("reason"), 300),
                "rule": text(payload.get("rule"), 200),
                "channel": text(payload.get("channel"), 50),
                "owner_id": owner_id,
                "at": at,
            }
        ],
    )


def created(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    at = moment(payload.get("created_at")) or envelope.occurred
    _lead(changes, envelope, first={"created_at": at}, state={"status": "pool", "owner_id": None, "pool_id": payload.get("pool_id")})
    _pool_move(changes, envelope, "in", "created", None, at)


def taken(kind: str):
    """A rep claimed the lead, or a pool admin distributed it: it has an owner and left the pool."""

    def apply(envelope: Envelope, changes: Changes) -> None:
        payload = envelope.payload
        at = moment(payload.get(f"{kind}_at")) or envelope.occurred
        _lead(
            changes,
            envelope,
            first={"customer_id": payload.get("customer_id")},
            state={"status": "claimed", "owner_id": payload.get("owner_id"), "pool_id": None},
            latest={"claimed_at": at},
        )
        _pool_move(changes, envelope, "out", kind, payload.get("owner_id"), at)

    return apply


def left(kind: str):
    """The lead went back to a public pool: returned by its rep, or recycled by a rule."""

    def apply(envelope: Envelope, changes: Changes) -> None:
        payload = envelope.payload
        at = moment(payload.get(f"{kind}_at")) or envelope.occurred
        _lead(
            changes,
            envelope,
            state={"status": kind, "owner_id": None, "pool_id": payload.get("pool_id")},
            latest={"left_at": at},
        )
        _pool_move(changes, envelope, "in", kind, payload.get("previous_owner_id"), at)

    return apply


def converted(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    at = moment(payload.get("converted_at")) or envelope.occurred
    _lead(
        changes, envelope, first={"converted_at": at}, state={"status": "converted", "owner_id": payload.get("owner_id"), "pool_id": None}
    )


def merged(envelope: Envelope, changes: Changes) -> None:
    """The merged-away lead is gone as it stood (its owner and pool kept); the surviving one keeps its own row.

    The whole state, not the status alone: a state names every column its time guards (projections/facts.py),
    or this newer event would shut out the owner and pool of an older one that arrives after it."""
    payload = envelope.payload
    changes.upsert(
        fact_leads,
        {"lead_id": payload["merged_lead_id"]},
        envelope.occurred,
        state={"status": "merged", "owner_id": payload.get("merged_lead_owner_id"),
               "pool_id": payload.get("merged_lead_pool_id")},
        defaults={"status": "merged"},
    )


def follow_up_logged(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    at = moment(payload.get("logged_at")) or envelope.occurred
    changes.insert_ignoring_duplicates(
        fact_follow_ups,
        [
            {
                "follow_up_id": payload["follow_up_id"],
                "subject": "lead",
                "lead_id": payload.get("lead_id"),
                "owner_id": payload.get("owner_id"),
                "kind": text(payload.get("kind"), 30),
                "at": at,
            }
        ],
    )
    _lead(changes, envelope, add={"follow_ups": 1}, earliest={"first_follow_up_at": at})


PROJECTION = Projection(
    name="lead_facts",
    tables=(fact_leads, fact_pool_moves, fact_follow_ups),
    handlers={
        events.LEAD_CREATED: created,
        events.LEAD_CLAIMED: taken("claimed"),
        events.LEAD_DISTRIBUTED: taken("distributed"),
        events.LEAD_RETURNED: left("returned"),
        events.LEAD_RECYCLED: left("recycled"),
        events.LEAD_CONVERTED: converted,
        events.LEAD_MERGED: merged,
        events.FOLLOW_UP_LOGGED: follow_up_logged,
    },
)
