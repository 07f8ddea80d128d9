"""Marketing campaigns, their materials (files or links), lead segments, and deliveries of materials to leads."""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Protocol
from urllib.parse import urlsplit

from crm_shared.errors import APIError

LINK = "link"
FILE = "file"
MATERIAL_KINDS = (LINK, FILE)

# Every refusal of this feature has one stable code and always the same HTTP status.
RULE_STATUS = {
    "campaign_code_taken": 409,
    "campaign_in_use": 409,
    "material_has_deliveries": 409,
    "material_changed": 409,
    "campaign_changed": 409,
    "not_lead_owner": 403,
    "invalid_period": 422,
    "invalid_url": 422,
    "unknown_campaign": 422,
    "segment_empty": 422,
    "segment_too_large": 422,
    "not_a_link": 422,
    "empty_file": 422,
    "material_too_large": 413,
    "unsupported_material_type": 415,
}


class CampaignRuleViolation(APIError):
    """A rule of campaigns and materials refused the request; the code names the rule."""

    def __init__(self, code: str, message: str, errors: dict | None = None):
        super().__init__(RULE_STATUS[code], code, message, errors)


class HasSegmentFacts(Protocol):
    status: str
    pool_id: str
    region: str | None
    industry: str | None
    channel: str
    campaign: str | None
    tags: list[str]


@dataclass(frozen=True)
class LeadSegment:
    """Lead filters: each non-empty list must match; tags match when the lead has any of them. Empty: no lead."""

    statuses: tuple[str, ...] = ()
    pool_ids: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def match(self, lead: HasSegmentFacts) -> bool:
        checks = (
            (self.statuses, lead.status), (self.pool_ids, lead.pool_id), (self.regions, lead.region),
            (self.industries, lead.industry), (self.channels, lead.channel), (self.campaigns, lead.campaign),
        )
        if any(allowed and value not in allowed for allowed, value in checks):
            return False
        return not self.tags or bool(set(self.tags) & set(lead.tags or ()))

    def to_dict(self) -> dict:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "LeadSegment":
        known = {f.name for f in fields(cls)}
        return cls(**{name: tuple(sorted(set(values))) for name, values in data.items() if name in known})


@dataclass(frozen=True)
class Money:
    """An amount in one currency (ISO 4217 code); never a float."""

    amount: Decimal
    currency: str


@dataclass
class Campaign:
    """A marketing push on one channel over a period, with a budget and the segment of leads it targets.

    Leads name their campaign by its `code` (a free code on the lead, see `docs/architecture.md`).
    """

    id: str
    code: str
    name: str
    channel: str
    starts_on: date
    ends_on: date
    budget_amount: Decimal
    budget_currency: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    segment: LeadSegment | None = None
    description: str | None = None
    version: int = 1

    @classmethod
    def new(cls, *, code: str, name: str, channel: str, starts_on: date, ends_on: date, budget: Money,
            created_by: str, now: datetime, segment: LeadSegment | None = None,
            description: str | None = None) -> "Campaign":
        check_period(starts_on, ends_on)
        return cls(
            id=str(uuid.uuid4()), code=code, name=name, channel=channel, starts_on=starts_on, ends_on=ends_on,
            budget_amount=budget.amount, budget_currency=budget.currency, created_by=created_by,
            created_at=now, updated_at=now, segment=segment, description=description,
        )

    @property
    def budget(self) -> Money:
        return Money(self.budget_amount, self.budget_currency)

    def change(self, changes: dict, now: datetime) -> None:
        """Apply the fields given; the period must still run forwards."""
        check_period(changes.get("starts_on", self.starts_on), changes.get("ends_on", self.ends_on))
        for name in ("code", "name", "channel", "starts_on", "ends_on", "description", "segment"):
            if name in changes:
                setattr(self, name, changes[name])
        if "budget" in changes:
            self.budget_amount, self.budget_currency = changes["budget"].amount, changes["budget"].currency
        self.updated_at = now


def check_period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise CampaignRuleViolation("invalid_period", "A campaign cannot end before it starts.",
                                    {"ends_on": ["Must be on or after starts_on."]})


def check_link(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials; anything else (javascript:, data:, file:) is refused."""
    parts = urlsplit(url.strip())
    problem = None
    if parts.scheme.lower() not in ("http", "https"):
        problem = "Only http and https links are allowed."
    elif not parts.hostname:
        problem = "The link needs a host."
    elif parts.username or parts.password:
        problem = "The link may not carry a user name or password."
    elif any(ch.isspace() or ord(ch) < 32 for ch in url.strip()):
        problem = "The link may not contain spaces or control characters."
    if problem:
        raise CampaignRuleViolation("invalid_url", problem, {"url": [problem]})
    return url.strip()


@dataclass
class Material:
    """Something sent to leads: a link, or a file kept by the service; may belong to a campaign."""

    id: str
    name: str
    kind: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    campaign_id: str | None = None
    description: str | None = None
    url: str | None = None
    file_name: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    version: int = 1

    @classmethod
    def link(cls, *, name: str, url: str, created_by: str, now: datetime, campaign_id: str | None = None,
             description: str | None = None) -> "Material":
        return cls(id=str(uuid.uuid4()), name=name, kind=LINK, url=check_link(url), created_by=created_by,
                   created_at=now, updated_at=now, campaign_id=campaign_id, description=description)

    @classmethod
    def file(cls, *, material_id: str, name: str, file_name: str, content_type: str, size_bytes: int,
             created_by: str, now: datetime, campaign_id: str | None = None,
             description: str | None = None) -> "Material":
        return cls(id=material_id, name=name, kind=FILE, file_name=file_name, content_type=content_type,
                   size_bytes=size_bytes, created_by=created_by, created_at=now, updated_at=now,
                   campaign_id=campaign_id, description=description)

    def change(self, changes: dict, now: datetime) -> None:
        if "url" in changes:
            if self.kind != LINK:
                raise CampaignRuleViolation("not_a_link", "Only a link material has a URL; upload a new file instead.",
                                            {"url": ["This material is a file."]})
            self.url = check_link(changes["url"])
        for name in ("name", "description", "campaign_id"):
            if name in changes:
                setattr(self, name, changes[name])
        self.updated_at = now


@dataclass(frozen=True)
class Recipient:
    """A lead a material is sent to, with the facts its events carry."""

    lead_id: str
    owner_id: str | None
    channel: str


@dataclass(frozen=True)
class MaterialSent:
    delivery: "Delivery"
    material: Material
    recipient: Recipient


@dataclass(frozen=True)
class MaterialClicked:
    delivery_id: str
    material_id: str
    lead_id: str
    owner_id: str | None
    campaign_id: str | None
    channel: str
    clicked_at: datetime


@dataclass(frozen=True)
class Delivery:
    """One material sent to one lead; its token makes the tracked link and is the only key a recipient holds."""

    id: str
    material_id: str
    lead_id: str
    token: str
    sent_by: str
    sent_at: datetime
    opened_at: datetime | None = None
    clicked_at: datetime | None = None
    open_count: int = 0
    click_count: int = 0


def new_token() -> str:
    """256 random bits, URL-safe: unguessable, so the public link needs no login."""
    return secrets.token_urlsafe(32)


def send(material: Material, recipients: Iterable[Recipient], sent_by: str, now: datetime) -> list[MaterialSent]:
    """One delivery per distinct lead, each recorded as a MaterialSent event."""
    sent, seen = [], set()
    for recipient in recipients:
        if recipient.lead_id in seen:
            continue
        seen.add(recipient.lead_id)
        delivery = Delivery(id=str(uuid.uuid4()), material_id=material.id, lead_id=recipient.lead_id,
                            token=new_token(), sent_by=sent_by, sent_at=now)
        sent.append(MaterialSent(delivery, material, recipient))
    return sent

