"""Reactions of sales to other services' events: functions of (event, unit of work)."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from crm_shared.directory import USER_CHANGED, USER_REGISTERED, keep_user_in_directory
from crm_shared.envelope import Envelope, parse_time, utc_now
from sales.contacts import Contact
from sales.domain import (
    BY_CLAIM,
    BY_DISTRIBUTION,
    BY_LEAD_RECYCLING,
    BY_LEAD_RETURN,
    ConvertedLead,
    Customer,
    FirstOpportunity,
)
from sales.opportunities import Opportunity, opportunity_id_for_conversion
from sales.ticket_handlers import TICKET_OPPORTUNITY_REQUESTED, open_opportunity_requested_from_ticket
from sales.uow import SalesUnitOfWork

log = logging.getLogger(__name__)

LEAD_CONVERTED = "leads.lead.converted.v1"
LEAD_CLAIMED = "leads.lead.claimed.v1"
LEAD_DISTRIBUTED = "leads.lead.distributed.v1"
LEAD_RETURNED = "leads.lead.returned.v1"
LEAD_RECYCLED = "leads.lead.recycled.v1"

AMOUNT = re.compile(r"^\d{1,16}(\.\d{1,2})?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class InvalidPayload(ValueError):
    """An event whose payload lacks a fact the handler needs; the consumer dead-letters it."""


def _text(payload: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayload(f"payload field {key!r} must be a non-empty string, not {value!r}")
    return value


def _time(payload: Mapping[str, Any], key: str) -> datetime:
    try:
        return parse_time(_text(payload, key))
    except ValueError as error:
        raise InvalidPayload(f"payload field {key!r} must be a UTC time, not {payload.get(key)!r}") from error


def first_opportunity(value: Any) -> FirstOpportunity | None:
    """The `opportunity` of a conversion payload, or None when the rep named none."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidPayload(f"payload field 'opportunity' must be an object or null, not {value!r}")
    try:
        amount, currency = _text(value, "amount"), _text(value, "currency")
        if not AMOUNT.match(amount):
            raise InvalidPayload(f"amount must be a decimal string such as '12000.50', not {amount!r}")
        if not CURRENCY.match(currency):
            raise InvalidPayload(f"currency must be an ISO 4217 code, not {currency!r}")
        close_date = _text(value, "expected_close_date", required=False)
        return FirstOpportunity(
            name=_text(value, "name"),
            amount=Decimal(amount),
            currency=currency,
            expected_close_date=date.fromisoformat(close_date) if close_date else None,
        )
    except (InvalidPayload, InvalidOperation, ValueError) as error:
        raise InvalidPayload(f"payload field 'opportunity' is not valid: {error}") from error


def converted_lead(payload: Mapping[str, Any]) -> ConvertedLead:
    """The facts of a `leads.lead.converted.v1` payload; unknown fields are ignored (they may be new)."""
    return ConvertedLead(
        lead_id=_text(payload, "lead_id"),
        owner_id=_text(payload, "owner_id"),
        company=_text(payload, "company"),
        channel=_text(payload, "channel"),
        converted_at=_time(payload, "converted_at"),
        contact_name=_text(payload, "contact_name", required=False),
        phone=_text(payload, "phone", required=False),
        email=_text(payload, "email", required=False),
        region=_text(payload, "region", required=False),
        industry=_text(payload, "industry", required=False),
        campaign=_text(payload, "campaign", required=False),
        opportunity=first_opportunity(payload.get("opportunity")),
    )


def create_customer_from_converted_lead(envelope: Envelope, uow: SalesUnitOfWork) -> None:
    """A converted lead becomes a customer, once, with the opportunity the rep named; the consumer commits."""
    lead = converted_lead(envelope.payload)
    now = utc_now()
    # A lead converted again after its customer came back from the public pool keeps its customer; the
    # same conversion published twice (a second event id) finds it too.
    customer = uow.customers.get_by_lead(lead.lead_id)
    if customer is None:
        customer = Customer.from_converted_lead(lead, now)
        uow.customers.add(customer)
        if lead.contact_name:
            uow.contacts.replace(customer.id, [Contact.new(lead.contact_name, True, phone=lead.phone, email=lead.email)])
    if lead.opportunity is None:
        return
    opportunity_id = opportunity_id_for_conversion(lead.lead_id, lead.converted_at)
    if uow.opportunities.get(opportunity_id) is not None:
        return
    first = lead.opportunity
    uow.opportunities.add(Opportunity.open(
        customer, name=first.name, amount=first.amount, currency=first.currency,
        expected_close_date=first.expected_close_date, owner_id=lead.owner_id, created_by=lead.owner_id,
        now=now, opportunity_id=opportunity_id, stage=uow.stages.pipeline().first.key, source="conversion",
    ))


def _customer_follows_lead(envelope: Envelope, uow: SalesUnitOfWork, reason: str) -> None:
    payload = envelope.payload
    lead_id, owner_id = _text(payload, "lead_id"), _text(payload, "owner_id")
    customer = uow.customers.get_by_lead(lead_id)
    if customer is None:
        return  # a lead that never became a customer: nothing of ours changes hands
    # Stamped when sales applies it, so the customer's history stays in the order it changed here.
    if customer.follow_lead_owner(owner_id, reason, envelope.actor or owner_id, utc_now()):
        log.info("customer %s follows lead %s to %s (%s)", customer.id, lead_id, owner_id, reason)


def take_customer_of_claimed_lead(envelope: Envelope, uow: SalesUnitOfWork) -> None:
    """A rep claimed a lead that is a customer (back from the public pool): they own the customer now."""
    _customer_follows_lead(envelope, uow, BY_CLAIM)


def take_customer_of_distributed_lead(envelope: Envelope, uow: SalesUnitOfWork) -> None:
    """A lead that is a customer was given to a rep: they own the customer now."""
    _customer_follows_lead(envelope, uow, BY_DISTRIBUTION)


def _customer_released_with_lead(envelope: Envelope, uow: SalesUnitOfWork, reason: str) -> None:
    payload = envelope.payload
    lead_id, previous_owner_id = _text(payload, "lead_id"), _text(payload, "previous_owner_id")
    customer = uow.customers.get_by_lead(lead_id)
    if customer is None:
        return
    if not customer.release_with_lead(previous_owner_id, reason, envelope.actor or previous_owner_id, utc_now()):
        log.info("customer %s stays with %s although lead %s was %s", customer.id, customer.owner_id, lead_id, reason)


def release_customer_of_returned_lead(envelope: Envelope, uow: SalesUnitOfWork) -> None:
    """A rep returned a lead that is a customer (claimed again after a return) in the lead pool: the customer goes too."""
    _customer_released_with_lead(envelope, uow, BY_LEAD_RETURN)


def release_customer_of_recycled_lead(envelope: Envelope, uow: SalesUnitOfWork) -> None:
    """Recycling took back a lead that is a customer: the customer goes to the pool with it."""
    _customer_released_with_lead(envelope, uow, BY_LEAD_RECYCLING)


def keep_user(envelope: Envelope, uow: SalesUnitOfWork) -> None:
    """A user registered or changed in the gateway: the directory takes their roles, teams and active flag."""
    keep_user_in_directory(envelope, uow.directory)


HANDLERS: dict[str, Callable[[Envelope, SalesUnitOfWork], None]] = {
    LEAD_CONVERTED: create_customer_from_converted_lead,
    # A customer returned to the public pool goes back with its lead; whoever takes the lead takes the customer.
    LEAD_CLAIMED: take_customer_of_claimed_lead,
    LEAD_DISTRIBUTED: take_customer_of_distributed_lead,
    # And a lead that goes back to a public pool takes its customer along (unless a deal was won).
    LEAD_RETURNED: release_customer_of_returned_lead,
    LEAD_RECYCLED: release_customer_of_recycled_lead,
    # Who is in which team: managers see their teams' customers.
    USER_REGISTERED: keep_user,
    USER_CHANGED: keep_user,
    # An agent spotted a need in a ticket: the customer's owner gets the deal, and the ticket links to it.
    TICKET_OPPORTUNITY_REQUESTED: open_opportunity_requested_from_ticket,
}
