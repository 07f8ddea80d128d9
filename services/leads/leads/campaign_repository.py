"""Loading and saving campaigns and materials, writing deliveries in bulk, finding a segment's leads, and tracking."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import and_, case, func, insert, literal, select, true, update
from sqlalchemy.orm import Session

from crm_shared.db import UtcDateTime
from leads.campaigns import Campaign, Delivery, LeadSegment, Material, Recipient
from leads.db import leads, pools
from leads.db_campaigns import campaigns, material_deliveries, materials


class CampaignRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, campaign: Campaign) -> None:
        self.session.add(campaign)

    def get(self, campaign_id: str) -> Campaign | None:
        return self.session.get(Campaign, campaign_id)

    def all(self) -> list[Campaign]:
        return list(self.session.scalars(select(Campaign).order_by(campaigns.c.starts_on.desc(), campaigns.c.code)))

    def has_materials(self, campaign_id: str) -> bool:
        return self.session.execute(
            select(func.count()).select_from(materials).where(materials.c.campaign_id == campaign_id)
        ).scalar_one() > 0

    def delete(self, campaign: Campaign) -> None:
        self.session.delete(campaign)


class MaterialRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, material: Material) -> None:
        self.session.add(material)

    def get(self, material_id: str) -> Material | None:
        return self.session.get(Material, material_id)

    def all(self, campaign_id: str | None = None) -> list[Material]:
        query = select(Material).order_by(materials.c.created_at.desc(), materials.c.id)
        if campaign_id:
            query = query.where(materials.c.campaign_id == campaign_id)
        return list(self.session.scalars(query))

    def delete(self, material: Material) -> None:
        self.session.delete(material)


@dataclass(frozen=True)
class Click:
    """What one visit of a tracked link found: the delivery's facts, and whether it was its first click."""

    delivery_id: str
    material_id: str
    lead_id: str
    first: bool


@dataclass(frozen=True)
class ListedDelivery(Delivery):
    """A delivery as its list shows it, with its lead's company and contact name (None where not to be seen)."""

    company: str | None = None
    contact_name: str | None = None


class Deliveries:
    """Materials sent to leads: written in bulk, counted and stamped atomically when their links are used."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, deliveries: Iterable[Delivery]) -> None:
        rows = [
            {"id": d.id, "material_id": d.material_id, "lead_id": d.lead_id, "token": d.token, "sent_by": d.sent_by,
             "sent_at": d.sent_at, "opened_at": None, "clicked_at": None, "open_count": 0, "click_count": 0}
            for d in deliveries
        ]
        if rows:
            self.session.execute(insert(material_deliveries), rows)

    def of_material(self, material_id: str, owner_id: str | None = None, limit: int = 500,
                    offset: int = 0, visible: Sequence = ()) -> tuple[list[ListedDelivery], int]:
        """A material's deliveries, newest first; with `owner_id`, only those to that rep's leads.

        Each carries its lead's company and contact name where the lead meets the `visible` conditions
        (leads/repository.py `lead_conditions`; none: every lead), so a list needs no look-up per lead.
        """
        d = material_deliveries
        conditions = [d.c.material_id == material_id]
        if owner_id is not None:
            conditions.append(d.c.lead_id.in_(select(leads.c.id).where(leads.c.owner_id == owner_id)))
        total = self.session.execute(select(func.count()).select_from(d).where(*conditions)).scalar_one()
        seen = and_(*visible) if visible else true()
        rows = self.session.execute(
            select(d, case((seen, leads.c.company)).label("company"),
                   case((seen, leads.c.contact_name)).label("contact_name"))
            .select_from(d.outerjoin(leads, leads.c.id == d.c.lead_id))
            .where(*conditions).order_by(d.c.sent_at.desc(), d.c.id).limit(limit).offset(offset)
        ).mappings()
        return [ListedDelivery(**row) for row in rows], total

    def count(self, material_id: str) -> int:
        d = material_deliveries
        return self.session.execute(select(func.count()).where(d.c.material_id == material_id)).scalar_one()

    def find(self, token: str) -> Delivery | None:
        row = self.session.execute(
            select(material_deliveries).where(material_deliveries.c.token == token)
        ).mappings().first()
        return Delivery(**row) if row else None

    def record_open(self, token: str, now: datetime) -> bool:
        """Count an open of the delivery behind `token`; False when there is none."""
        d = material_deliveries
        return self.session.execute(
            update(d).where(d.c.token == token).values(
                open_count=d.c.open_count + 1,
                opened_at=case((d.c.opened_at.is_(None), literal(now, UtcDateTime())), else_=d.c.opened_at),
            )
        ).rowcount == 1

    def record_click(self, token: str, now: datetime) -> Click | None:
        """Count a click (a click is also the first open if there was none yet); None for an unknown token."""
        d = material_deliveries
        stamp = literal(now, UtcDateTime())
        counted = self.session.execute(
            update(d).where(d.c.token == token).values(
                click_count=d.c.click_count + 1,
                open_count=d.c.open_count + case((d.c.opened_at.is_(None), 1), else_=0),
                opened_at=case((d.c.opened_at.is_(None), stamp), else_=d.c.opened_at),
            )
        ).rowcount
        if counted != 1:
            return None
        # Of simultaneous first clicks exactly one finds clicked_at still empty: the row lock makes the
        # others re-read it (PostgreSQL) or wait for the write lock (SQLite), so one event per delivery.
        first = self.session.execute(
            update(d).where(d.c.token == token, d.c.clicked_at.is_(None)).values(clicked_at=stamp)
        ).rowcount == 1
        row = self.session.execute(select(d.c.id, d.c.material_id, d.c.lead_id).where(d.c.token == token)).one()
        return Click(row.id, row.material_id, row.lead_id, first)


class SegmentLeads:
    """The leads a material may go to: by segment or by id, with the facts their deliveries' events carry."""

    COLUMNS = (leads.c.id, leads.c.owner_id, leads.c.channel, leads.c.status, leads.c.pool_id, leads.c.region,
               leads.c.industry, leads.c.campaign, leads.c.tags)

    def __init__(self, session: Session):
        self.session = session

    def matching(self, segment: LeadSegment, owner_id: str | None, limit: int, visible: Sequence = ()) -> list[Recipient]:
        """Up to `limit` leads in the segment (oldest first); with `owner_id`, only that rep's leads;
        `visible`: the sender's visibility conditions (repository.lead_conditions)."""
        columns = (
            (segment.statuses, leads.c.status), (segment.pool_ids, leads.c.pool_id), (segment.regions, leads.c.region),
            (segment.industries, leads.c.industry), (segment.channels, leads.c.channel),
            (segment.campaigns, leads.c.campaign),
        )
        conditions = [column.in_(values) for values, column in columns if values] + list(visible)
        if owner_id is not None:
            conditions.append(leads.c.owner_id == owner_id)
        query = select(*self.COLUMNS).where(*conditions).order_by(leads.c.created_at, leads.c.id)
        found = []
        result = self.session.execute(query.execution_options(yield_per=1000))
        try:
            # Tags are a JSON list: matched here rather than with per-backend JSON SQL, as markets do.
            for row in result:
                if segment.match(row):
                    found.append(Recipient(row.id, row.owner_id, row.channel))
                    if len(found) >= limit:
                        break
        finally:
            result.close()
        return found

    def by_ids(self, lead_ids: Iterable[str], visible: Sequence = ()) -> dict[str, Recipient]:
        """The listed leads the sender may see (`visible`: repository.lead_conditions), by id."""
        ids = list(lead_ids)
        rows = self.session.execute(select(*self.COLUMNS).where(leads.c.id.in_(ids), *visible)) if ids else []
        return {row.id: Recipient(row.id, row.owner_id, row.channel) for row in rows}

    def facts(self, lead_id: str) -> Recipient | None:
        row = self.session.execute(select(*self.COLUMNS).where(leads.c.id == lead_id)).first()
        return Recipient(row.id, row.owner_id, row.channel) if row else None

    def unknown_pools(self, pool_ids: Iterable[str]) -> list[str]:
        ids = sorted(set(pool_ids))
        if not ids:
            return []
        known = set(self.session.scalars(select(pools.c.id).where(pools.c.id.in_(ids))))
        return [pool_id for pool_id in ids if pool_id not in known]
