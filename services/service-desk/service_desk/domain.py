"""The ticket aggregate, the customers the desk knows of, and the events a ticket records."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from crm_shared.errors import APIError

LOW = "low"
NORMAL = "normal"
HIGH = "high"
URGENT = "urgent"
PRIORITIES = (LOW, NORMAL, HIGH, URGENT)

NEW = "new"
# Later issues add the rest of the lifecycle (in progress, resolved, closed).
STATUSES = (NEW,)

SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000


class UnknownCustomer(APIError):
    """The ticket names a customer the desk does not know of (or that the caller may not see)."""

    def __init__(self):
        super().__init__(
            422,
            "unknown_customer",
            "Some fields are not valid. customer_id: No customer with this id.",
            {"customer_id": ["No customer with this id."]},
        )


@dataclass(frozen=True)
class KnownCustomer:
    """The desk's replica of a sales customer: just what tickets need to name and route it."""

    customer_id: str
    owner_id: str
    channel: str
    name: str


@dataclass
class TicketOpened:
    ticket: "Ticket"
    customer_owner_id: str


@dataclass
class Ticket:
    """A customer's request for help, from the moment someone opens it."""

    id: str
    customer_id: str
    subject: str
    priority: str
    status: str
    opened_by: str
    opened_at: datetime
    channel: str
    description: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def open(
        cls,
        customer: KnownCustomer,
        *,
        subject: str,
        opened_by: str,
        now: datetime,
        description: str | None = None,
        priority: str = NORMAL,
    ) -> "Ticket":
        """A new ticket for `customer`, in the customer's channel."""
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
        if not subject.strip() or len(subject) > SUBJECT_MAX:
            raise ValueError(f"a subject has 1 to {SUBJECT_MAX} characters and is not blank")
        if description is not None and len(description) > DESCRIPTION_MAX:
            raise ValueError(f"a description has at most {DESCRIPTION_MAX} characters")
        ticket = cls(
            id=str(uuid.uuid4()),
            customer_id=customer.customer_id,
            subject=subject,
            description=description,
            priority=priority,
            status=NEW,
            opened_by=opened_by,
            opened_at=now,
            channel=customer.channel,
        )
        ticket.events.append(TicketOpened(ticket, customer_owner_id=customer.owner_id))
        return ticket
