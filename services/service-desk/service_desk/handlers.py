"""Reactions of the service desk to other services' events: functions of (event, unit of work)."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from crm_shared.envelope import Envelope
from service_desk.domain import KnownCustomer
from service_desk.uow import ServiceDeskUnitOfWork

CUSTOMER_CREATED = "sales.customer.created.v1"


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


HANDLERS: dict[str, Callable[[Envelope, ServiceDeskUnitOfWork], None]] = {
    CUSTOMER_CREATED: remember_customer,
}
