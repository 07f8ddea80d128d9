"""Reactions that keep leads out of recycling while their customer has an open ticket or an open opportunity."""
from __future__ import annotations

import logging

from crm_shared.envelope import Envelope
from leads.follow_ups import _time_or
from leads.timeline_handlers import InvalidPayload, _id, opportunity_entry, put_ticket_on_lead_timeline, ticket_closed_entry
from leads.uow import LeadsUnitOfWork

log = logging.getLogger(__name__)

OUTCOMES = ("won", "lost")


def _lead_of_customer(envelope: Envelope, uow: LeadsUnitOfWork) -> tuple[str, str | None]:
    customer_id = _id(envelope.payload, "customer_id")
    lead_id = uow.customer_leads.lead_of(customer_id)
    if lead_id is None:
        log.info("%s is about customer %s, who came from no lead of ours", envelope.name, customer_id)
    return customer_id, lead_id


def note_ticket_opened(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """A ticket opened for a lead's customer: a line on the lead's timeline, and the lead is not recycled."""
    put_ticket_on_lead_timeline(envelope, uow)
    customer_id, ticket_id = _id(envelope.payload, "customer_id"), _id(envelope.payload, "ticket_id")
    lead_id = uow.customer_leads.lead_of(customer_id)
    if lead_id is not None:
        uow.recycling.ticket_opened(ticket_id, lead_id, customer_id, _time_or(envelope.payload.get("opened_at"), envelope))


def note_ticket_closed(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """A ticket of a lead's customer closed: a timeline line, and it no longer keeps the lead from recycling."""
    ticket_id = _id(envelope.payload, "ticket_id")
    customer_id, lead_id = _lead_of_customer(envelope, uow)
    if lead_id is None:
        return
    uow.recycling.ticket_closed(ticket_id, lead_id, customer_id, _time_or(envelope.payload.get("closed_at"), envelope))
    uow.timeline.add([ticket_closed_entry(envelope, lead_id)])


def note_ticket_reopened(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """A closed ticket of a lead's customer was reopened: it keeps the lead from recycling again."""
    uow.recycling.ticket_reopened(_id(envelope.payload, "ticket_id"),
                                  _time_or(envelope.payload.get("reopened_at"), envelope))


def note_opportunity_opened(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """An opportunity opened for a lead's customer: a timeline line, and the lead is not recycled while it is open."""
    opportunity_id = _id(envelope.payload, "opportunity_id")
    customer_id, lead_id = _lead_of_customer(envelope, uow)
    if lead_id is None:
        return
    at = _time_or(envelope.payload.get("opened_at"), envelope)
    uow.recycling.opportunity_opened(opportunity_id, lead_id, customer_id, at)
    uow.timeline.add([opportunity_entry(envelope, lead_id)])


def note_opportunity_closed(envelope: Envelope, uow: LeadsUnitOfWork) -> None:
    """An opportunity of a lead's customer was won or lost: a timeline line, and it no longer keeps the lead."""
    opportunity_id = _id(envelope.payload, "opportunity_id")
    outcome = envelope.payload.get("outcome")
    if outcome not in OUTCOMES:
        raise InvalidPayload(f"payload field 'outcome' must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    customer_id, lead_id = _lead_of_customer(envelope, uow)
    if lead_id is None:
        return
    at = _time_or(envelope.payload.get("closed_at"), envelope)
    uow.recycling.opportunity_closed(opportunity_id, lead_id, customer_id, outcome, at)
    uow.timeline.add([opportunity_entry(envelope, lead_id)])
