"""Read model `channel_stats`: the funnel per acquisition channel, counted from the thin-flow events."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_shared.envelope import Envelope
from reporting import events
from reporting.db import channel_stats
from reporting.projections.base import Projection
from reporting.projections.changes import Changes

COUNTERS = ("leads_created", "leads_claimed", "leads_converted", "customers", "tickets")

# Which counter each event adds one to.
COUNTER_OF_EVENT = {
    events.LEAD_CREATED: "leads_created",
    events.LEAD_CLAIMED: "leads_claimed",
    events.LEAD_CONVERTED: "leads_converted",
    events.CUSTOMER_CREATED: "customers",
    events.TICKET_OPENED: "tickets",
}

# Counted rather than refused: an event dead-lettered for a missing channel would vanish from the
# archive and the totals, while a visible "unknown" row keeps the totals right.
UNKNOWN_CHANNEL = "unknown"


def counter_for(envelope: Envelope) -> tuple[str, str]:
    """The (channel, counter) that `envelope` adds one to."""
    channel = envelope.payload.get("channel")
    if not isinstance(channel, str) or not channel.strip():
        channel = UNKNOWN_CHANNEL
    return channel, COUNTER_OF_EVENT[envelope.name]


def count(envelope: Envelope, changes: Changes) -> None:
    """Add one to the event's counter of its channel.

    An UPSERT, never read-modify-write: concurrent workers serialise on the row (or on the primary key
    while the row is new) inside the database, so no increment is lost. Every counter is added to (the
    others by 0), so all the channels of a batch go in one statement. `updated_at` is the time of the
    newest event counted, which a rebuild reproduces exactly.
    """
    channel, counter = counter_for(envelope)
    add = dict.fromkeys(COUNTERS, 0)
    add[counter] = 1
    at = envelope.occurred
    changes.upsert(channel_stats, {"channel": channel}, at, add=add, latest={"updated_at": at})


def rows(session: Session) -> list[dict[str, Any]]:
    """Every channel's counters, sorted by channel."""
    result = session.execute(select(channel_stats).order_by(channel_stats.c.channel))
    return [dict(row) for row in result.mappings()]


PROJECTION = Projection(
    name="channel_stats",
    tables=(channel_stats,),
    handlers={name: count for name in COUNTER_OF_EVENT},
)
