"""Reactions of the service desk to other services' events: functions of (event, unit of work)."""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from crm_shared.directory import USER_CHANGED, USER_REGISTERED, keep_user_in_directory
from crm_shared.envelope import Envelope, parse_time
from service_desk.domain import KnownCustomer
from service_desk.sla_handlers import CUSTOMER_UPDATED, remember_customer_level
from service_desk.uow import ServiceDeskUnitOfWork

CUSTOMER_CREATED = "sales.customer.created.v1"
CUSTOMER_RETURNED = "sales.customer.returned.v1"
CUSTOMER_OWNER_CHANGED = "sales.customer.owner_changed.v1"
OPPORTUNITY_OPENED = "sales.opportunity.opened.v1"
OPPORTUNITY_REQUEST_REFUSED = "sales.opportunity_request.refused.v1"

log = logging.getLogger(__name__)


class InvalidPayload(ValueError):
    """An event whose payload lacks a fact the handler needs; the consumer dead-letters it."""


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayload(f"payload field {key!r} must be a non-empty string, not {value!r}")
    return value


def known_customer(payload: Mapping[str, Any]) -> KnownCustomer:
    """The facts of a `sales.customer.created.v1` payload the desk keeps; other fields are ignored."""
    return KnownCustomer(
        customer_id=_text(payload, "customer_id"),
        owner_id=_text(payload, "owner_id"),
        channel=_text(payload, "channel"),
        name=_text(payload, "name"),
    )


def remember_customer(envelope: Envelope, uow: ServiceDeskUnitOfWork) -> None:
    """Keep the new customer in the replica, so tickets can name it; the consumer commits."""
    uow.customers.remember(known_customer(envelope.payload))


def _time(payload: Mapping[str, Any], key: str):
    try:
        return parse_time(_text(payload, key))
    except ValueError as error:
        raise InvalidPayload(f"payload field {key!r} must be a UTC time, not {payload.get(key)!r}") from error


def forget_owner_of_returned_customer(envelope: Envelope, uow: ServiceDeskUnitOfWork) -> None:
    """The customer went back to the public pool: its former owner no longer sees or opens its tickets."""
    payload = envelope.payload
    uow.customers.change_owner(_text(payload, "customer_id"), None, _time(payload, "returned_at"))


def follow_new_owner_of_customer(envelope: Envelope, uow: ServiceDeskUnitOfWork) -> None:
    """The customer has a new owner in sales: they see and open its tickets now."""
    payload = envelope.payload
    owner_id = payload.get("owner_id")
    owner = _text(payload, "owner_id") if owner_id is not None else None
    uow.customers.change_owner(_text(payload, "customer_id"), owner, _time(payload, "changed_at"))


def link_opportunity_to_ticket(envelope: Envelope, uow: ServiceDeskUnitOfWork) -> None:
    """Sales opened a deal naming one of our tickets (asked for from it): the ticket names the deal."""
    payload = envelope.payload
    ticket_id = payload.get("source_ticket_id")
    if ticket_id is None:
        return  # most deals come from no ticket
    ticket = uow.tickets.get(_text(payload, "source_ticket_id"))
    if ticket is None:
        log.warning("opportunity %s names ticket %s, which the desk does not know", payload.get("opportunity_id"),
                    ticket_id)
        return
    ticket.link_opportunity(_text(payload, "opportunity_id"))


def record_opportunity_refusal(envelope: Envelope, uow: ServiceDeskUnitOfWork) -> None:
    """Sales opened no deal for the ticket's request: the ticket says why, and the agent may ask again."""
    payload = envelope.payload
    ticket = uow.tickets.get(_text(payload, "ticket_id"))
    if ticket is not None:
        ticket.opportunity_refused(_time(payload, "requested_at"), _text(payload, "reason"))


def keep_user(envelope: Envelope, uow: ServiceDeskUnitOfWork) -> None:
    """A user registered or changed in the gateway: the desk learns its agents, team leads and service managers."""
    keep_user_in_directory(envelope, uow.directory)


HANDLERS: dict[str, Callable[[Envelope, ServiceDeskUnitOfWork], None]] = {
    CUSTOMER_CREATED: remember_customer,
    # Who owns the customer decides which rep sees its tickets: the replica follows sales.
    CUSTOMER_RETURNED: forget_owner_of_returned_customer,
    CUSTOMER_OWNER_CHANGED: follow_new_owner_of_customer,
    # The opportunity an agent asked for from a ticket: linked once sales opened it, or the reason it did not.
    OPPORTUNITY_OPENED: link_opportunity_to_ticket,
    OPPORTUNITY_REQUEST_REFUSED: record_opportunity_refusal,
    # Who the agents are, and who may lead groups or hear of escalations: the gateway's directory.
    USER_REGISTERED: keep_user,
    USER_CHANGED: keep_user,
    # SLA policies may be chosen by the customer's level, which sales sets on the customer.
    CUSTOMER_UPDATED: remember_customer_level,
}
