"""What other services report about a lead goes on its timeline: the customer made of it, its tickets and deals."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from crm_shared.envelope import Envelope
from leads.follow_ups import TimelineEntry, _time_or, customer_created_entry, ticket_opened_entry
from leads.uow import LeadsUnitOfWork

log = logging.getLogger(__name__)

CUSTOMER_CREATED = "sales.customer.created.v1"
TICKET_OPENED = "service_desk.ticket.opened.v1"
TICKET_CLOSED = "service_desk.ticket.closed.v1"
TICKET_REOPENED = "service_desk.ticket.reopened.v1"
OPPORTUNITY_OPENED = "sales.opportunity.opened.v1"
OPPORTUNITY_CLOSED = "sales.opportunity.closed.v1"


class InvalidPayload(ValueError):
    """An event whose payload lacks a fact the handler needs; the consumer dead-letters it."""


def _id(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayload(f"payload field {key!r} must be a non-empty string, not {value!r}")
    return value


def remember_customer_of_lead(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """Sales made a customer of a lead: remember which, and say so on the lead's timeline."""
    customer_id, lead_id = _id(envelope.payload, "customer_id"), envelope.payload.get("lead_id")
    if not lead_id:
        return  # a customer sales created directly: no lead of ours
    if uow.customer_leads.lead_of(customer_id) is not None:
        return  # the same fact published again under another event id
    uow.customer_leads.remember(customer_id, _id(envelope.payload, "lead_id"))
    lead = uow.leads.get(lead_id)
    if lead is not None:
        lead.became_customer(customer_id)
    uow.timeline.add([customer_created_entry(envelope)])


def put_ticket_on_lead_timeline(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """A ticket opened for a customer who came from one of our leads is a line on that lead's timeline."""
    customer_id = _id(envelope.payload, "customer_id")
    _id(envelope.payload, "ticket_id")
    lead_id = uow.customer_leads.lead_of(customer_id)
    if lead_id is None:
        log.info("ticket %s is for customer %s, who came from no lead of ours", envelope.payload["ticket_id"], customer_id)
        return
    uow.timeline.add([ticket_opened_entry(envelope, lead_id)])


def ticket_closed_entry(envelope: Envelope, lead_id: str) -> TimelineEntry:
    """The line a `service_desk.ticket.closed.v1` event puts on the timeline of the customer's lead."""
    payload = envelope.payload
    resolution = payload.get("resolution")
    detail = {key: payload.get(key) for key in ("ticket_id", "customer_id", "status", "resolution", "closed_by")}
    return TimelineEntry(
        lead_id=lead_id, kind="ticket_closed", at=_time_or(payload.get("closed_at"), envelope), actor_id=envelope.actor,
        summary=("Ticket closed" + (f": {resolution}" if resolution else ""))[:500], detail=detail,
        source_event_id=envelope.id,
    )


def opportunity_entry(envelope: Envelope, lead_id: str) -> TimelineEntry:
    """The line an opportunity opened, won or lost in sales puts on the timeline of the customer's lead."""
    payload = envelope.payload
    deal = f"{payload.get('name') or ''} ({payload.get('amount')} {payload.get('currency')})"
    if envelope.name == OPPORTUNITY_OPENED:
        kind, at, summary = "opportunity_opened", payload.get("opened_at"), f"Opportunity opened: {deal}"
    else:
        outcome = payload.get("outcome")
        kind, at, summary = f"opportunity_{outcome}", payload.get("closed_at"), f"Opportunity {outcome}: {deal}"
    keys = ("opportunity_id", "customer_id", "name", "stage", "amount", "currency", "owner_id", "outcome", "reason")
    return TimelineEntry(
        lead_id=lead_id, kind=kind, at=_time_or(at, envelope), actor_id=envelope.actor, summary=summary[:500],
        detail={key: payload[key] for key in keys if key in payload}, source_event_id=envelope.id,
    )
