"""The public request form: a request without an account, its acknowledgement number and secret, and its thread."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm.exc import StaleDataError

from crm_shared.envelope import utc_now
from crm_shared.rate_limit import RateLimit
from crm_shared.errors import APIError
from crm_shared.versioning import VersionMismatch
from service_desk import ticket_hooks
from service_desk.config import public_request_limit
from service_desk.domain import CUSTOMER, RATEABLE, Requester, Ticket, TicketMessage
from service_desk.service import RETRIES, UowFactory

# Replies through the public view: enough for a conversation, not for a flood.
REPLIES_PER_WINDOW = RateLimit(requests=20, window=timedelta(minutes=10))


# The secret is the only key to a request: returned once, stored as a hash; a wrong secret or another request's
# number gets exactly the answer an unknown number gets.
class RequestNotFound(APIError):
    def __init__(self):
        super().__init__(404, "not_found", "No request with this number and access token.")


@dataclass(frozen=True)
class Acknowledgement:
    number: str
    access_token: str
    status: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def submit(uow_factory: UowFactory, fields: dict, client_address: str) -> Acknowledgement:
    """Take a request from the form: 429 once the address or the email has sent too many; nothing kept then."""
    now = utc_now()
    token = secrets.token_urlsafe(32)
    with uow_factory() as uow:
        # A person (or a script) sends only so many requests per client address and per email.
        uow.public_rate_limits.take([f"ip:{client_address}", f"email:{fields['email'].strip().lower()}"],
                                    RateLimit(*public_request_limit()), now)
        requester = Requester(name=fields["name"].strip(), email=fields["email"].strip(), phone=fields.get("phone"),
                              company=fields.get("company"))
        ticket = Ticket.submit(requester, subject=fields["subject"], description=fields["description"], now=now,
                               number=uow.ticket_numbers.next(now.year), token_hash=hash_token(token),
                               category=fields.get("category"))
        uow.tickets.add(ticket)
        ticket_hooks.after_change(uow, ticket, ticket_hooks.ON_CREATE, None)
        uow.commit()
        return Acknowledgement(number=ticket.number, access_token=token, status=ticket.status)


def _requested(uow, number: str, token: str) -> Ticket:
    ticket = uow.tickets.by_number(number)
    if ticket is None or not ticket.matches_token(hash_token(token)):
        raise RequestNotFound()
    return ticket


def _public_view(uow, ticket: Ticket) -> dict:
    # The request itself opens the thread, as the customer wrote it; then the public replies, never a note.
    opening = {"author_kind": CUSTOMER, "body": ticket.description, "created_at": ticket.opened_at}
    replies = [{"author_kind": m.author_kind, "body": m.body, "created_at": m.created_at}
               for m in uow.ticket_messages.of(ticket.id, public_only=True)]
    satisfaction = ticket.satisfaction
    return {
        "number": ticket.number, "subject": ticket.subject, "status": ticket.status, "opened_at": ticket.opened_at,
        "updated_at": ticket.updated_at, "messages": [opening, *replies],
        "satisfaction": satisfaction,
        "can_rate": ticket.status in RATEABLE and satisfaction is None,
    }


def view(uow_factory: UowFactory, number: str, token: str) -> dict:
    """What the requester sees of their request: its status and its public thread."""
    with uow_factory() as uow:
        return _public_view(uow, _requested(uow, number, token))


def _retrying(action):
    for attempt in range(RETRIES):
        try:
            return action()
        except StaleDataError as error:
            if attempt == RETRIES - 1:
                raise VersionMismatch("request") from error
    raise AssertionError("unreachable")


def reply(uow_factory: UowFactory, number: str, token: str, body: str, client_address: str) -> TicketMessage:
    """The requester answers; a request waiting for them is open again, a resolved one reopened."""
    def attempt():
        now = utc_now()
        with uow_factory() as uow:
            ticket = _requested(uow, number, token)
            uow.public_rate_limits.take([f"reply-ip:{client_address}"], REPLIES_PER_WINDOW, now)
            message = ticket.reply(body, CUSTOMER, None, now, author_name=ticket.requester_name)
            uow.ticket_messages.add(message)
            ticket_hooks.after_change(uow, ticket, ticket_hooks.ON_UPDATE, None)
            uow.commit()
            return message
    return _retrying(attempt)


def rate(uow_factory: UowFactory, number: str, token: str, rating: int, comment: str | None) -> dict:
    """The requester rates the help they had (1-5), once the request is resolved or closed."""
    def attempt():
        with uow_factory() as uow:
            ticket = _requested(uow, number, token)
            ticket.rate(rating, comment, None, True, utc_now())
            uow.commit()
            return _public_view(uow, ticket)
    return _retrying(attempt)
