"""Reactions that keep leads out of recycling: a ticket opened for the customer a lead became."""
from __future__ import annotations

from crm_shared.envelope import Envelope
from leads.follow_ups import _time_or
from leads.timeline_handlers import _id, put_ticket_on_lead_timeline
from leads.uow import LeadsUnitOfWork


def note_ticket_opened(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """A ticket opened for a lead's customer: a line on the lead's timeline, and the lead is not recycled.

    No `service_desk.ticket.closed` event exists yet, so a lead stays excluded once it has had a ticket.
    """
    put_ticket_on_lead_timeline(envelope, uow)
    customer_id, ticket_id = _id(envelope.payload, "customer_id"), _id(envelope.payload, "ticket_id")
    lead_id = uow.customer_leads.lead_of(customer_id)
    if lead_id is not None:
        uow.recycling.ticket_opened(ticket_id, lead_id, customer_id, _time_or(envelope.payload.get("opened_at"), envelope))
