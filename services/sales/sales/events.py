"""The events the sales service publishes: names and payloads (see contracts/ for examples)."""
from __future__ import annotations

from crm_shared.envelope import Envelope, format_time
from sales.config import SERVICE
from sales.domain import CustomerCreated

CUSTOMER_CREATED = "sales.customer.created.v1"


def to_envelope(event) -> Envelope:
    """The wire form of a domain event: ids and the facts consumers need, never a row dump."""
    if isinstance(event, CustomerCreated):
        customer = event.customer
        payload = {
            "customer_id": customer.id,
            "lead_id": customer.lead_id,
            "name": customer.name,
            "owner_id": customer.owner_id,
            "channel": customer.channel,
            "contact_name": customer.contact_name,
            "phone": customer.phone,
            "email": customer.email,
            "created_at": format_time(customer.created_at),
        }
        return Envelope.new(CUSTOMER_CREATED, payload, producer=SERVICE)
    raise TypeError(f"no wire form for {type(event).__name__}")
