"""The use cases of sales: customers, their opportunities and their return to the pool. The only place that commits."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import ADMIN, SALES_MANAGER, SALES_REP, SERVICE_AGENT, Identity
from crm_shared.directory import members_of_teams
from crm_shared.envelope import utc_now
from crm_shared.versioning import check_version
from sales.customer_service import with_people
from sales.db_customers_pipeline import directory
from sales.domain import Customer, OwnershipChange, SalesRuleViolation
from sales.opportunities import Opportunity
from sales.permissions import editable_customer, editable_opportunity, readable_customer, readable_opportunity
from sales.repository import CustomerQuery
from sales.uow import UowFactory

# Who works deals: on the customers they may edit (their own, their teams', where they are editing members).
SELLERS = (ADMIN, SALES_MANAGER, SALES_REP)
# Who may open a deal: sellers, and service agents who spotted a need in a ticket (the deal names the ticket).
OPENERS = (*SELLERS, SERVICE_AGENT)


def get_customer(uow_factory: UowFactory, customer_id: str, viewer: Identity) -> Customer:
    with uow_factory() as uow:
        return with_people(uow, readable_customer(uow, customer_id, viewer, utc_now()))


def with_team(query: CustomerQuery, team_id: str) -> CustomerQuery:
    """Narrow a customer query to those owned by the members of a team (as the directory knows them)."""
    return replace(query, owner_ids=members_of_teams(directory, [team_id]))


def list_customers(uow_factory: UowFactory, query: CustomerQuery, viewer: Identity) -> tuple[list[Customer], int]:
    """The customers the viewer may see that match the query: filtered in SQL, so pages and totals agree."""
    with uow_factory() as uow:
        return uow.customers.list(query.visible_as(uow.permissions.customer_condition(viewer, utc_now())))


def ownership_history(uow_factory: UowFactory, customer_id: str, viewer: Identity) -> list[OwnershipChange]:
    with uow_factory() as uow:
        readable_customer(uow, customer_id, viewer, utc_now())
        return uow.history.of_customer(customer_id)


def return_to_pool(uow_factory: UowFactory, customer_id: str, reason: str, owner: Identity,
                   expected_version: int | None = None) -> Customer:
    """The owner gives a customer without a won deal back to the public pool (its lead goes with it)."""
    try:
        with uow_factory() as uow:
            customer = readable_customer(uow, customer_id, owner, utc_now())
            check_version("customer", expected_version, customer.version)
            customer.return_to_pool(owner.user_id, reason, utc_now())
            uow.commit()
            return customer
    except StaleDataError as error:
        raise SalesRuleViolation("customer_changed", "The customer changed while you were returning it; try again.") from error


def list_opportunities(uow_factory: UowFactory, customer_id: str, viewer: Identity) -> list[Opportunity]:
    with uow_factory() as uow:
        readable_customer(uow, customer_id, viewer, utc_now())
        return uow.opportunities.of_customer(customer_id)


def open_opportunity(uow_factory: UowFactory, customer_id: str, fields: dict, opener: Identity) -> Opportunity:
    """A new open opportunity in the pipeline's first stage, owned by the customer's owner (or the opener if none).

    Sellers open deals on customers they may edit; a service agent on any customer they see, from a ticket.
    """
    now = utc_now()
    with uow_factory() as uow:
        if opener.has_any(*SELLERS):
            customer = editable_customer(uow, customer_id, opener, now)
        else:
            customer = readable_customer(uow, customer_id, opener, now)
            if not fields.get("source_ticket_id"):
                raise SalesRuleViolation("ticket_required", "A service agent opens an opportunity from a ticket: "
                                         "name it in source_ticket_id.", {"source_ticket_id": ["Required."]})
        ticket = fields.get("source_ticket_id")
        opportunity = Opportunity.open(
            customer,
            name=fields["name"],
            amount=fields["amount"],
            currency=fields["currency"],
            expected_close_date=fields.get("expected_close_date"),
            owner_id=customer.owner_id or opener.user_id,
            created_by=opener.user_id,
            now=now,
            stage=uow.stages.pipeline().first.key,
            competitor=fields.get("competitor"),
            source="ticket" if ticket else fields.get("source") or "direct",
            source_ticket_id=ticket,
        )
        uow.opportunities.add(opportunity)
        uow.commit()
        return opportunity


def get_opportunity(uow_factory: UowFactory, opportunity_id: str, viewer: Identity) -> Opportunity:
    with uow_factory() as uow:
        opportunity = readable_opportunity(uow, opportunity_id, viewer, utc_now())[0]
        opportunity.lines = uow.lines.of_opportunity(opportunity.id)
        return opportunity


def close_opportunity(uow_factory: UowFactory, opportunity_id: str, outcome: str, reason: str | None,
                      seller: Identity, expected_version: int | None = None) -> Opportunity:
    """Mark an open opportunity won or lost (lost needs a reason); a won deal keeps its customer out of the pool."""
    try:
        with uow_factory() as uow:
            opportunity, customer = editable_opportunity(uow, opportunity_id, seller, utc_now())
            check_version("opportunity", expected_version, opportunity.version)
            pipeline = uow.stages.pipeline()
            stage = pipeline.won if outcome == "won" else pipeline.lost
            opportunity.close(customer, outcome, seller.user_id, utc_now(), reason, stage=stage.key)
            uow.commit()
            return opportunity
    except StaleDataError as error:
        raise SalesRuleViolation(
            "opportunity_changed", "The opportunity or its customer changed meanwhile; try again.") from error
