"""Reactions of sales to other services' events: functions of (event, unit of work)."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from crm_shared.envelope import Envelope, utc_now
from sales.domain import ConvertedLead, Customer
from sales.uow import SalesUnitOfWork

LEAD_CONVERTED = "leads.lead.converted.v1"


class InvalidPayload(ValueError):
    """An event whose payload lacks a fact the handler needs; the consumer dead-letters it."""


def _text(payload: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayload(f"payload field {key!r} must be a non-empty string, not {value!r}")
    return value


def converted_lead(payload: Mapping[str, Any]) -> ConvertedLead:
    """The facts of a `leads.lead.converted.v1` payload; unknown fields are ignored (they may be new)."""
    return ConvertedLead(
        lead_id=_text(payload, "lead_id"),
        owner_id=_text(payload, "owner_id"),
        company=_text(payload, "company"),
        channel=_text(payload, "channel"),
        contact_name=_text(payload, "contact_name", required=False),
        phone=_text(payload, "phone", required=False),
        email=_text(payload, "email", required=False),
    )


def create_customer_from_converted_lead(envelope: Envelope, uow: SalesUnitOfWork) -> None:
    """A converted lead becomes a customer, once; the consumer commits it with its inbox row."""
    lead = converted_lead(envelope.payload)
    if uow.customers.get_by_lead(lead.lead_id) is not None:
        # The same conversion under another event id (a re-published outbox row is deduplicated
        # by the inbox; this covers a second publication of the fact itself).
        return
    uow.customers.add(Customer.from_converted_lead(lead, utc_now()))


HANDLERS: dict[str, Callable[[Envelope, SalesUnitOfWork], None]] = {
    LEAD_CONVERTED: create_customer_from_converted_lead,
}
