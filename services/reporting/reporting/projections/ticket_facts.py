"""Read model `fact_tickets`, from the service desk's events: volume, response and resolution times, SLA, ratings."""
from __future__ import annotations

from crm_shared.envelope import Envelope
from reporting import events
from reporting.db import fact_tickets
from reporting.projections.base import Projection
from reporting.projections.changes import Changes
from reporting.projections.facts import moment, text

RESOLVED = "resolved"


def _ticket(envelope: Envelope, changes: Changes, *, guarded=None, **rules) -> None:
    payload = envelope.payload
    first = {"customer_id": payload.get("customer_id"), **rules.pop("first", {})}
    guarded = dict(guarded or {})
    if "customer_owner_id" in payload:
        # The desk names the customer's owner on most events; the newest event's word is the owner.
        guarded["owner_at"] = {"owner_id": payload.get("customer_owner_id")}
    if "priority" in payload and payload["priority"]:
        guarded.setdefault("priority_at", {"priority": text(payload["priority"], 20)})
    if "assignee_id" in payload and envelope.name == events.TICKET_STATUS_CHANGED:
        guarded["assignment_at"] = {"assignee_id": payload.get("assignee_id"), "group_id": payload.get("group_id")}
    changes.upsert(
        fact_tickets, {"ticket_id": payload["ticket_id"]}, envelope.occurred,
        first=first, guarded=guarded, defaults={"status": "new"}, **rules,
    )


def opened(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    _ticket(
        envelope, changes,
        first={
            "opened_at": moment(payload.get("opened_at")) or envelope.occurred,
            "subject": text(payload.get("subject"), 300),
            "channel": text(payload.get("channel"), 50) or ("web_form" if envelope.name == events.TICKET_SUBMITTED else None),
        },
        state={"status": text(payload.get("status"), 20) or "new"},
    )


def assigned(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    _ticket(envelope, changes, guarded={"assignment_at": {"assignee_id": payload.get("assignee_id"), "group_id": payload.get("group_id")}})


def updated(envelope: Envelope, changes: Changes) -> None:
    priority = (envelope.payload.get("changes") or {}).get("priority")
    new_priority = priority.get("new") if isinstance(priority, dict) else priority
    _ticket(envelope, changes, guarded={"priority_at": {"priority": text(new_priority, 20)}} if new_priority else None)


def replied(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    rules = {}
    if payload.get("author_kind") == "agent":
        rules["earliest"] = {"first_response_at": moment(payload.get("replied_at")) or envelope.occurred}
    if payload.get("status"):
        rules["state"] = {"status": text(payload["status"], 20)}
    _ticket(envelope, changes, **rules)


def status_changed(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    to_status = text(payload.get("to_status"), 20)
    rules = {"state": {"status": to_status}}
    if to_status == RESOLVED:
        rules["latest"] = {"resolved_at": moment(payload.get("changed_at")) or envelope.occurred}
    _ticket(envelope, changes, **rules)


def reopened(envelope: Envelope, changes: Changes) -> None:
    _ticket(envelope, changes, state={"status": "reopened"}, add={"reopened": 1})


def closed(envelope: Envelope, changes: Changes) -> None:
    payload = envelope.payload
    at = moment(payload.get("closed_at")) or envelope.occurred
    # A ticket closed unresolved counts as resolved when it closed: dashboards.resolution_moment.
    _ticket(envelope, changes, state={"status": "closed"}, latest={"closed_at": at})


def rated(envelope: Envelope, changes: Changes) -> None:
    rating = envelope.payload.get("rating")
    _ticket(envelope, changes, guarded={"rating_at": {"rating": rating if isinstance(rating, int) else None}})


def breached(envelope: Envelope, changes: Changes) -> None:
    _ticket(envelope, changes, add={"sla_breaches": 1})


PROJECTION = Projection(
    name="ticket_facts",
    tables=(fact_tickets,),
    handlers={
        events.TICKET_OPENED: opened,
        events.TICKET_SUBMITTED: opened,
        events.TICKET_ASSIGNED: assigned,
        events.TICKET_UPDATED: updated,
        events.TICKET_REPLIED: replied,
        events.TICKET_STATUS_CHANGED: status_changed,
        events.TICKET_REOPENED: reopened,
        events.TICKET_CLOSED: closed,
        events.TICKET_RATED: rated,
        events.TICKET_SLA_BREACHED: breached,
    },
)
