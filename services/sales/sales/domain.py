"""The customer aggregate: made once from a converted lead, and the events it records."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ConvertedLead:
    """What the lead pool tells sales about a lead a rep converted: the facts a customer starts from."""

    lead_id: str
    owner_id: str
    company: str
    channel: str
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass
class CustomerCreated:
    customer: "Customer"


@dataclass
class Customer:
    """A company the CRM sells to, owned by one rep."""

    id: str
    name: str
    owner_id: str
    channel: str
    created_at: datetime
    lead_id: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_converted_lead(cls, lead: ConvertedLead, now: datetime) -> "Customer":
        """The customer a converted lead becomes: same owner, channel and contact."""
        customer = cls(
            id=str(uuid.uuid4()),
            name=lead.company,
            lead_id=lead.lead_id,
            owner_id=lead.owner_id,
            channel=lead.channel,
            contact_name=lead.contact_name,
            phone=lead.phone,
            email=lead.email,
            created_at=now,
        )
        customer.events.append(CustomerCreated(customer))
        return customer
