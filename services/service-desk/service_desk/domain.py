"""The ticket aggregate, the customers the desk knows of, and the events a ticket records."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

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
OPPORTUNITY_NAME_MAX = 200
NOTE_MAX = 2_000


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


class OpportunityAlreadyRequested(APIError):
    def __init__(self):
        super().__init__(409, "opportunity_already_requested", "An opportunity was already asked for from this "
                         "ticket; a new request is possible only once sales has refused it.")


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


@dataclass(frozen=True)
class OpportunityRequest:
    """What an agent who spotted a sales need tells sales: a name for the deal, perhaps an amount, and a note."""

    name: str
    currency: str
    amount: Decimal | None = None
    note: str | None = None


@dataclass
class OpportunityRequested:
    ticket: "Ticket"
    request: OpportunityRequest


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
    # The opportunity asked for from this ticket: who asked and when; the deal sales opened, or why it refused.
    opportunity_requested_at: datetime | None = None
    opportunity_requested_by: str | None = None
    opportunity_id: str | None = None
    opportunity_refusal: str | None = None
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

    def request_opportunity(self, request: OpportunityRequest, user_id: str, now: datetime) -> None:
        """Ask sales for an opportunity for the ticket's customer, once (again only after sales refused)."""
        if self.opportunity_requested_at is not None and self.opportunity_refusal is None:
            raise OpportunityAlreadyRequested()
        if not request.name.strip() or len(request.name) > OPPORTUNITY_NAME_MAX:
            raise ValueError(f"an opportunity name has 1 to {OPPORTUNITY_NAME_MAX} characters and is not blank")
        if request.note is not None and len(request.note) > NOTE_MAX:
            raise ValueError(f"a note has at most {NOTE_MAX} characters")
        self.opportunity_requested_at = now
        self.opportunity_requested_by = user_id
        self.opportunity_id = None
        self.opportunity_refusal = None
        self.events.append(OpportunityRequested(self, request))

    def link_opportunity(self, opportunity_id: str) -> bool:
        """Sales opened a deal from this ticket: the ticket names it. False if it names one already."""
        if self.opportunity_id is not None:
            return False
        self.opportunity_id = opportunity_id
        self.opportunity_refusal = None
        return True

    def opportunity_refused(self, requested_at: datetime, reason: str) -> bool:
        """Sales could not open the deal asked for at `requested_at` (say, the customer is in the public pool); the
        agent may ask again.

        False when there is nothing to refuse: that request is not the pending one, or a deal is linked already."""
        if self.opportunity_requested_at != requested_at or self.opportunity_id is not None:
            return False
        self.opportunity_refusal = reason
        return True
