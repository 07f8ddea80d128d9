"""The lead aggregate: who may claim and convert it, and the events it records."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from crm_shared.errors import APIError

POOL = "pool"
CLAIMED = "claimed"
CONVERTED = "converted"
STATUSES = (POOL, CLAIMED, CONVERTED)


class LeadRuleViolation(APIError):
    """A rule of the lead pool refused the action; the code names the rule."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(status, code, message)


@dataclass
class LeadCreated:
    lead: "Lead"


@dataclass
class LeadClaimed:
    lead: "Lead"


@dataclass
class LeadConverted:
    lead: "Lead"


@dataclass
class Lead:
    """A prospect in a pool until a rep claims it, then the rep's until converted."""

    id: str
    company: str
    contact_name: str
    channel: str
    created_at: datetime
    phone: str | None = None
    email: str | None = None
    status: str = POOL
    owner_id: str | None = None
    claimed_at: datetime | None = None
    converted_at: datetime | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def register(
        cls, *, company: str, contact_name: str, channel: str, now: datetime, phone: str | None = None, email: str | None = None
    ) -> "Lead":
        lead = cls(
            id=str(uuid.uuid4()),
            company=company,
            contact_name=contact_name,
            channel=channel,
            phone=phone,
            email=email,
            created_at=now,
        )
        lead.events.append(LeadCreated(lead))
        return lead

    def claim(self, rep_id: str, now: datetime) -> None:
        if self.status != POOL:
            raise LeadRuleViolation("lead_already_claimed", "Someone else has already claimed this lead.")
        self.status = CLAIMED
        self.owner_id = rep_id
        self.claimed_at = now
        self.events.append(LeadClaimed(self))

    def convert(self, user_id: str, now: datetime) -> None:
        if self.status == CONVERTED:
            raise LeadRuleViolation("lead_already_converted", "This lead has already been converted to a customer.")
        if self.status != CLAIMED or self.owner_id != user_id:
            raise LeadRuleViolation(
                "not_lead_owner", "Only the rep who owns this lead can convert it; claim it first.", status=403
            )
        self.status = CONVERTED
        self.converted_at = now
        self.events.append(LeadConverted(self))
