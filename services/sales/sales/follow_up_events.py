"""The event a follow-up publishes, and the refusal of an opportunity a ticket asked for (see contracts/events/)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from sales.config import SERVICE
from sales.follow_ups import FollowUp

# Reporting counts the activity of each author.
FOLLOW_UP_RECORDED = "sales.follow_up.recorded.v1"
# An agent asked for an opportunity from a ticket and sales could not open it: the ticket shows why.
OPPORTUNITY_REQUEST_REFUSED = "sales.opportunity_request.refused.v1"
# Why: the customer waits in the public pool (nobody could own the deal), or sales does not know it.
CUSTOMER_IN_POOL = "customer_in_pool"
UNKNOWN_CUSTOMER = "unknown_customer"


def _time(moment) -> str | None:
    return format_time(moment) if moment else None


def follow_up_recorded(follow_up: FollowUp, customer_owner_id: str | None) -> Envelope:
    """The wire form of a new follow-up: who recorded what kind of contact with which customer, and what is next."""
    payload = {
        "follow_up_id": follow_up.id,
        "customer_id": follow_up.customer_id,
        "opportunity_id": follow_up.opportunity_id,
        "customer_owner_id": customer_owner_id,
        "author_id": follow_up.author_id,
        "kind": follow_up.kind,
        "next_contact_at": _time(follow_up.next_contact_at),
        "recorded_at": _time(follow_up.recorded_at),
    }
    return Envelope.new(FOLLOW_UP_RECORDED, payload, producer=SERVICE, actor=follow_up.author_id)


def opportunity_request_refused(ticket_id: str, customer_id: str, requested_at, reason: str, refused_at) -> Envelope:
    """The wire form of a refusal: which ticket's request (by its time), and why."""
    payload = {
        "ticket_id": ticket_id,
        "customer_id": customer_id,
        "requested_at": _time(requested_at),
        "reason": reason,
        "refused_at": _time(refused_at),
    }
    return Envelope.new(OPPORTUNITY_REQUEST_REFUSED, payload, producer=SERVICE)
