"""Markets (territories): conditions on a lead's region, industry, company size and tags, assigned to reps and teams."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class HasMarketFacts(Protocol):
    region: str | None
    industry: str | None
    company_size: str | None
    tags: list[str]


@dataclass(frozen=True)
class MarketConditions:
    """Each non-empty list must match; tags match when the lead has any of them. No conditions: every lead."""

    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    company_sizes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def match(self, lead: HasMarketFacts) -> bool:
        if self.regions and lead.region not in self.regions:
            return False
        if self.industries and lead.industry not in self.industries:
            return False
        if self.company_sizes and lead.company_size not in self.company_sizes:
            return False
        if self.tags and not set(self.tags) & set(lead.tags or ()):
            return False
        return True

    def to_dict(self) -> dict:
        return {name: list(getattr(self, name)) for name in ("regions", "industries", "company_sizes", "tags")}

    @classmethod
    def from_dict(cls, data: dict) -> "MarketConditions":
        return cls(**{name: tuple(values) for name, values in data.items()})


@dataclass
class Market:
    """A territory, and the reps and teams who work it."""

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    conditions: MarketConditions = field(default_factory=MarketConditions)
    user_ids: list[str] = field(default_factory=list)
    team_ids: list[str] = field(default_factory=list)
    version: int = 1

    @classmethod
    def new(cls, *, name: str, now: datetime, conditions: MarketConditions | None = None,
            user_ids: list[str] | None = None, team_ids: list[str] | None = None) -> "Market":
        return cls(
            id=str(uuid.uuid4()), name=name, created_at=now, updated_at=now,
            conditions=conditions or MarketConditions(),
            user_ids=sorted(set(user_ids or [])), team_ids=sorted(set(team_ids or [])),
        )

    def assign(self, user_ids: list[str], team_ids: list[str], now: datetime) -> None:
        self.user_ids = sorted(set(user_ids))
        self.team_ids = sorted(set(team_ids))
        self.updated_at = now

    def is_assigned_to(self, user_id: str, team_ids: frozenset[str]) -> bool:
        return user_id in self.user_ids or bool(team_ids.intersection(self.team_ids))

    def covers(self, lead: HasMarketFacts) -> bool:
        return self.conditions.match(lead)
