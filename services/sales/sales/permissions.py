"""Who sees and edits which customer (and its deals), as SQL conditions so that lists, pages and counts agree.

Reps: their own and where they are team members; managers: also their teams' (the directory's word); admins: all.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SERVICE_AGENT, SERVICE_MANAGER, Identity
from crm_shared.directory import Directory
from crm_shared.errors import NotFound
from sales.contacts import EDIT, READ
from sales.db import customers
from sales.db_customers_pipeline import customer_team_members
from sales.domain import Customer, SalesRuleViolation
from sales.opportunities import Opportunity

# Read every customer: admins and executives; the service desk, whose agents open deals from tickets.
SEES_ALL = (ADMIN, EXECUTIVE, SERVICE_AGENT, SERVICE_MANAGER)
EDITS_ALL = (ADMIN,)


class Permissions:
    """The visibility and edit rules, asked in the unit of work's session."""

    def __init__(self, session: Session, directory: Directory):
        self.session = session
        self.directory = directory

    def teams_of(self, viewer: Identity) -> frozenset[str]:
        """The viewer's teams: the directory's word once it knows them (a token may be hours old), else the token's."""
        known = self.directory.teams_of(viewer.user_id)
        return viewer.team_ids if known is None else known

    def _granted(self, viewer: Identity, access: str, now: datetime):
        members = customer_team_members
        accesses = (EDIT,) if access == EDIT else (READ, EDIT)
        return exists(select(members.c.customer_id).where(
            members.c.customer_id == customers.c.id,
            members.c.user_id == viewer.user_id,
            members.c.access.in_(accesses),
            or_(members.c.expires_at.is_(None), members.c.expires_at > now),
        ))

    def customer_condition(self, viewer: Identity, now: datetime, access: str = READ):
        """A WHERE condition on `customers` selecting what the viewer may read (or edit); None means everything."""
        if viewer.has_any(*EDITS_ALL) or (access == READ and viewer.has_any(*SEES_ALL)):
            return None
        conditions = [customers.c.owner_id == viewer.user_id, self._granted(viewer, access, now)]
        if viewer.has_any(SALES_MANAGER):
            teams = self.teams_of(viewer)
            # Customers in the public pool are nobody's: the managers hand them out.
            conditions.append(customers.c.owner_id.is_(None))
            if teams:
                conditions.append(customers.c.owner_id.in_(self.directory.members_of_teams(teams)))
        return or_(*conditions)

    def _allows(self, customer_id: str, viewer: Identity, now: datetime, access: str) -> bool:
        condition = self.customer_condition(viewer, now, access)
        if condition is None:
            return True
        return self.session.execute(
            select(customers.c.id).where(and_(customers.c.id == customer_id, condition))
        ).first() is not None

    def may_read(self, customer: Customer, viewer: Identity, now: datetime) -> bool:
        return self._allows(customer.id, viewer, now, READ)

    def may_read_id(self, customer_id: str, viewer: Identity, now: datetime) -> bool:
        """Whether the customer with this id exists and the viewer may read it."""
        if self.customer_condition(viewer, now, READ) is None:
            return True
        return self._allows(customer_id, viewer, now, READ)

    def may_edit(self, customer: Customer, viewer: Identity, now: datetime) -> bool:
        return self._allows(customer.id, viewer, now, EDIT)


def readable_customer(uow, customer_id: str, viewer: Identity, now: datetime) -> Customer:
    """The customer, if the viewer may see it; 404 otherwise (missing or not theirs: the same answer).

    Access is checked before the customer is read: each statement sees the latest commit, so a row read first
    could predate the change that gave the viewer access (a pool customer shown to the rep who just claimed it).
    """
    if not uow.permissions.may_read_id(customer_id, viewer, now):
        raise NotFound("customer", customer_id)
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFound("customer", customer_id)
    return customer


def editable_customer(uow, customer_id: str, viewer: Identity, now: datetime) -> Customer:
    """The customer, if the viewer may change it; 404 if they may not even see it, 403 if they may only read it."""
    customer = readable_customer(uow, customer_id, viewer, now)
    if not uow.permissions.may_edit(customer, viewer, now):
        raise SalesRuleViolation("no_edit_access", "You may read this customer but not change it: ask its owner "
                                                   "for edit access.")
    return customer


def readable_opportunity(uow, opportunity_id: str, viewer: Identity, now: datetime) -> tuple[Opportunity, Customer]:
    """The opportunity and its customer, if the viewer may see the customer; 404 otherwise."""
    opportunity = uow.opportunities.get(opportunity_id)
    if opportunity is None or not uow.permissions.may_read_id(opportunity.customer_id, viewer, now):
        raise NotFound("opportunity", opportunity_id)
    customer = uow.customers.get(opportunity.customer_id)
    if customer is None:
        raise NotFound("opportunity", opportunity_id)
    return opportunity, customer


def editable_opportunity(uow, opportunity_id: str, viewer: Identity, now: datetime) -> tuple[Opportunity, Customer]:
    opportunity, customer = readable_opportunity(uow, opportunity_id, viewer, now)
    if not uow.permissions.may_edit(customer, viewer, now):
        raise SalesRuleViolation("no_edit_access", "You may read this opportunity but not change it: ask the "
                                                   "customer's owner for edit access.")
    return opportunity, customer


def team_owners(uow, team_id: str):
    """A subquery of the users in `team_id`, for an `owner in team` filter."""
    return uow.directory.members_of_teams([team_id])
