"""The lead aggregate: who owns it, how it moves between pools and owners, and the events it records."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

from crm_shared.errors import APIError

POOL = "pool"
CLAIMED = "claimed"
CONVERTED = "converted"
# A duplicate folded into another lead (merged_into_id); it keeps its row, its history moves.
MERGED = "merged"
STATUSES = (POOL, CLAIMED, CONVERTED, MERGED)

# Why a lead changed hands, as kept in the ownership history.
BY_CLAIM = "claimed"
BY_RETURN = "returned"
BY_DISTRIBUTION = "distributed"
BY_CONVERSION = "converted"
BY_RECYCLING = "recycled"
# The return reason of a lead whose customer its owner returned in sales.
CUSTOMER_RETURNED_REASON = "customer_returned"
# Who the recycle job acts as, in the ownership history and as distributed_by.
SYSTEM = "system"

# Every refusal has one stable code and always the same HTTP status: 409 when the state of a lead
# or pool is in the way, 403 when the rule is about the person, 422 when the request is malformed.
RULE_STATUS = {
    "lead_already_claimed": 409,
    "lead_already_converted": 409,
    "lead_not_in_pool": 409,
    "lead_changed": 409,
    "pool_disabled": 409,
    "public_pool_embargo": 409,
    "not_lead_owner": 403,
    "not_a_pool_member": 403,
    "not_a_pool_admin": 403,
    "outside_your_markets": 403,
    "reclaim_cooldown": 403,
    "daily_claim_quota_reached": 403,
    "daily_open_quota_reached": 403,
    "private_capacity_reached": 403,
    "claim_batch_too_large": 422,
    "unknown_return_reason": 422,
    "lock_limit_reached": 403,
}


class LeadRuleViolation(APIError):
    """A rule of the lead pool refused the action; the code names the rule."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(RULE_STATUS[code], code, message, errors)


@dataclass
class LeadCreated:
    lead: "Lead"


@dataclass
class LeadClaimed:
    lead: "Lead"


@dataclass(frozen=True)
class FirstOpportunity:
    """The deal a rep names while converting a lead; sales opens it with the customer."""

    name: str
    amount: Decimal
    currency: str
    expected_close_date: date | None = None


@dataclass
class LeadConverted:
    lead: "Lead"
    opportunity: FirstOpportunity | None = None


@dataclass
class LeadReturned:
    lead: "Lead"
    previous_owner_id: str
    reason: str


@dataclass
class LeadDistributed:
    lead: "Lead"
    distributed_by: str
    # The pool's auto-distribution strategy that chose the owner (leads/distribution.py); None when a person did.
    strategy: str | None = None


@dataclass
class LeadRecycled:
    lead: "Lead"
    previous_owner_id: str
    rule: str
    reason: str


@dataclass(frozen=True)
class OwnershipChange:
    """One line of a lead's ownership history: from whom to whom, why, by whom and when."""

    lead_id: str
    pool_id: str
    from_owner_id: str | None
    to_owner_id: str | None
    reason: str
    actor_id: str
    at: datetime
    detail: str | None = None


@dataclass
class Lead:
    """A prospect in a pool until a rep claims it (or is given it), then the rep's until converted or returned."""

    id: str
    company: str
    contact_name: str
    channel: str
    created_at: datetime
    pool_id: str
    phone: str | None = None
    email: str | None = None
    region: str | None = None
    industry: str | None = None
    company_size: str | None = None
    tags: list[str] = field(default_factory=list)
    campaign: str | None = None
    notes: str | None = None
    status: str = POOL
    owner_id: str | None = None
    previous_owner_id: str | None = None
    entered_pool_at: datetime | None = None
    claimed_at: datetime | None = None
    converted_at: datetime | None = None
    last_followed_up_at: datetime | None = None
    last_activity_at: datetime | None = None
    merged_into_id: str | None = None
    # The sales customer this lead became (from `sales.customer.created.v1`); kept when the customer comes back.
    customer_id: str | None = None
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)
    ownership_changes: list[OwnershipChange] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def register(
        cls,
        *,
        company: str,
        contact_name: str,
        channel: str,
        pool_id: str,
        now: datetime,
        phone: str | None = None,
        email: str | None = None,
        region: str | None = None,
        industry: str | None = None,
        company_size: str | None = None,
        tags: list[str] | None = None,
        campaign: str | None = None,
        notes: str | None = None,
    ) -> "Lead":
        lead = cls(
            id=str(uuid.uuid4()),
            company=company,
            contact_name=contact_name,
            channel=channel,
            pool_id=pool_id,
            phone=phone,
            email=email,
            region=region,
            industry=industry,
            company_size=company_size,
            tags=sorted(set(tags or [])),
            campaign=campaign,
            notes=notes,
            created_at=now,
            entered_pool_at=now,
        )
        lead.events.append(LeadCreated(lead))
        return lead

    def claim(self, rep_id: str, now: datetime) -> None:
        self._take(rep_id, now)
        self._changed(None, rep_id, BY_CLAIM, rep_id, now)
        self.events.append(LeadClaimed(self))

    def distribute(self, owner_id: str, distributed_by: str, now: datetime, strategy: str | None = None,
                   detail: str | None = None) -> None:
        """A pool admin, or the pool's auto-distribution rule (`strategy`), gives this pool lead to a rep."""
        self._take(owner_id, now)
        self._changed(None, owner_id, BY_DISTRIBUTION, distributed_by, now, detail=detail)
        self.events.append(LeadDistributed(self, distributed_by, strategy))

    def _enter_public_pool(self, public_pool_id: str, now: datetime) -> str | None:
        """Leave the owner for the public pool, remembering who had the lead; the owner it had."""
        previous = self.owner_id
        self.status = POOL
        self.owner_id = None
        self.claimed_at = None
        self.previous_owner_id = previous
        self.pool_id = public_pool_id
        self.entered_pool_at = now
        return previous

    def return_to(self, public_pool_id: str, allowed_reasons: Sequence[str], user_id: str, reason: str,
                  now: datetime, note: str | None = None) -> None:
        """The owner gives the lead up with one of the pool's reasons; it enters the public pool and remembers who had it."""
        if self.status == CONVERTED:
            raise LeadRuleViolation("lead_already_converted", "A converted lead cannot go back to the pool.")
        if self.status != CLAIMED or self.owner_id != user_id:
            raise LeadRuleViolation("not_lead_owner", "Only the rep who owns this lead can return it.")
        if reason not in allowed_reasons:
            allowed = ", ".join(allowed_reasons)
            raise LeadRuleViolation(
                "unknown_return_reason", f"The reason must be one of: {allowed}.",
                {"reason": [f"Must be one of: {allowed}."], "allowed": list(allowed_reasons)},
            )
        previous = self._enter_public_pool(public_pool_id, now)
        self._changed(previous, None, BY_RETURN, user_id, now, detail=f"{reason}: {note}" if note else reason)
        self.events.append(LeadReturned(self, previous, reason))

    def recycle_to(self, public_pool_id: str, rule: str, reason: str, now: datetime) -> None:
        """The pool's recycle policy takes the lead back from its owner into the public pool, like a return."""
        if self.status != CLAIMED or self.owner_id is None:
            raise ValueError(f"lead {self.id} is not owned; only owned leads are recycled")
        previous = self._enter_public_pool(public_pool_id, now)
        self._changed(previous, None, BY_RECYCLING, SYSTEM, now, detail=f"{rule}: {reason}"[:1000])
        self.events.append(LeadRecycled(self, previous, rule, reason))

    def reassign(self, owner_id: str, rule: str, now: datetime) -> None:
        """A `reassign` tier of the recycle policy gives the lead straight to another rep of its pool."""
        if self.status != CLAIMED or self.owner_id is None:
            raise ValueError(f"lead {self.id} is not owned; only owned leads are reassigned")
        previous = self.owner_id
        self.owner_id = owner_id
        self.previous_owner_id = previous
        self.claimed_at = now
        self.last_activity_at = now
        self._changed(previous, owner_id, BY_DISTRIBUTION, SYSTEM, now, detail=f"recycle policy, {rule}: reassigned")
        self.events.append(LeadDistributed(self, SYSTEM))

    def convert(self, user_id: str, now: datetime, opportunity: FirstOpportunity | None = None) -> None:
        if self.status == CONVERTED:
            raise LeadRuleViolation("lead_already_converted", "This lead has already been converted to a customer.")
        if self.status != CLAIMED or self.owner_id != user_id:
            raise LeadRuleViolation("not_lead_owner", "Only the rep who owns this lead can convert it; claim it first.")
        self.status = CONVERTED
        self.converted_at = now
        self._changed(user_id, user_id, BY_CONVERSION, user_id, now)
        self.events.append(LeadConverted(self, opportunity))

    def became_customer(self, customer_id: str) -> None:
        """Sales made a customer of this lead; later claims and returns name it."""
        self.customer_id = customer_id

    def back_with_customer(self, public_pool_id: str, returned_by: str, reason: str, now: datetime) -> bool:
        """Its customer's owner returned the customer in sales: the lead waits in the public pool again.

        Its history stays (converted_at, customer_id, the ownership lines); False if it is in a pool already.
        """
        if self.status in (POOL, MERGED):
            return False
        previous = self._enter_public_pool(public_pool_id, now)
        self._changed(previous, None, BY_RETURN, returned_by, now, detail=f"customer returned in sales: {reason}"[:1000])
        self.events.append(LeadReturned(self, previous, CUSTOMER_RETURNED_REASON))
        return True

    def followed_up(self, at: datetime) -> None:
        """Someone logged a follow-up: recycling counts idle days from the later of this and the claim."""
        self.last_followed_up_at = at
        self.last_activity_at = max(at, self.last_activity_at or at)

    def view(self, masked: bool = False) -> dict:
        """What a reader sees: everything, or with phone and email masked (public pool, not claimed)."""
        shown = {name: getattr(self, name) for name in VIEW_FIELDS}
        if masked:
            shown["phone"] = mask_phone(self.phone)
            shown["email"] = mask_email(self.email)
        shown["masked"] = masked
        return shown

    def _take(self, owner_id: str, now: datetime) -> None:
        if self.status != POOL:
            raise LeadRuleViolation("lead_already_claimed", "Someone else has already claimed this lead.")
        self.status = CLAIMED
        self.owner_id = owner_id
        self.claimed_at = now
        self.last_activity_at = now

    def _changed(self, from_owner, to_owner, reason, actor, now, detail=None) -> None:
        self.ownership_changes.append(
            OwnershipChange(self.id, self.pool_id, from_owner, to_owner, reason, actor, now, detail)
        )


VIEW_FIELDS = (
    "id", "company", "contact_name", "phone", "email", "channel", "status", "owner_id", "pool_id", "region",
    "industry", "company_size", "tags", "campaign", "previous_owner_id", "entered_pool_at", "created_at",
    "claimed_at", "converted_at", "last_followed_up_at", "notes", "merged_into_id", "version",
)


def mask_phone(phone: str | None) -> str | None:
    """`13812348000` -> `138****8000`: enough to tell numbers apart, not enough to call."""
    if not phone:
        return phone
    if len(phone) < 8:
        return "****"
    return phone[:3] + "****" + phone[-4:]


def mask_email(email: str | None) -> str | None:
    """`li.na@example.cn` -> `l***@example.cn`."""
    if not email:
        return email
    local, at, domain = email.partition("@")
    return (local[:1] + "***" + at + domain) if at else "***"
