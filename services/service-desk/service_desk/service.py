"""The ticket use cases (opening, working, closing; thread and history) and who may do what; the only place that commits."""
from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.auth import ADMIN, EXECUTIVE, SALES_MANAGER, SALES_REP, SERVICE_AGENT, SERVICE_MANAGER, Identity
from crm_shared.envelope import utc_now
from crm_shared.errors import APIError, NotFound
from crm_shared.versioning import VersionMismatch, check_version, stale_write_refused
from service_desk import ticket_hooks
from service_desk.domain import (
    AGENT,
    CLOSED,
    DESK,
    SALES,
    STATUSES,
    UNFINISHED,
    HistoryEntry,
    KnownCustomer,
    OpportunityAlreadyRequested,
    OpportunityRequest,
    Ticket,
    TicketClosedAlready,
    TicketMessage,
    UnknownCustomer,
)
from service_desk.repository import TicketQuery
from service_desk.uow import ServiceDeskUnitOfWork

UowFactory = Callable[[], ServiceDeskUnitOfWork]
T = TypeVar("T")

# The desk's own people see and work every ticket.
DESK_ROLES = (ADMIN, SERVICE_AGENT, SERVICE_MANAGER)
# A sales rep reads the tickets of the customers they own and opens tickets for them; a sales manager the
# same for their teams' members' customers; executives read every ticket; nobody else sees tickets.
READERS = (*DESK_ROLES, SALES_REP, SALES_MANAGER, EXECUTIVE)
OPENS_FOR_ANY = DESK_ROLES
OPENERS = (*DESK_ROLES, SALES_REP, SALES_MANAGER)
SEES_ALL = (*DESK_ROLES, EXECUTIVE)
CLOSERS = DESK_ROLES
WORKERS = DESK_ROLES
# Who asks sales for an opportunity from a ticket: the desk's own people, who spot the need.
REQUESTERS = DESK_ROLES
# An unversioned action (a reply, a note, a rating) that lost a race with another writer is simply tried again.
RETRIES = 3


def _owns(customer: KnownCustomer | None, user: Identity, uow: ServiceDeskUnitOfWork | None = None) -> bool:
    """Whether `user` sells to the customer: owns it, or (a sales manager) manages a team of its owner."""
    if customer is None or customer.owner_id is None:
        return False
    if customer.owner_id == user.user_id:
        return True
    return uow is not None and user.has_any(SALES_MANAGER) and customer.owner_id in _team_members(uow, user)


def _team_members(uow: ServiceDeskUnitOfWork, manager: Identity) -> frozenset[str]:
    """The users of the manager's teams, as the directory has them (the token's teams before it heard of them)."""
    teams = uow.directory.teams_of(manager.user_id)
    teams = manager.team_ids if teams is None else teams
    return frozenset(uow.session.scalars(uow.directory.members_of_teams(teams))) if teams else frozenset()


def visible_owners(uow: ServiceDeskUnitOfWork, viewer: Identity) -> frozenset[str] | None:
    """The owners whose customers' tickets `viewer` sees; None for every ticket."""
    if viewer.has_any(*SEES_ALL):
        return None
    owners = {viewer.user_id}
    if viewer.has_any(SALES_MANAGER):
        owners |= _team_members(uow, viewer)
    return frozenset(owners)


def visible_ticket(uow: ServiceDeskUnitOfWork, ticket_id: str, viewer: Identity) -> Ticket:
    """The ticket if `viewer` may see it; 404 otherwise, the same answer as for a ticket that does not exist."""
    ticket = uow.tickets.get(ticket_id)
    if ticket is not None and (viewer.has_any(*SEES_ALL) or (
            viewer.has_any(SALES_REP, SALES_MANAGER) and _owns(uow.customers.get(ticket.customer_id), viewer, uow))):
        return ticket
    raise NotFound("ticket", ticket_id)


def _workable_ticket(uow: ServiceDeskUnitOfWork, ticket_id: str, worker: Identity) -> Ticket:
    ticket = uow.tickets.get(ticket_id) if worker.has_any(*WORKERS) else None
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket


def _retrying(action: Callable[[], T]) -> T:
    for attempt in range(RETRIES):
        try:
            return action()
        except StaleDataError as error:
            if attempt == RETRIES - 1:
                raise VersionMismatch("ticket") from error
    raise AssertionError("unreachable")


def _with_sla(uow: ServiceDeskUnitOfWork, tickets: list[Ticket]) -> None:
    ticket_hooks.attach_sla(uow, tickets, utc_now())


def open_ticket(uow_factory: UowFactory, fields: dict, opener: Identity) -> Ticket:
    """Open a ticket for a known customer: any customer for the desk, a rep's own customers for a rep."""
    with uow_factory() as uow:
        customer = uow.customers.get(fields["customer_id"])
        if customer is None or not (opener.has_any(*OPENS_FOR_ANY) or _owns(customer, opener, uow)):
            # Another rep's customer gets the same answer as a missing one, so ids cannot be probed.
            raise UnknownCustomer()
        now = utc_now()
        # A rep's ticket is always marked as coming from sales; the desk says whether another system sent it.
        source = (fields.get("source") or DESK) if opener.has_any(*OPENS_FOR_ANY) else SALES
        ticket = Ticket.open(
            customer,
            subject=fields["subject"],
            description=fields.get("description"),
            priority=fields["priority"],
            category=fields.get("category"),
            tags=fields.get("tags"),
            contact_id=fields.get("contact_id"),
            source=source,
            number=uow.ticket_numbers.next(now.year),
            opened_by=opener.user_id,
            now=now,
        )
        uow.tickets.add(ticket)
        ticket_hooks.after_change(uow, ticket, ticket_hooks.ON_CREATE, opener.user_id)
        uow.commit()
        _with_sla(uow, [ticket])
        return ticket


def get_ticket(uow_factory: UowFactory, ticket_id: str, viewer: Identity) -> Ticket:
    with uow_factory() as uow:
        ticket = visible_ticket(uow, ticket_id, viewer)
        _with_sla(uow, [ticket])
        return ticket


class UnknownStatus(APIError):
    def __init__(self, status: str):
        message = f"There is no ticket status '{status}'; use one of: {', '.join(STATUSES)}."
        super().__init__(400, "unknown_status", message, {"status": [message]})


def statuses_asked(statuses: list[str] | None, open_: bool | None) -> tuple[str, ...] | None:
    """The statuses a list asks for: any of `statuses`, narrowed by `open_` (true: not resolved and not closed;
    false: resolved or closed); None when neither is given. 400 `unknown_status` names a status that does not exist."""
    for status in statuses or ():
        if status not in STATUSES:
            raise UnknownStatus(status)
    if not statuses and open_ is None:
        return None
    wanted = tuple(dict.fromkeys(statuses)) if statuses else STATUSES
    if open_ is not None:
        wanted = tuple(status for status in wanted if (status in UNFINISHED) == open_)
    return wanted


def list_tickets(uow_factory: UowFactory, query: TicketQuery, viewer: Identity) -> tuple[list[Ticket], int]:
    with uow_factory() as uow:
        owners = visible_owners(uow, viewer)
        if owners is not None:
            query = query.only_for_customers_of(owners)
        items, total = uow.tickets.list(query)
        _with_sla(uow, items)
        return items, total


def _versioned_change(uow_factory: UowFactory, ticket_id: str, expected_version: int | None, actor: Identity,
                      change: Callable[[ServiceDeskUnitOfWork, Ticket], None]) -> Ticket:
    with stale_write_refused("ticket"), uow_factory() as uow:
        ticket = _workable_ticket(uow, ticket_id, actor)
        check_version("ticket", expected_version, ticket.version)
        change(uow, ticket)
        ticket_hooks.after_change(uow, ticket, ticket_hooks.ON_UPDATE, actor.user_id)
        uow.commit()
        _with_sla(uow, [ticket])
        return ticket


def edit_ticket(uow_factory: UowFactory, ticket_id: str, changes: dict, expected_version: int,
                editor: Identity) -> Ticket:
    """Change subject, description, priority, category or tags, if nobody changed the ticket meanwhile."""
    return _versioned_change(uow_factory, ticket_id, expected_version, editor,
                             lambda uow, ticket: ticket.edit(changes, editor.user_id, utc_now()))


def change_status(uow_factory: UowFactory, ticket_id: str, to_status: str, expected_version: int, actor: Identity,
                  *, resolution: str | None = None, reason: str | None = None) -> Ticket:
    """Move the ticket along its lifecycle; 409 `status_transition_not_allowed` for a move the table refuses."""
    def move(uow, ticket):
        ticket.change_status(to_status, actor.user_id, utc_now(), customer=uow.customers.get(ticket.customer_id),
                             resolution=resolution, reason=reason)
    return _versioned_change(uow_factory, ticket_id, expected_version, actor, move)


def close_ticket(uow_factory: UowFactory, ticket_id: str, resolution: str | None, closer: Identity,
                 expected_version: int | None = None) -> Ticket:
    """Close a ticket; 409 `ticket_closed` if it is closed already (also when another closer won the race)."""
    try:
        with uow_factory() as uow:
            ticket = _workable_ticket(uow, ticket_id, closer)
            check_version("ticket", expected_version, ticket.version)
            ticket.close(uow.customers.get(ticket.customer_id), closer.user_id, utc_now(), resolution)
            ticket_hooks.after_change(uow, ticket, ticket_hooks.ON_UPDATE, closer.user_id)
            uow.commit()
            _with_sla(uow, [ticket])
            return ticket
    except StaleDataError as error:
        # Someone else wrote first: if they closed it, say so; any other change means reading it again.
        with uow_factory() as uow:
            current = uow.tickets.get(ticket_id)
        if current is not None and current.status == CLOSED:
            raise TicketClosedAlready() from error
        raise VersionMismatch("ticket") from error


def assign_ticket(uow_factory: UowFactory, ticket_id: str, assignee_id: str | None, group_id: str | None,
                  expected_version: int, actor: Identity) -> Ticket:
    """Give the ticket to an agent and/or a group by hand (the workflow rules assign through the same method)."""
    return _versioned_change(uow_factory, ticket_id, expected_version, actor,
                             lambda uow, ticket: ticket.assign(assignee_id, group_id, actor.user_id, utc_now()))


def link_customer(uow_factory: UowFactory, ticket_id: str, customer_id: str, contact_id: str | None,
                  expected_version: int, actor: Identity) -> Ticket:
    """Name the customer of a public request; 422 `unknown_customer`, 409 `customer_already_linked`."""
    def link(uow, ticket):
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise UnknownCustomer()
        ticket.link_customer(customer, contact_id, actor.user_id, utc_now())
    return _versioned_change(uow_factory, ticket_id, expected_version, actor, link)


def reply(uow_factory: UowFactory, ticket_id: str, body: str, author: Identity) -> TicketMessage:
    """A public reply by an agent: the customer sees it in their view of the request."""
    def attempt():
        with uow_factory() as uow:
            ticket = _workable_ticket(uow, ticket_id, author)
            message = ticket.reply(body, AGENT, author.user_id, utc_now(), author_name=author.username)
            uow.ticket_messages.add(message)
            ticket_hooks.after_change(uow, ticket, ticket_hooks.ON_UPDATE, author.user_id)
            uow.commit()
            return message
    return _retrying(attempt)


def add_note(uow_factory: UowFactory, ticket_id: str, body: str, author: Identity) -> TicketMessage:
    """An internal note: staff only, never in the customer's view."""
    def attempt():
        with uow_factory() as uow:
            ticket = _workable_ticket(uow, ticket_id, author)
            message = ticket.note(body, author.user_id, utc_now(), author_name=author.username)
            uow.ticket_messages.add(message)
            # Notes are never published; the audit log names the note, not its text (GET .../messages shows it).
            uow.audit_change("ticket", ticket.id, "note_added", {"message_id": message.id})
            uow.commit()
            return message
    return _retrying(attempt)


def thread(uow_factory: UowFactory, ticket_id: str, viewer: Identity) -> list[TicketMessage]:
    """The ticket's replies and internal notes, oldest first (staff who may see the ticket)."""
    with uow_factory() as uow:
        visible_ticket(uow, ticket_id, viewer)
        return uow.ticket_messages.of(ticket_id, public_only=False)


def history(uow_factory: UowFactory, ticket_id: str, viewer: Identity) -> list[HistoryEntry]:
    """The ticket's facts, oldest first."""
    with uow_factory() as uow:
        visible_ticket(uow, ticket_id, viewer)
        return uow.ticket_history.of(ticket_id)


def rate(uow_factory: UowFactory, ticket_id: str, rating: int, comment: str | None, agent: Identity) -> Ticket:
    """Record the customer's satisfaction, told to an agent, on a resolved or closed ticket."""
    def attempt():
        with uow_factory() as uow:
            ticket = _workable_ticket(uow, ticket_id, agent)
            ticket.rate(rating, comment, agent.user_id, False, utc_now())
            uow.commit()
            _with_sla(uow, [ticket])
            return ticket
    return _retrying(attempt)


def request_opportunity(uow_factory: UowFactory, ticket_id: str, request: OpportunityRequest,
                        requester: Identity) -> Ticket:
    """Ask sales for an opportunity for the ticket's customer; sales opens it and the ticket then names it."""
    try:
        with uow_factory() as uow:
            ticket = _workable_ticket(uow, ticket_id, requester)
            customer = uow.customers.get(ticket.customer_id)
            if customer is None:
                raise APIError(409, "ticket_without_customer", "Link this ticket to a customer first; a deal needs one.")
            if customer.owner_id is None:
                # Sales would refuse it too: a deal needs an owner, and a customer in the public pool has none.
                raise APIError(409, "customer_in_pool", "This customer is in the public pool: a sales manager gives "
                               "it to a rep first; then ask for the opportunity again.")
            ticket.request_opportunity(request, requester.user_id, utc_now())
            uow.commit()
            _with_sla(uow, [ticket])
            return ticket
    except StaleDataError as error:
        raise OpportunityAlreadyRequested() from error
