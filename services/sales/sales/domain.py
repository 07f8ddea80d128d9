"""The customer aggregate: made from a converted lead, owned by one rep or waiting in the public pool."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from crm_shared.errors import APIError

if TYPE_CHECKING:
    from sales.contacts import Contact

# Why a customer changed hands, as kept in its ownership history.
BY_CONVERSION = "converted"
BY_RETURN = "returned"
BY_CLAIM = "claimed"
BY_DISTRIBUTION = "distributed"
BY_CREATION = "created"
# Its lead went back to a public pool in the lead pool (returned by the rep, or recycled).
BY_LEAD_RETURN = "lead_returned"
BY_LEAD_RECYCLING = "lead_recycled"

# Every refusal has one stable code and always the same HTTP status: 409 when the state of the customer
# or the opportunity is in the way, 403 when the rule is about the person.
RULE_STATUS = {
    "not_customer_owner": 403,
    "customer_in_pool": 409,
    "customer_has_won_deal": 409,
    "customer_changed": 409,
    "opportunity_closed": 409,
    "opportunity_changed": 409,
    "loss_reason_required": 422,
    "amount_from_lines": 409,
    "no_edit_access": 403,
    "ticket_required": 422,
    "unknown_level": 422,
    "owner_not_allowed": 403,
    "not_team_manager": 403,
}


class SalesRuleViolation(APIError):
    """A rule of sales refused the action; the code names the rule."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(RULE_STATUS[code], code, message, errors)


@dataclass(frozen=True)
class FirstOpportunity:
    """The deal a rep named while converting a lead: sales opens it with the customer."""

    name: str
    amount: Decimal
    currency: str
    expected_close_date: date | None = None


@dataclass(frozen=True)
class ConvertedLead:
    """What the lead pool tells sales about a lead a rep converted: the facts a customer starts from."""

    lead_id: str
    owner_id: str
    company: str
    channel: str
    converted_at: datetime
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    region: str | None = None
    industry: str | None = None
    campaign: str | None = None
    opportunity: FirstOpportunity | None = None


# What an edit may change; everything else has its own action (or none).
EDITABLE_FIELDS = ("name", "level", "industry", "region", "channel", "campaign")


@dataclass(frozen=True)
class CustomerProfile:
    """What a rep enters to create a customer directly."""

    name: str
    channel: str
    level: str | None = None
    region: str | None = None
    industry: str | None = None


@dataclass(frozen=True)
class OwnershipChange:
    """One line of a customer's ownership history: from whom to whom, why, by whom and when."""

    customer_id: str
    from_owner_id: str | None
    to_owner_id: str | None
    reason: str
    actor_id: str
    at: datetime
    detail: str | None = None


@dataclass
class CustomerCreated:
    customer: "Customer"


@dataclass
class CustomerReturned:
    customer: "Customer"
    previous_owner_id: str
    reason: str
    returned_at: datetime


@dataclass
class CustomerOwnerChanged:
    customer: "Customer"
    previous_owner_id: str | None
    reason: str
    changed_at: datetime


@dataclass
class Customer:
    """A company the CRM sells to: owned by one rep, or by nobody while it waits in the public pool."""

    id: str
    name: str
    owner_id: str | None
    channel: str
    created_at: datetime
    lead_id: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    region: str | None = None
    industry: str | None = None
    campaign: str | None = None
    # Won opportunities; kept on the customer so that returning it and winning a deal cannot both succeed.
    won_deals: int = 0
    level: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)
    ownership_changes: list[OwnershipChange] = field(default_factory=list, compare=False, repr=False)
    # Read with the customer for display; written through their own repositories.
    contacts: list = field(default_factory=list, compare=False, repr=False)
    team_members: list = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_converted_lead(cls, lead: ConvertedLead, now: datetime) -> "Customer":
        """The customer a converted lead becomes: same owner, channel, contact and market facts."""
        customer = cls(
            id=str(uuid.uuid4()),
            name=lead.company,
            lead_id=lead.lead_id,
            owner_id=lead.owner_id,
            channel=lead.channel,
            contact_name=lead.contact_name,
            phone=lead.phone,
            email=lead.email,
            region=lead.region,
            industry=lead.industry,
            campaign=lead.campaign,
            created_at=now,
        )
        customer._changed(None, lead.owner_id, BY_CONVERSION, lead.owner_id, now)
        customer.events.append(CustomerCreated(customer))
        return customer

    @classmethod
    def create(cls, profile: "CustomerProfile", owner_id: str, created_by: str, now: datetime,
               primary: "Contact | None" = None) -> "Customer":
        """A customer a rep (or a manager, for a rep) entered directly, not from a lead."""
        customer = cls(id=str(uuid.uuid4()), name=profile.name, owner_id=owner_id, channel=profile.channel,
                       created_at=now, level=profile.level, region=profile.region, industry=profile.industry)
        customer._primary_contact_is(primary)
        customer._changed(None, owner_id, BY_CREATION, created_by, now)
        customer.events.append(CustomerCreated(customer))
        return customer

    def edit(self, changes: dict, user_id: str, now: datetime) -> None:
        """Change the descriptive fields; owner, pool and won deals change only through their own actions."""
        refused = set(changes) - set(EDITABLE_FIELDS)
        if refused:
            raise ValueError(f"not editable: {', '.join(sorted(refused))}")
        if "name" in changes and (not changes["name"] or not changes["name"].strip()):
            raise ValueError("a customer's name is not blank")
        for name, value in changes.items():
            setattr(self, name, value)
        self.touch(user_id, now)

    def contacts_replaced(self, primary: "Contact | None", user_id: str, now: datetime) -> None:
        """The contact list changed: the primary contact's details are the customer's, and the version moves on."""
        self._primary_contact_is(primary)
        self.touch(user_id, now)

    def touch(self, user_id: str, now: datetime) -> None:
        """Stamp a change (of the row or of its contacts and team): the version, hence the ETag, moves on."""
        self.updated_at = now
        self.updated_by = user_id

    def _primary_contact_is(self, primary) -> None:
        self.contact_name = primary.name if primary else None
        self.phone = primary.phone if primary else None
        self.email = primary.email if primary else None

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    def return_to_pool(self, user_id: str, reason: str, now: datetime) -> None:
        """The owner gives the customer up; refused once it has a won deal."""
        if self.in_pool:
            raise SalesRuleViolation("customer_in_pool", "This customer is already in the public pool.")
        if self.owner_id != user_id:
            raise SalesRuleViolation("not_customer_owner", "Only the rep who owns this customer can return it.")
        if self.won_deals:
            raise SalesRuleViolation(
                "customer_has_won_deal", "A customer with a won opportunity cannot go back to the public pool.",
                {"won_deals": self.won_deals},
            )
        previous = self.owner_id
        self.owner_id = None
        self._changed(previous, None, BY_RETURN, user_id, now, detail=reason)
        self.events.append(CustomerReturned(self, previous, reason, now))

    def follow_lead_owner(self, owner_id: str, reason: str, actor_id: str, at: datetime) -> bool:
        """The lead this customer came from has a new owner (claimed or distributed): so has the customer.

        False if they own it already (the same change heard twice, or the first claim before converting).
        """
        if self.owner_id == owner_id:
            return False
        previous = self.owner_id
        self.owner_id = owner_id
        self._changed(previous, owner_id, reason, actor_id, at)
        self.events.append(CustomerOwnerChanged(self, previous, reason, at))
        return True

    def release_with_lead(self, previous_owner_id: str, reason: str, actor_id: str, at: datetime) -> bool:
        """Its lead went back to a public pool from `previous_owner_id`: so does the customer, unless a deal was won.

        False if nothing changed: someone else owns it by now, it is in the pool already (the lead followed a
        return made here), or a won deal keeps it with its owner.
        """
        if self.owner_id is None or self.owner_id != previous_owner_id or self.won_deals:
            return False
        self.owner_id = None
        self._changed(previous_owner_id, None, reason, actor_id, at)
        self.events.append(CustomerOwnerChanged(self, previous_owner_id, reason, at))
        return True

    def deal_won(self) -> None:
        self.won_deals += 1

    def _changed(self, from_owner, to_owner, reason, actor, at, detail=None) -> None:
        self.ownership_changes.append(OwnershipChange(self.id, from_owner, to_owner, reason, actor, at, detail))
