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
CLOSED = "closed"
# Later issues add the rest of the lifecycle (in progress, resolved).
STATUSES = (NEW, CLOSED)

SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000
RESOLUTION_MAX = 2_000


class TicketClosedAlready(APIError):
    def __init__(self):
        super().__init__(409, "ticket_closed", "This ticket is already closed.")


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
    owner_id: str | None
    channel: str
    name: str


@dataclass
class TicketOpened:
    ticket: "Ticket"
    customer_owner_id: str | None


@dataclass
class TicketClosed:
    ticket: "Ticket"
    customer_owner_id: str | None


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
    closed_at: datetime | None = None
    closed_by: str | None = None
    resolution: str | None = None
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

    def close(self, customer: KnownCustomer, user_id: str, now: datetime, resolution: str | None = None) -> None:
        """Done with: the ticket no longer keeps its customer's lead from being recycled."""
        if self.status == CLOSED:
            raise TicketClosedAlready()
        if resolution is not None and len(resolution) > RESOLUTION_MAX:
            raise ValueError(f"a resolution has at most {RESOLUTION_MAX} characters")
        self.status = CLOSED
        self.closed_at = now
        self.closed_by = user_id
        self.resolution = resolution
        self.events.append(TicketClosed(self, customer_owner_id=customer.owner_id))
