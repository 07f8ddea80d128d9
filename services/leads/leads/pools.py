"""Pools: lead pools (new, unassigned leads) and public pools (returned leads), who belongs and their rules."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Iterable

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP
from leads.distribution_rules import DistributionRule
from leads.markets import Market
from leads.recycling_rules import RecyclePolicy

LEAD_POOL = "lead"
PUBLIC_POOL = "public"
KINDS = (LEAD_POOL, PUBLIC_POOL)

# The migration creates these two; they can be edited but never deleted.
DEFAULT_LEAD_POOL_ID = "00000000-0000-4000-8000-000000000001"
DEFAULT_PUBLIC_POOL_ID = "00000000-0000-4000-8000-000000000002"

MANAGER_ROLES = (ADMIN, SALES_MANAGER)
SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)
DEFAULT_RETURN_REASONS = ("not_interested", "unreachable", "no_budget", "duplicate", "other")


@dataclass(frozen=True)
class PoolRules:
    """The claim rules of one pool; None means no limit."""

    require_market: bool = False
    daily_claim_quota: int | None = None
    max_claim_batch: int = 20
    max_private_leads: int | None = None
    max_team_leads: int | None = None
    count_converted: bool = False
    reclaim_cooldown_hours: int = 0
    embargo_hours: int = 0
    daily_open_quota: int | None = None
    return_reasons: tuple[str, ...] = DEFAULT_RETURN_REASONS
    # None: this pool recycles nothing (the default pools have none); see leads/recycling_rules.py.
    recycle: RecyclePolicy | None = None
    # None: new leads wait to be claimed or distributed by hand; see leads/distribution_rules.py.
    distribution: DistributionRule | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["return_reasons"] = list(self.return_reasons)
        data["recycle"] = self.recycle.to_dict() if self.recycle else None
        data["distribution"] = self.distribution.to_dict() if self.distribution else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "PoolRules":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "return_reasons" in values:
            values["return_reasons"] = tuple(values["return_reasons"])
        if values.get("recycle") is not None:
            # Validates: a bad policy raises InvalidRecyclePolicy (422, naming the key) before anything is saved.
            values["recycle"] = RecyclePolicy.from_dict(values["recycle"])
        if values.get("distribution") is not None:
            # Validates like the recycle policy: InvalidDistributionRule (422) before anything is saved.
            values["distribution"] = DistributionRule.from_dict(values["distribution"])
        return cls(**values)

    def changed(self, **changes) -> "PoolRules":
        return PoolRules.from_dict({**self.to_dict(), **changes})


@dataclass(frozen=True)
class Member:
    """Someone as pools see them: their id, roles, teams and the markets assigned to them or their teams."""

    user_id: str
    roles: frozenset[str] = frozenset()
    team_ids: frozenset[str] = frozenset()
    markets: tuple[Market, ...] = ()

    @property
    def market_ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.markets)

    @property
    def is_manager(self) -> bool:
        """Manages pools (admins and sales managers); which leads they see is `sees_every_lead`/`overseen_teams`."""
        return bool(self.roles.intersection(MANAGER_ROLES))

    @property
    def sees_every_lead(self) -> bool:
        return ADMIN in self.roles

    @property
    def overseen_teams(self) -> frozenset[str]:
        """The teams whose members' leads this member sees: a sales manager's own teams."""
        return self.team_ids if SALES_MANAGER in self.roles else frozenset()


@dataclass(frozen=True)
class PoolScope:
    """Who belongs to a pool: listed users, members of listed teams, holders of listed roles, or workers of listed markets."""

    user_ids: tuple[str, ...] = ()
    team_ids: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    market_ids: tuple[str, ...] = ()

    def includes(self, member: Member) -> bool:
        return (
            member.user_id in self.user_ids
            or bool(member.team_ids.intersection(self.team_ids))
            or bool(member.roles.intersection(self.roles))
            or bool(member.market_ids.intersection(self.market_ids))
        )

    def to_dict(self) -> dict:
        return {name: list(getattr(self, name)) for name in ("user_ids", "team_ids", "roles", "market_ids")}

    @classmethod
    def from_dict(cls, data: dict) -> "PoolScope":
        return cls(**{name: tuple(sorted(set(values))) for name, values in data.items()})


EVERY_SALES_ROLE = PoolScope(roles=SALES_ROLES)


@dataclass
class Pool:
    """A pool of leads nobody owns: where they wait, who may take them, and on which rules."""

    id: str
    name: str
    kind: str
    created_at: datetime
    updated_at: datetime
    is_default: bool = False
    enabled: bool = True
    admin_ids: list[str] = field(default_factory=list)
    scope: PoolScope = field(default_factory=PoolScope)
    rules: PoolRules = field(default_factory=PoolRules)
    version: int = 1

    @classmethod
    def new(cls, *, name: str, kind: str, now: datetime, enabled: bool = True, admin_ids: Iterable[str] = (),
            scope: PoolScope | None = None, rules: PoolRules | None = None) -> "Pool":
        if kind not in KINDS:
            raise ValueError(f"unknown pool kind {kind!r}")
        return cls(
            id=str(uuid.uuid4()), name=name, kind=kind, created_at=now, updated_at=now, enabled=enabled,
            admin_ids=sorted(set(admin_ids)), scope=scope or PoolScope(), rules=rules or PoolRules(),
        )

    @property
    def is_public(self) -> bool:
        return self.kind == PUBLIC_POOL

    def is_admin(self, member: Member) -> bool:
        """Pool admins, admins and sales managers manage the pool: they distribute and see it unmasked."""
        return member.is_manager or member.user_id in self.admin_ids

    def admits(self, member: Member) -> bool:
        return self.is_admin(member) or self.scope.includes(member)

    def masks_contacts_for(self, member: Member) -> bool:
        """In a public pool, reps see phone and email masked until they claim or reveal the lead."""
        return self.is_public and not self.is_admin(member)


def public_pool_for(owner: Member, pools: Iterable[Pool]) -> Pool:
    """Where `owner`'s returned leads go: the first enabled public pool whose scope includes them, else the default."""
    public = [p for p in pools if p.is_public]
    matching = sorted(
        (p for p in public if p.enabled and not p.is_default and p.scope.includes(owner)),
        key=lambda p: (p.created_at, p.id),
    )
    if matching:
        return matching[0]
    return next(p for p in public if p.is_default)
