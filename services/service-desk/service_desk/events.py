"""The events the service desk publishes: names and payloads (see contracts/ for examples)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from service_desk.config import EVENT_PREFIX
from service_desk.kb_events import ARTICLE_PUBLISHED, SOLUTION_RECORDED  # noqa: F401  (published by kb_service)
from service_desk.domain import OpportunityRequested, TicketClosed, TicketOpened
from service_desk.ticket_events import (  # noqa: F401  (the ticket lifecycle's event names, published from here)
    RETURN_VISIT_COMPLETED,
    RETURN_VISIT_SCHEDULED,
    TICKET_ASSIGNED,
    TICKET_RATED,
    TICKET_REOPENED,
    TICKET_REPLIED,
    TICKET_STATUS_CHANGED,
    TICKET_SUBMITTED,
    TICKET_UPDATED,
    ticket_envelope,
)
from service_desk.sla_events import TICKET_SLA_BREACHED, TICKET_SLA_WARNING  # noqa: F401  (published by the SLA job)
from service_desk.workflow_events import (  # noqa: F401  (workflow rules' and escalation's event names)
    NOTIFICATION_REQUESTED,
    TICKET_ESCALATED,
    TICKET_HANDED_BACK,
)

TICKET_OPENED = f"{EVENT_PREFIX}.ticket.opened.v1"
TICKET_CLOSED = f"{EVENT_PREFIX}.ticket.closed.v1"
# An agent spotted a sales need: sales opens the opportunity for the customer's owner and names the ticket in it.
TICKET_OPPORTUNITY_REQUESTED = f"{EVENT_PREFIX}.ticket.opportunity_requested.v1"


def to_envelope(event) -> Envelope:
    """The wire form of a domain event: ids and the facts consumers need, never a row dump."""
    if isinstance(event, TicketOpened):
        ticket = event.ticket
        payload = {
            "ticket_id": ticket.id,
            "customer_id": ticket.customer_id,
            "customer_owner_id": event.customer_owner_id,
            "channel": ticket.channel,
            "subject": ticket.subject,
            "priority": ticket.priority,
            "status": ticket.status,
            "opened_at": format_time(ticket.opened_at),
        }
        # The producer is the service part of the event name, as subscribers expect.
        return Envelope.new(TICKET_OPENED, payload, producer=EVENT_PREFIX)
    if isinstance(event, TicketClosed):
        ticket = event.ticket
        payload = {
            "ticket_id": ticket.id,
            "customer_id": ticket.customer_id,
            "customer_owner_id": event.customer_owner_id,
            "channel": ticket.channel,
            "status": ticket.status,
            "resolution": ticket.resolution,
            "closed_by": ticket.closed_by,
            "closed_at": format_time(ticket.closed_at),
        }
        return Envelope.new(TICKET_CLOSED, payload, producer=EVENT_PREFIX)
    if isinstance(event, OpportunityRequested):
        ticket, request = event.ticket, event.request
        payload = {
            "ticket_id": ticket.id,
            "customer_id": ticket.customer_id,
            "requested_by": ticket.opportunity_requested_by,
            "requested_at": format_time(ticket.opportunity_requested_at),
            "name": request.name,
            "amount": None if request.amount is None else str(request.amount),
            "currency": request.currency,
            "note": request.note,
        }
        return Envelope.new(TICKET_OPPORTUNITY_REQUESTED, payload, producer=EVENT_PREFIX)
    envelope = ticket_envelope(event)
    if envelope is not None:
        return envelope
    raise TypeError(f"no wire form for {type(event).__name__}")
