"""Loading the pipeline, stage history, products and product lines, and the board and forecast queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sales.catalogue import Line, Product
from sales.db import customers, opportunities
from sales.db_customers_pipeline import opportunity_lines, opportunity_stage_changes, pipeline_stages, products
from sales.opportunities import OPEN, Opportunity
from sales.pipeline import OpenDeal, Pipeline, Stage, StageChange


class Stages:
    def __init__(self, session: Session):
        self.session = session

    def pipeline(self) -> Pipeline:
        rows = self.session.execute(select(pipeline_stages).order_by(pipeline_stages.c.position)).mappings()
        return Pipeline(tuple(
            Stage(r["key"], r["name"], r["position"], r["win_probability"], bool(r["is_won"]), bool(r["is_lost"]))
            for r in rows
        ))


    def replace(self, pipeline: Pipeline) -> None:
        self.session.execute(delete(pipeline_stages))
        self.session.execute(insert(pipeline_stages), [
            {"key": s.key, "name": s.name, "position": s.position, "win_probability": s.win_probability,
             "is_won": s.is_won, "is_lost": s.is_lost}
            for s in pipeline.stages
        ])

    def open_deals_in(self, keys: Iterable[str]) -> dict[str, int]:
        """How many open opportunities sit in each of these stages (the ones that have any)."""
        rows = self.session.execute(
            select(opportunities.c.stage, func.count())
            .where(opportunities.c.status == OPEN, opportunities.c.stage.in_(sorted(set(keys))))
            .group_by(opportunities.c.stage)
        )
        return {stage: count for stage, count in rows}


class StageHistory:
    def __init__(self, session: Session):
        self.session = session

    def add(self, changes: Iterable[StageChange]) -> None:
        rows = [{"opportunity_id": c.opportunity_id, "from_stage": c.from_stage, "to_stage": c.to_stage,
                 "actor_id": c.actor_id, "at": c.at} for c in changes]
        if rows:
            self.session.flush()  # a new opportunity's row first: the history refers to it
            self.session.execute(insert(opportunity_stage_changes), rows)

    def of_opportunity(self, opportunity_id: str) -> list[StageChange]:
        h = opportunity_stage_changes
        rows = self.session.execute(select(h).where(h.c.opportunity_id == opportunity_id).order_by(h.c.at, h.c.id))
        return [StageChange(r.opportunity_id, r.from_stage, r.to_stage, r.actor_id, r.at) for r in rows]


class Products:
    def __init__(self, session: Session):
        self.session = session

    def add(self, product: Product) -> None:
        self.session.add(product)

    def get(self, product_id: str) -> Product | None:
        return self.session.get(Product, product_id)

    def by_sku(self, sku: str) -> Product | None:
        return self.session.scalars(select(Product).where(products.c.sku == sku)).first()

    def with_ids(self, ids: Iterable[str]) -> dict[str, Product]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        return {p.id: p for p in self.session.scalars(select(Product).where(products.c.id.in_(wanted)))}

    def list(self, active_only: bool, limit: int, offset: int) -> tuple[list[Product], int]:
        conditions = [products.c.active.is_(True)] if active_only else []
        total = self.session.execute(select(func.count()).select_from(products).where(*conditions)).scalar_one()
        rows = self.session.scalars(
            select(Product).where(*conditions).order_by(products.c.sku).limit(limit).offset(offset)
        ).all()
        return list(rows), total


class OpportunityLines:
    def __init__(self, session: Session):
        self.session = session

    def of_opportunity(self, opportunity_id: str) -> list[Line]:
        t = opportunity_lines
        rows = self.session.execute(select(t).where(t.c.opportunity_id == opportunity_id).order_by(t.c.position))
        return [Line(r.id, r.product_id, r.sku, r.name, r.quantity, r.unit_price, r.discount) for r in rows]

    def replace(self, opportunity_id: str, lines: Sequence[Line]) -> None:
        self.session.flush()  # the opportunity's version guards this replacement: write it first
        self.session.execute(delete(opportunity_lines).where(opportunity_lines.c.opportunity_id == opportunity_id))
        if lines:
            self.session.execute(insert(opportunity_lines), [
                {"id": line.id, "opportunity_id": opportunity_id, "position": i, "product_id": line.product_id,
                 "sku": line.sku, "name": line.name, "quantity": line.quantity, "unit_price": line.unit_price,
                 "discount": line.discount}
                for i, line in enumerate(lines)
            ])


@dataclass(frozen=True)
class BoardQuery:
    """Which opportunities a board or a forecast covers; `visible` is the viewer's condition on customers."""

    visible: object = None
    owner_ids: object = None  # a list of user ids
    team_members: object = None  # a subquery of user ids (a team's members)
    customer_id: str | None = None
    open_only: bool = True
    status: str | None = None
    stage: str | None = None
    close_from: date | None = None
    close_to: date | None = None


class Board:
    """Queries over many opportunities at once, filtered in SQL by what the viewer may see."""

    def __init__(self, session: Session):
        self.session = session

    def _conditions(self, query: BoardQuery) -> list:
        conditions = []
        if query.visible is not None:
            conditions.append(opportunities.c.customer_id.in_(select(customers.c.id).where(query.visible)))
        if query.owner_ids is not None:
            conditions.append(opportunities.c.owner_id.in_(query.owner_ids))
        if query.team_members is not None:
            conditions.append(opportunities.c.owner_id.in_(query.team_members))
        if query.customer_id:
            conditions.append(opportunities.c.customer_id == query.customer_id)
        if query.open_only:
            conditions.append(opportunities.c.status == OPEN)
        if query.status:
            conditions.append(opportunities.c.status == query.status)
        if query.stage:
            conditions.append(opportunities.c.stage == query.stage)
        if query.close_from:
            conditions.append(opportunities.c.expected_close_date >= query.close_from)
        if query.close_to:
            conditions.append(opportunities.c.expected_close_date <= query.close_to)
        return conditions

    def counts_by_stage(self, query: BoardQuery) -> dict[str, int]:
        rows = self.session.execute(
            select(opportunities.c.stage, func.count()).where(*self._conditions(query))
            .group_by(opportunities.c.stage)
        )
        return {stage: count for stage, count in rows}

    def amounts(self, query: BoardQuery) -> list[tuple[str, str, object]]:
        """(stage, currency, amount) of every matching deal; summed by the caller in Decimal (SQLite has no exact SUM)."""
        rows = self.session.execute(
            select(opportunities.c.stage, opportunities.c.currency, opportunities.c.amount)
            .where(*self._conditions(query))
        )
        return [tuple(row) for row in rows]

    def in_stage(self, query: BoardQuery, stage: str, limit: int) -> list[Opportunity]:
        return list(self.session.scalars(
            select(Opportunity).where(opportunities.c.stage == stage, *self._conditions(query))
            .order_by(opportunities.c.expected_close_date.asc().nulls_last(), opportunities.c.created_at, opportunities.c.id)
            .limit(limit)
        ))

    def page(self, query: BoardQuery, limit: int, offset: int) -> tuple[list[Opportunity], int]:
        """Matching deals, the nearest expected close first, and how many match in all."""
        conditions = self._conditions(query)
        total = self.session.execute(select(func.count()).select_from(opportunities).where(*conditions)).scalar_one()
        rows = self.session.scalars(
            select(Opportunity).where(*conditions)
            .order_by(opportunities.c.expected_close_date.asc().nulls_last(), opportunities.c.created_at, opportunities.c.id)
            .limit(limit).offset(offset)
        )
        return list(rows), total

    def open_deals(self, query: BoardQuery) -> list[OpenDeal]:
        rows = self.session.execute(
            select(opportunities.c.owner_id, opportunities.c.stage, opportunities.c.amount, opportunities.c.currency,
                   opportunities.c.expected_close_date)
            .where(opportunities.c.expected_close_date.is_not(None), *self._conditions(query))
        )
        return [OpenDeal(*row) for row in rows]
