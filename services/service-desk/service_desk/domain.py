"""The ticket aggregate: its lifecycle, its history, the customers the desk knows of, and the events it records."""
from __future__ import annotations

import dataclasses
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from crm_shared.errors import APIError

LOW = "low"
NORMAL = "normal"
HIGH = "high"
URGENT = "urgent"
PRIORITIES = (LOW, NORMAL, HIGH, URGENT)

NEW = "new"
OPEN = "open"
PENDING_CUSTOMER = "pending_customer"
ON_HOLD = "on_hold"
RESOLVED = "resolved"
CLOSED = "closed"
REOPENED = "reopened"
STATUSES = (NEW, OPEN, PENDING_CUSTOMER, ON_HOLD, RESOLVED, CLOSED, REOPENED)

# The moves an agent (or a workflow rule) may make; anything else is refused with 409. A resolved or closed
# ticket comes back only by being reopened, so its reopening is always visible in the history.
_WORKING = (OPEN, PENDING_CUSTOMER, ON_HOLD, RESOLVED, CLOSED)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: _WORKING,
    OPEN: (PENDING_CUSTOMER, ON_HOLD, RESOLVED, CLOSED),
    PENDING_CUSTOMER: (OPEN, ON_HOLD, RESOLVED, CLOSED),
    ON_HOLD: (OPEN, PENDING_CUSTOMER, RESOLVED, CLOSED),
    REOPENED: _WORKING,
    RESOLVED: (CLOSED, REOPENED),
    CLOSED: (REOPENED,),
}
# Where the customer may rate the help they had.
RATEABLE = (RESOLVED, CLOSED)
# The statuses of a ticket still being worked on: what the desk's "open" queues show.
UNFINISHED = tuple(status for status in STATUSES if status not in (RESOLVED, CLOSED))

# Who opened the ticket, or how it came in.
DESK = "desk"
SALES = "sales"
API = "api"
PUBLIC_FORM = "public_form"
SOURCES = (DESK, SALES, API, PUBLIC_FORM)

AGENT = "agent"
CUSTOMER = "customer"

SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000
RESOLUTION_MAX = 2_000
OPPORTUNITY_NAME_MAX = 200
NOTE_MAX = 2_000
MESSAGE_MAX = 10_000
COMMENT_MAX = 2_000
CATEGORY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,49}$"
TAG_PATTERN = r"^[\w][\w .:-]{0,39}$"
TAGS_MAX = 20

# History kinds: one row per fact, ordered by (ticket_id, seq).
OPENED = "opened"
STATUS_CHANGED = "status_changed"
PUBLIC_REPLY = "public_reply"
INTERNAL_NOTE = "internal_note"
ASSIGNED = "assigned"
PRIORITY_CHANGED = "priority_changed"
CATEGORY_CHANGED = "category_changed"
TAGS_CHANGED = "tags_changed"
SUBJECT_CHANGED = "subject_changed"
DESCRIPTION_CHANGED = "description_changed"
CUSTOMER_LINKED = "customer_linked"
RATED = "rated"
REOPENED_KIND = "reopened"
RETURN_VISIT_SCHEDULED = "return_visit_scheduled"
RETURN_VISIT_COMPLETED = "return_visit_completed"

_FIELD_KINDS = {"priority": PRIORITY_CHANGED, "category": CATEGORY_CHANGED, "tags": TAGS_CHANGED,
                "subject": SUBJECT_CHANGED, "description": DESCRIPTION_CHANGED}
EDITABLE = tuple(_FIELD_KINDS)


class TicketClosedAlready(APIError):
    def __init__(self):
        super().__init__(409, "ticket_closed", "This ticket is already closed.")


class StatusTransitionNotAllowed(APIError):
    def __init__(self, from_status: str, to_status: str):
        allowed = list(TRANSITIONS.get(from_status, ()))
        super().__init__(
            409, "status_transition_not_allowed",
            f"A {from_status} ticket cannot become {to_status}; it can become: {', '.join(allowed) or 'nothing'}.",
            {"from": from_status, "to": to_status, "allowed": allowed},
        )


class TicketNotResolved(APIError):
    def __init__(self):
        super().__init__(409, "ticket_not_resolved", "Only a resolved or closed ticket can be rated or visited again.")


class TicketAlreadyRated(APIError):
    def __init__(self):
        super().__init__(409, "ticket_already_rated", "The customer has rated this ticket already.")


class CustomerAlreadyLinked(APIError):
    def __init__(self):
        super().__init__(409, "customer_already_linked", "This ticket names its customer already.")


class UnknownCustomer(APIError):
    """The ticket names a customer the desk does not know of (or that the caller may not see)."""

    def __init__(self):
        super().__init__(
            422,
            "unknown_customer",
            "Some fields are not valid. customer_id: No customer with this id.",
            {"customer_id": ["No customer with this id."]},
        )


class OpportunityAlreadyRequested(APIError):
    def __init__(self):
        super().__init__(409, "opportunity_already_requested", "An opportunity was already asked for from this "
                         "ticket; a new request is possible only once sales has refused it.")


@dataclass(frozen=True)
class KnownCustomer:
    """The desk's replica of a sales customer: just what tickets need to name and route it."""

    customer_id: str
    owner_id: str | None
    channel: str
    name: str


@dataclass(frozen=True)
class Requester:
    """Who wrote in through the public request form, as they told us."""

    name: str
    email: str
    phone: str | None = None
    company: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One fact in a ticket's life; `rule_id` names the workflow rule that caused it, if one did."""

    ticket_id: str
    seq: int
    at: datetime
    kind: str
    actor_id: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    field: str | None = None
    old_value: Any = None
    new_value: Any = None
    public: bool = False
    rule_id: str | None = None
    # dataclasses.field in full: the `field` column above shadows the bare name inside this class.
    detail: dict = dataclasses.field(default_factory=dict)


@dataclass
class TicketMessage:
    """A public reply (seen by the customer) or an internal note (seen by staff only)."""

    id: str
    ticket_id: str
    public: bool
    author_kind: str
    author_id: str | None
    author_name: str | None
    body: str
    created_at: datetime

    @property
    def kind(self) -> str:
        return PUBLIC_REPLY if self.public else INTERNAL_NOTE


# -- events the ticket records -------------------------------------------------------------------


@dataclass
class TicketOpened:
    ticket: "Ticket"
    customer_owner_id: str | None


@dataclass
class TicketClosed:
    ticket: "Ticket"
    customer_owner_id: str | None


@dataclass
class TicketSubmitted:
    """A ticket came in through the public request form."""

    ticket: "Ticket"


@dataclass
class TicketStatusChanged:
    ticket: "Ticket"
    from_status: str
    to_status: str
    actor_id: str | None
    at: datetime
    rule_id: str | None = None


@dataclass
class TicketReopened:
    ticket: "Ticket"
    from_status: str
    actor_id: str | None
    at: datetime
    reason: str | None = None


@dataclass
class TicketReplied:
    ticket: "Ticket"
    message: TicketMessage


@dataclass
class TicketAssigned:
    ticket: "Ticket"
    previous_assignee_id: str | None
    previous_group_id: str | None
    actor_id: str | None
    at: datetime
    rule_id: str | None = None


@dataclass
class TicketUpdated:
    ticket: "Ticket"
    changes: dict
    actor_id: str | None
    at: datetime
    rule_id: str | None = None


@dataclass
class TicketRated:
    ticket: "Ticket"


@dataclass(frozen=True)
class OpportunityRequest:
    """What an agent who spotted a sales need tells sales: a name for the deal, perhaps an amount, and a note."""

    name: str
    currency: str
    amount: Decimal | None = None
    note: str | None = None


@dataclass
class OpportunityRequested:
    ticket: "Ticket"
    request: OpportunityRequest


@dataclass
class Ticket:
    """A customer's request for help, from the moment someone opens it."""

    id: str
    customer_id: str | None
    subject: str
    priority: str
    status: str
    opened_by: str | None
    opened_at: datetime
    channel: str | None
    number: str | None = None
    description: str | None = None
    contact_id: str | None = None
    category: str | None = None
    tags: list = field(default_factory=list)
    assignee_id: str | None = None
    group_id: str | None = None
    source: str = DESK
    requester_name: str | None = None
    requester_email: str | None = None
    requester_phone: str | None = None
    requester_company: str | None = None
    # sha256 of the secret the public requester got once; the secret itself is never stored.
    public_token_hash: str | None = None
    updated_at: datetime | None = None
    first_replied_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    resolution: str | None = None
    satisfaction_rating: int | None = None
    satisfaction_comment: str | None = None
    satisfaction_rated_at: datetime | None = None
    satisfaction_rated_by: str | None = None
    satisfaction_by_customer: bool | None = None
    # The opportunity asked for from this ticket: who asked and when; the deal sales opened, or why it refused.
    opportunity_requested_at: datetime | None = None
    opportunity_requested_by: str | None = None
    opportunity_id: str | None = None
    opportunity_refusal: str | None = None
    # The seq of the last history row: kept on the ticket so that the version check on the ticket's row also
    # keeps two writers from numbering their history rows alike.
    history_seq: int = 0
    version: int = 1
    events: list = field(default_factory=list, compare=False, repr=False)
    new_history: list = field(default_factory=list, compare=False, repr=False)

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        customer: KnownCustomer,
        *,
        subject: str,
        opened_by: str,
        now: datetime,
        description: str | None = None,
        priority: str = NORMAL,
        number: str | None = None,
        category: str | None = None,
        tags: list[str] | None = None,
        contact_id: str | None = None,
        source: str = DESK,
    ) -> "Ticket":
        """A new ticket for `customer`, in the customer's channel."""
        ticket = cls._new(subject=subject, description=description, priority=priority, now=now, number=number,
                          category=category, tags=tags, source=source, opened_by=opened_by)
        ticket.customer_id = customer.customer_id
        ticket.channel = customer.channel
        ticket.contact_id = contact_id
        ticket._record(OPENED, opened_by, now, to_status=NEW, detail={"source": source})
        ticket.events.append(TicketOpened(ticket, customer_owner_id=customer.owner_id))
        return ticket

    @classmethod
    def submit(cls, requester: Requester, *, subject: str, description: str, now: datetime, number: str,
               token_hash: str, category: str | None = None) -> "Ticket":
        """A ticket from the public request form: no customer yet, only the requester's own contact details."""
        ticket = cls._new(subject=subject, description=description, priority=NORMAL, now=now, number=number,
                          category=category, tags=None, source=PUBLIC_FORM, opened_by=None)
        ticket.requester_name = requester.name
        ticket.requester_email = requester.email
        ticket.requester_phone = requester.phone
        ticket.requester_company = requester.company
        ticket.public_token_hash = token_hash
        ticket._record(OPENED, None, now, to_status=NEW, public=True,
                       detail={"source": PUBLIC_FORM, "author_kind": CUSTOMER})
        ticket.events.append(TicketSubmitted(ticket))
        return ticket

    @classmethod
    def _new(cls, *, subject, description, priority, now, number, category, tags, source, opened_by) -> "Ticket":
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
        _check_subject(subject)
        if description is not None and len(description) > DESCRIPTION_MAX:
            raise ValueError(f"a description has at most {DESCRIPTION_MAX} characters")
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        return cls(
            id=str(uuid.uuid4()), customer_id=None, subject=subject, description=description, priority=priority,
            status=NEW, opened_by=opened_by, opened_at=now, updated_at=now, channel=None, number=number,
            category=category, tags=_clean_tags(tags or []), source=source,
        )

    # -- lifecycle -------------------------------------------------------------------------------

    def change_status(self, to_status: str, actor_id: str | None, now: datetime, *, customer: KnownCustomer | None = None,
                      resolution: str | None = None, reason: str | None = None, rule_id: str | None = None) -> None:
        """Move the ticket along its lifecycle; 409 `status_transition_not_allowed` for a move the table refuses."""
        if to_status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {to_status!r}")
        if to_status == CLOSED and self.status == CLOSED:
            raise TicketClosedAlready()
        if to_status not in TRANSITIONS[self.status]:
            raise StatusTransitionNotAllowed(self.status, to_status)
        if resolution is not None and len(resolution) > RESOLUTION_MAX:
            raise ValueError(f"a resolution has at most {RESOLUTION_MAX} characters")
        from_status, self.status = self.status, to_status
        self.updated_at = now
        detail = {"reason": reason} if reason else {}
        if to_status in (RESOLVED, CLOSED) and resolution is not None:
            self.resolution = resolution
            detail["resolution"] = resolution
        if to_status == RESOLVED:
            self.resolved_at = now
        if to_status == CLOSED:
            self.closed_at = now
            self.closed_by = actor_id
            self.resolved_at = self.resolved_at or now
        if to_status == REOPENED:
            self.resolved_at = None
            self.closed_at = None
            self.closed_by = None
        kind = REOPENED_KIND if to_status == REOPENED else STATUS_CHANGED
        self._record(kind, actor_id, now, from_status=from_status, to_status=to_status, public=True, rule_id=rule_id,
                     detail=detail)
        self.events.append(TicketStatusChanged(self, from_status, to_status, actor_id, now, rule_id))
        if to_status == REOPENED:
            self.events.append(TicketReopened(self, from_status, actor_id, now, reason))
        # Only a ticket with a customer was announced as opened; its closing is announced to the same consumers.
        if to_status == CLOSED and self.customer_id is not None:
            self.events.append(TicketClosed(self, customer_owner_id=customer.owner_id if customer else None))

    def close(self, customer: KnownCustomer | None, user_id: str, now: datetime, resolution: str | None = None) -> None:
        """Done with: the ticket no longer keeps its customer's lead from being recycled."""
        self.change_status(CLOSED, user_id, now, customer=customer, resolution=resolution)

    def reopen(self, actor_id: str | None, now: datetime, reason: str | None = None, rule_id: str | None = None) -> None:
        self.change_status(REOPENED, actor_id, now, reason=reason, rule_id=rule_id)

    # -- the thread ------------------------------------------------------------------------------

    def reply(self, body: str, author_kind: str, author_id: str | None, now: datetime, *,
              author_name: str | None = None) -> TicketMessage:
        """A public reply, by an agent or by the customer; the status follows who is waiting for whom."""
        if author_kind == CUSTOMER and self.status == CLOSED:
            raise TicketClosedAlready()
        message = self._message(body, True, author_kind, author_id, author_name, now)
        self._record(PUBLIC_REPLY, author_id, now, public=True,
                     detail={"message_id": message.id, "author_kind": author_kind})
        self.events.append(TicketReplied(self, message))
        if author_kind == AGENT:
            self.first_replied_at = self.first_replied_at or now
            if self.status in (NEW, REOPENED):
                self.change_status(OPEN, author_id, now)
        elif self.status == PENDING_CUSTOMER:
            self.change_status(OPEN, None, now, reason="customer_replied")
        elif self.status == RESOLVED:
            self.change_status(REOPENED, None, now, reason="customer_replied")
        return message

    def note(self, body: str, author_id: str, now: datetime, *, author_name: str | None = None) -> TicketMessage:
        """An internal note: staff only, never in the customer's view."""
        message = self._message(body, False, AGENT, author_id, author_name, now)
        self._record(INTERNAL_NOTE, author_id, now, detail={"message_id": message.id})
        return message

    def _message(self, body, public, author_kind, author_id, author_name, now) -> TicketMessage:
        if not body.strip() or len(body) > MESSAGE_MAX:
            raise ValueError(f"a message has 1 to {MESSAGE_MAX} characters and is not blank")
        self.updated_at = now
        return TicketMessage(id=str(uuid.uuid4()), ticket_id=self.id, public=public, author_kind=author_kind,
                             author_id=author_id, author_name=author_name, body=body, created_at=now)

    # -- fields ----------------------------------------------------------------------------------

    def edit(self, changes: dict, actor_id: str | None, now: datetime, rule_id: str | None = None) -> dict:
        """Change subject, description, priority, category or tags; one history row per field that changed."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValueError(f"cannot edit {', '.join(sorted(unknown))}")
        if "priority" in changes and changes["priority"] not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
        if "subject" in changes:
            _check_subject(changes["subject"])
        if "tags" in changes:
            changes = {**changes, "tags": _clean_tags(changes["tags"])}
        changed = {}
        for name in EDITABLE:
            if name in changes and changes[name] != getattr(self, name):
                old, new = getattr(self, name), changes[name]
                setattr(self, name, list(new) if name == "tags" else new)
                self._record(_FIELD_KINDS[name], actor_id, now, field=name, old_value=old, new_value=new,
                             rule_id=rule_id)
                changed[name] = {"old": old, "new": new}
        if changed:
            self.updated_at = now
            self.events.append(TicketUpdated(self, changed, actor_id, now, rule_id))
        return changed

    def add_tags(self, tags: list[str], actor_id: str | None, now: datetime, rule_id: str | None = None) -> dict:
        """Add tags the ticket does not have yet (a workflow rule's action)."""
        return self.edit({"tags": [*self.tags, *(t for t in tags if t not in self.tags)]}, actor_id, now, rule_id)

    def assign(self, assignee_id: str | None, group_id: str | None, actor_id: str | None, now: datetime,
               rule_id: str | None = None) -> bool:
        """Give the ticket to an agent and/or a group (None clears); False when nothing changes."""
        if (assignee_id, group_id) == (self.assignee_id, self.group_id):
            return False
        before = (self.assignee_id, self.group_id)
        self.assignee_id, self.group_id = assignee_id, group_id
        self.updated_at = now
        self._record(ASSIGNED, actor_id, now, field="assignee", rule_id=rule_id,
                     old_value={"assignee_id": before[0], "group_id": before[1]},
                     new_value={"assignee_id": assignee_id, "group_id": group_id})
        self.events.append(TicketAssigned(self, before[0], before[1], actor_id, now, rule_id))
        return True

    def link_customer(self, customer: KnownCustomer, contact_id: str | None, actor_id: str, now: datetime) -> None:
        """Name the customer of a public request; from now on the ticket counts as that customer's."""
        if self.customer_id is not None:
            raise CustomerAlreadyLinked()
        self.customer_id, self.contact_id, self.channel = customer.customer_id, contact_id, customer.channel
        self.updated_at = now
        self._record(CUSTOMER_LINKED, actor_id, now, field="customer_id", new_value=customer.customer_id)
        # Consumers that track a customer's open tickets hear of this one now that it has a customer.
        self.events.append(TicketOpened(self, customer_owner_id=customer.owner_id))
        if self.status == CLOSED:
            self.events.append(TicketClosed(self, customer_owner_id=customer.owner_id))

    def rate(self, rating: int, comment: str | None, rated_by: str | None, by_customer: bool, now: datetime) -> None:
        """The customer's satisfaction (1-5), once the ticket is resolved or closed; asked for once."""
        if self.status not in RATEABLE:
            raise TicketNotResolved()
        if self.satisfaction_rating is not None:
            raise TicketAlreadyRated()
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ValueError("a rating is a whole number from 1 to 5")
        if comment is not None and len(comment) > COMMENT_MAX:
            raise ValueError(f"a comment has at most {COMMENT_MAX} characters")
        self.satisfaction_rating, self.satisfaction_comment = rating, comment
        self.satisfaction_rated_at, self.satisfaction_rated_by, self.satisfaction_by_customer = now, rated_by, by_customer
        self.updated_at = now
        self._record(RATED, rated_by, now, new_value=rating, public=True,
                     detail={"by_customer": by_customer, "comment": comment})
        self.events.append(TicketRated(self))

    def record_return_visit(self, kind: str, actor_id: str, now: datetime, detail: dict) -> None:
        """A return visit was scheduled or done: a line in the ticket's history."""
        if kind == RETURN_VISIT_SCHEDULED and self.status not in RATEABLE:
            raise TicketNotResolved()
        self.updated_at = now
        self._record(kind, actor_id, now, detail=detail)

    def note_history(self, kind: str, actor_id: str | None, now: datetime, *, rule_id: str | None = None,
                     detail: dict | None = None) -> None:
        """A fact that changes no field (an escalation, a notification): a history row and nothing else."""
        self._record(kind, actor_id, now, rule_id=rule_id, detail=dict(detail or {}))

    def matches_token(self, token_hash: str) -> bool:
        """Whether the secret the requester holds hashes to this ticket's; compared in constant time."""
        return self.public_token_hash is not None and hmac.compare_digest(self.public_token_hash, token_hash)

    # -- views -----------------------------------------------------------------------------------

    @property
    def requester(self) -> dict | None:
        if self.requester_email is None:
            return None
        return {"name": self.requester_name, "email": self.requester_email, "phone": self.requester_phone,
                "company": self.requester_company}

    @property
    def satisfaction(self) -> dict | None:
        if self.satisfaction_rating is None:
            return None
        return {"rating": self.satisfaction_rating, "comment": self.satisfaction_comment,
                "rated_at": self.satisfaction_rated_at, "rated_by": self.satisfaction_rated_by,
                "by_customer": bool(self.satisfaction_by_customer)}

    # -- opportunities ---------------------------------------------------------------------------

    def request_opportunity(self, request: OpportunityRequest, user_id: str, now: datetime) -> None:
        """Ask sales for an opportunity for the ticket's customer, once (again only after sales refused)."""
        if self.opportunity_requested_at is not None and self.opportunity_refusal is None:
            raise OpportunityAlreadyRequested()
        if not request.name.strip() or len(request.name) > OPPORTUNITY_NAME_MAX:
            raise ValueError(f"an opportunity name has 1 to {OPPORTUNITY_NAME_MAX} characters and is not blank")
        if request.note is not None and len(request.note) > NOTE_MAX:
            raise ValueError(f"a note has at most {NOTE_MAX} characters")
        self.opportunity_requested_at = now
        self.opportunity_requested_by = user_id
        self.opportunity_id = None
        self.opportunity_refusal = None
        self.events.append(OpportunityRequested(self, request))

    def link_opportunity(self, opportunity_id: str) -> bool:
        """Sales opened a deal from this ticket: the ticket names it. False if it names one already."""
        if self.opportunity_id is not None:
            return False
        self.opportunity_id = opportunity_id
        self.opportunity_refusal = None
        return True

    def opportunity_refused(self, requested_at: datetime, reason: str) -> bool:
        """Sales could not open the deal asked for at `requested_at` (say, the customer is in the public pool); the
        agent may ask again.

        False when there is nothing to refuse: that request is not the pending one, or a deal is linked already."""
        if self.opportunity_requested_at != requested_at or self.opportunity_id is not None:
            return False
        self.opportunity_refusal = reason
        return True

    # -- history ---------------------------------------------------------------------------------

    def _record(self, kind: str, actor_id: str | None, at: datetime, **facts) -> None:
        self.history_seq = (self.history_seq or 0) + 1
        self.new_history.append(HistoryEntry(ticket_id=self.id, seq=self.history_seq, at=at, kind=kind,
                                             actor_id=actor_id, **facts))


def _check_subject(subject: str) -> None:
    if not subject.strip() or len(subject) > SUBJECT_MAX:
        raise ValueError(f"a subject has 1 to {SUBJECT_MAX} characters and is not blank")


def _clean_tags(tags: list[str]) -> list[str]:
    """Tags without blanks or repeats, in the order given."""
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise ValueError(f"a ticket has at most {TAGS_MAX} tags")
    return cleaned
