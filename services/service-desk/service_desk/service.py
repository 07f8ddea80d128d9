"""The use cases of the service desk: opening and closing tickets, and who may see which. The only place that commits."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SALES_REP, SERVICE_AGENT, SERVICE_MANAGER, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import NotFound
from crm_shared.errors import APIError
from service_desk.domain import (
    KnownCustomer,
    OpportunityAlreadyRequested,
    OpportunityRequest,
    Ticket,
    TicketClosedAlready,
    UnknownCustomer,
)
from service_desk.repository import TicketQuery
from service_desk.uow import ServiceDeskUnitOfWork

UowFactory = Callable[[], ServiceDeskUnitOfWork]
# A sales rep opens and sees tickets only for the customers they own; these roles for any customer.
OPENS_FOR_ANY = (ADMIN, SERVICE_AGENT, SERVICE_MANAGER, SALES_MANAGER)
OPENERS = (*OPENS_FOR_ANY, SALES_REP)
SEES_ALL = (ADMIN, SERVICE_AGENT, SERVICE_MANAGER, SALES_MANAGER, EXECUTIVE)


def _owns(customer: KnownCustomer | None, user: Identity) -> bool:
    return customer is not None and customer.owner_id == user.user_id


def open_ticket(uow_factory: UowFactory, fields: dict, opener: Identity) -> Ticket:
    with uow_factory() as uow:
        customer = uow.customers.get(fields["customer_id"])
        if customer is None or not (opener.has_any(*OPENS_FOR_ANY) or _owns(customer, opener)):
            # Another rep's customer gets the same answer as a missing one, so ids cannot be probed.
            raise UnknownCustomer()
        ticket = Ticket.open(
            customer,
            subject=fields["subject"],
            description=fields.get("description"),
            priority=fields["priority"],
            opened_by=opener.user_id,
            now=utc_now(),
        )
        uow.tickets.add(ticket)
        uow.commit()
        return ticket


# Who closes tickets: the desk's own people.
CLOSERS = (ADMIN, SERVICE_AGENT, SERVICE_MANAGER)


def close_ticket(uow_factory: UowFactory, ticket_id: str, resolution: str | None, closer: Identity) -> Ticket:
    """Close an open ticket; 409 `ticket_closed` if it is closed already."""
    try:
        with uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            customer = uow.customers.get(ticket.customer_id) if ticket is not None else None
            if ticket is None or customer is None:
                raise NotFound("ticket", ticket_id)
            ticket.close(customer, closer.user_id, utc_now(), resolution)
            uow.commit()
            return ticket
    except StaleDataError as error:
        raise TicketClosedAlready() from error


# Who asks sales for an opportunity from a ticket: the desk's own people, who spot the need.
REQUESTERS = CLOSERS


def request_opportunity(uow_factory: UowFactory, ticket_id: str, request: OpportunityRequest,
                        requester: Identity) -> Ticket:
    """Ask sales for an opportunity for the ticket's customer; sales opens it and the ticket then names it."""
    try:
        with uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            customer = uow.customers.get(ticket.customer_id) if ticket is not None else None
            if ticket is None or customer is None:
                raise NotFound("ticket", ticket_id)
            if customer.owner_id is None:
                # Sales would refuse it too: a deal needs an owner, and a customer in the public pool has none.
                raise APIError(409, "customer_in_pool", "This customer is in the public pool: a sales manager gives "
                               "it to a rep first; then ask for the opportunity again.")
            ticket.request_opportunity(request, requester.user_id, utc_now())
            uow.commit()
            return ticket
    except StaleDataError as error:
        raise OpportunityAlreadyRequested() from error


def get_ticket(uow_factory: UowFactory, ticket_id: str, viewer: Identity) -> Ticket:
    with uow_factory() as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is not None and (viewer.has_any(*SEES_ALL) or _owns(uow.customers.get(ticket.customer_id), viewer)):
            return ticket
        raise NotFound("ticket", ticket_id)


def list_tickets(uow_factory: UowFactory, query: TicketQuery, viewer: Identity) -> tuple[list[Ticket], int]:
    if not viewer.has_any(*SEES_ALL):
        query = query.only_for_customers_of(viewer.user_id)
    with uow_factory() as uow:
        return uow.tickets.list(query)
