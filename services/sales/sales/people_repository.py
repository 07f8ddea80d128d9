"""Loading and saving a customer's contacts and team members, and the configured customer levels."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from sales.contacts import Contact, TeamMember
from sales.db import customers
from sales.db_customers_pipeline import customer_contacts, customer_levels, customer_team_members


class CustomerContacts:
    def __init__(self, session: Session):
        self.session = session

    def of_customer(self, customer_id: str) -> list[Contact]:
        c = customer_contacts
        rows = self.session.execute(
            select(c).where(c.c.customer_id == customer_id).order_by(c.c.position)
        ).mappings()
        return [Contact(r["id"], r["name"], r["is_primary"], r["title"], r["phone"], r["email"]) for r in rows]

    def replace(self, customer_id: str, contacts: Sequence[Contact]) -> None:
        """The customer's contacts become `contacts`, in that order."""
        # The customer row is written first (its version guards this replacement).
        self.session.flush()
        self.session.execute(delete(customer_contacts).where(customer_contacts.c.customer_id == customer_id))
        if contacts:
            self.session.execute(insert(customer_contacts), [
                {"id": c.id, "customer_id": customer_id, "position": i, "name": c.name, "title": c.title,
                 "phone": c.phone, "email": c.email, "is_primary": c.is_primary}
                for i, c in enumerate(contacts)
            ])


class CustomerTeams:
    def __init__(self, session: Session):
        self.session = session

    def of_customer(self, customer_id: str) -> list[TeamMember]:
        m = customer_team_members
        rows = self.session.execute(select(m).where(m.c.customer_id == customer_id).order_by(m.c.added_at, m.c.user_id))
        return [TeamMember(r.customer_id, r.user_id, r.access, r.added_by, r.added_at, r.expires_at) for r in rows]

    def put(self, member: TeamMember) -> None:
        """Add the member, or replace their access and expiry."""
        self.session.flush()
        self.remove(member.customer_id, member.user_id)
        self.session.execute(insert(customer_team_members).values(
            customer_id=member.customer_id, user_id=member.user_id, access=member.access,
            expires_at=member.expires_at, added_by=member.added_by, added_at=member.added_at,
        ))

    def remove(self, customer_id: str, user_id: str) -> bool:
        m = customer_team_members
        return self.session.execute(delete(m).where(m.c.customer_id == customer_id, m.c.user_id == user_id)).rowcount > 0


class CustomerLevels:
    def __init__(self, session: Session):
        self.session = session

    def all(self) -> list[dict]:
        rows = self.session.execute(select(customer_levels).order_by(customer_levels.c.position)).mappings()
        return [dict(r) for r in rows]

    def keys(self) -> list[str]:
        return [level["key"] for level in self.all()]

    def replace(self, levels: Sequence[dict]) -> None:
        self.session.execute(delete(customer_levels))
        self.session.execute(insert(customer_levels), [
            {"key": level["key"], "name": level["name"], "position": i + 1} for i, level in enumerate(levels)
        ])

    def in_use(self, keys: Sequence[str]) -> list[str]:
        """Which of these levels some customer has."""
        return sorted(self.session.scalars(
            select(customers.c.level).where(customers.c.level.in_(sorted(set(keys)))).distinct()
        ))
