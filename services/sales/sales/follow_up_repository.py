"""Saving and paging follow-ups of a customer or of one of its opportunities."""
from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from sales.db_timeline import follow_ups
from sales.follow_ups import FollowUp


class FollowUps:
    def __init__(self, session: Session):
        self.session = session

    def add(self, follow_up: FollowUp) -> None:
        # The row refers to the customer (and opportunity): write pending new ones first.
        self.session.flush()
        self.session.execute(insert(follow_ups).values(
            id=follow_up.id, customer_id=follow_up.customer_id, opportunity_id=follow_up.opportunity_id,
            author_id=follow_up.author_id, kind=follow_up.kind, content=follow_up.content,
            outcome=follow_up.outcome, next_step=follow_up.next_step, next_contact_at=follow_up.next_contact_at,
            recorded_at=follow_up.recorded_at,
        ))

    def page(self, *, customer_id: str | None = None, opportunity_id: str | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[FollowUp], int]:
        """Newest first, with the total, filtered in SQL."""
        f = follow_ups
        conditions = []
        if customer_id is not None:
            conditions.append(f.c.customer_id == customer_id)
        if opportunity_id is not None:
            conditions.append(f.c.opportunity_id == opportunity_id)
        total = self.session.execute(select(func.count()).select_from(f).where(*conditions)).scalar_one()
        rows = self.session.execute(
            select(f).where(*conditions).order_by(f.c.recorded_at.desc(), f.c.id).limit(limit).offset(offset)
        ).mappings()
        return [FollowUp(**row) for row in rows], total
