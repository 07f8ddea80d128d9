"""Reactions that keep what SLA policies are chosen by: the level sales gives a customer."""
from __future__ import annotations

from crm_shared.envelope import Envelope, parse_time

CUSTOMER_UPDATED = "sales.customer.updated.v1"


class InvalidLevelPayload(ValueError):
    """A customer update without the facts the level needs; the consumer dead-letters it."""


def remember_customer_level(envelope: Envelope, uow) -> None:
    """Keep the customer's level (null when sales cleared it); an update older than the one kept is ignored."""
    payload = envelope.payload
    customer_id, level, updated_at = payload.get("customer_id"), payload.get("level"), payload.get("updated_at")
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise InvalidLevelPayload(f"payload field 'customer_id' must be a non-empty string, not {customer_id!r}")
    if level is not None and (not isinstance(level, str) or len(level) > 50):
        raise InvalidLevelPayload(f"payload field 'level' must be a short string or null, not {level!r}")
    try:
        since = parse_time(updated_at)
    except (TypeError, ValueError) as error:
        raise InvalidLevelPayload(f"payload field 'updated_at' must be a UTC time, not {updated_at!r}") from error
    uow.sla.set_level(customer_id, level or None, since)
