"""Sales' reaction to an agent asking, from a ticket, for an opportunity: open it once, or say why not."""
from __future__ import annotations

import logging
import re
import uuid
from decimal import Decimal
from typing import Any, Mapping

from crm_shared.envelope import Envelope, parse_time, utc_now
from sales.follow_up_events import CUSTOMER_IN_POOL, UNKNOWN_CUSTOMER, follow_up_recorded, opportunity_request_refused
from sales.follow_ups import FollowUp
from sales.opportunities import Opportunity
from sales.uow import SalesUnitOfWork

log = logging.getLogger(__name__)

TICKET_OPPORTUNITY_REQUESTED = "service_desk.ticket.opportunity_requested.v1"

# The opportunity asked for by a ticket gets an id derived from the request, so the request heard twice (a
# redelivery, or a republish under a new event id) opens one opportunity; a later request of the ticket, another.
TICKET_REQUEST_NAMESPACE = uuid.UUID("2f8e4c1a-7b3d-4e6f-9a0c-5d1b8e2f4a73")


AMOUNT = re.compile(r"^\d{1,16}(\.\d{1,2})?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class InvalidPayload(ValueError):
    """A request whose payload lacks a fact the handler needs; the consumer dead-letters it."""


def text(payload: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayload(f"payload field {key!r} must be a non-empty string, not {value!r}")
    return value


def amount_and_currency(payload: Mapping[str, Any]) -> tuple[Decimal | None, str]:
    """The amount the agent named (None when they named none) and its currency."""
    amount, currency = text(payload, "amount", required=False), text(payload, "currency")
    if amount is not None and not AMOUNT.match(amount):
        raise InvalidPayload(f"amount must be a decimal string such as '12000.50', not {amount!r}")
    if not CURRENCY.match(currency):
        raise InvalidPayload(f"currency must be an ISO 4217 code, not {currency!r}")
    return (Decimal(amount) if amount is not None else None), currency


def opportunity_id_for_ticket_request(ticket_id: str, requested_at) -> str:
    return str(uuid.uuid5(TICKET_REQUEST_NAMESPACE, f"{ticket_id}/{requested_at.isoformat()}"))


def open_opportunity_requested_from_ticket(envelope: Envelope, uow: SalesUnitOfWork) -> None:
    """Open the deal for the customer's owner (source `ticket`, naming the ticket), with the agent's note as a
    follow-up; a customer in the public pool or unknown here gets a refusal instead, which the ticket shows."""
    payload: Mapping[str, Any] = envelope.payload
    ticket_id, customer_id = text(payload, "ticket_id"), text(payload, "customer_id")
    requested_by, name = text(payload, "requested_by"), text(payload, "name")
    note = text(payload, "note", required=False)
    amount, currency = amount_and_currency(payload)
    try:
        requested_at = parse_time(text(payload, "requested_at"))
    except ValueError as error:
        raise InvalidPayload(f"payload field 'requested_at' must be a UTC time: {error}") from error
    opportunity_id = opportunity_id_for_ticket_request(ticket_id, requested_at)
    if uow.opportunities.get(opportunity_id) is not None:
        return
    now = utc_now()
    customer = uow.customers.get(customer_id)
    if customer is None or customer.owner_id is None:
        # Every deal has an owner: a customer in the public pool gets one when a rep claims it back, and then
        # the agent may ask again. Sales never heard of the customer: nobody here could own the deal either.
        reason = UNKNOWN_CUSTOMER if customer is None else CUSTOMER_IN_POOL
        log.info("opportunity requested from ticket %s refused: %s", ticket_id, reason)
        uow.emit(opportunity_request_refused(ticket_id, customer_id, requested_at, reason, now))
        return
    opportunity = Opportunity.open(
        customer, name=name, amount=amount if amount is not None else Decimal("0.00"), currency=currency,
        owner_id=customer.owner_id, created_by=requested_by, now=now, opportunity_id=opportunity_id,
        stage=uow.stages.pipeline().first.key, source="ticket", source_ticket_id=ticket_id,
    )
    uow.opportunities.add(opportunity)
    if note:
        # What the agent saw stays with the deal, in the customer's story.
        follow_up = FollowUp.record(customer_id=customer.id, author_id=requested_by, kind="note", content=note,
                                    now=now, opportunity_id=opportunity.id)
        uow.follow_ups.add(follow_up)
        uow.emit(follow_up_recorded(follow_up, customer.owner_id))
