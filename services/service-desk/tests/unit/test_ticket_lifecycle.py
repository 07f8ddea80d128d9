"""The ticket's lifecycle: the transition table, the history rows each change records, replies, ratings, events."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crm_shared.testing import contract
from service_desk.domain import (
    AGENT,
    CLOSED,
    CUSTOMER,
    NEW,
    OPEN,
    PENDING_CUSTOMER,
    REOPENED,
    RESOLVED,
    STATUSES,
    TRANSITIONS,
    CustomerAlreadyLinked,
    KnownCustomer,
    Requester,
    StatusTransitionNotAllowed,
    Ticket,
    TicketAlreadyRated,
    TicketClosed,
    TicketClosedAlready,
    TicketNotResolved,
    TicketOpened,
)
from service_desk.events import to_envelope
from service_desk.return_visits import ReturnVisit, ReturnVisitCompletedAlready

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
ACME = KnownCustomer(customer_id="cust-1", owner_id="rep-1", channel="partner", name="Acme")


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def opened() -> Ticket:
    return Ticket.open(ACME, subject="Export fails", opened_by="agent-1", now=NOW, number="SD-2026-000001")


def submitted() -> Ticket:
    return Ticket.submit(Requester("Li Wei", "li@example.com"), subject="Cannot log in", description="Since today.",
                         now=NOW, number="SD-2026-000002", token_hash="a" * 64)


def at_status(status: str) -> Ticket:
    ticket = opened()
    path = {NEW: [], OPEN: [OPEN], PENDING_CUSTOMER: [PENDING_CUSTOMER], "on_hold": ["on_hold"],
            RESOLVED: [RESOLVED], CLOSED: [CLOSED], REOPENED: [RESOLVED, REOPENED]}[status]
    for step in path:
        ticket.change_status(step, "agent-1", NOW, customer=ACME)
    ticket.events.clear()
    ticket.new_history.clear()
    return ticket


def kinds(ticket: Ticket) -> list[str]:
    return [entry.kind for entry in ticket.new_history]


ALLOWED = {
    NEW: {OPEN, PENDING_CUSTOMER, "on_hold", RESOLVED, CLOSED},
    OPEN: {PENDING_CUSTOMER, "on_hold", RESOLVED, CLOSED},
    PENDING_CUSTOMER: {OPEN, "on_hold", RESOLVED, CLOSED},
    "on_hold": {OPEN, PENDING_CUSTOMER, RESOLVED, CLOSED},
    REOPENED: {OPEN, PENDING_CUSTOMER, "on_hold", RESOLVED, CLOSED},
    RESOLVED: {CLOSED, REOPENED},
    CLOSED: {REOPENED},
}


@pytest.mark.parametrize("from_status", STATUSES)
@pytest.mark.parametrize("to_status", STATUSES)
def test_the_transition_table_allows_exactly_the_moves_of_the_lifecycle(from_status, to_status):
    ticket = at_status(from_status)
    if to_status in ALLOWED[from_status]:
        ticket.change_status(to_status, "agent-1", later(5), customer=ACME)
        assert ticket.status == to_status
        [entry] = [e for e in ticket.new_history if e.to_status == to_status]
        assert (entry.from_status, entry.actor_id, entry.at, entry.public) == (from_status, "agent-1", later(5), True)
    else:
        expected = TicketClosedAlready if (from_status, to_status) == (CLOSED, CLOSED) else StatusTransitionNotAllowed
        with pytest.raises(expected) as refused:
            ticket.change_status(to_status, "agent-1", later(5), customer=ACME)
        assert refused.value.status == 409
        assert (ticket.status, ticket.new_history, ticket.events) == (from_status, [], [])
    assert set(TRANSITIONS[from_status]) == ALLOWED[from_status]


def test_an_illegal_move_names_the_rule_and_what_is_allowed():
    with pytest.raises(StatusTransitionNotAllowed) as refused:
        at_status(CLOSED).change_status(OPEN, "agent-1", NOW)
    assert refused.value.code == "status_transition_not_allowed"
    assert refused.value.errors == {"from": CLOSED, "to": OPEN, "allowed": [REOPENED]}


def test_opening_records_the_first_history_row_and_the_opened_event():
    ticket = opened()
    [entry] = ticket.new_history
    assert (entry.seq, entry.kind, entry.to_status, entry.actor_id, entry.rule_id) == (1, "opened", NEW, "agent-1", None)
    assert [type(e) for e in ticket.events] == [TicketOpened]
    assert ticket.history_seq == 1


def test_every_change_records_history_rows_numbered_in_order():
    ticket = opened()
    ticket.assign("agent-2", "group-1", "lead-1", later(1))
    ticket.edit({"priority": "high", "category": "billing", "tags": ["vip", "vip", " export "]}, "agent-2", later(2))
    ticket.reply("We are on it.", AGENT, "agent-2", later(3))
    ticket.note("Customer is on 4.1", "agent-2", later(4))
    ticket.change_status(RESOLVED, "agent-2", later(5), resolution="Fixed in 4.2")
    ticket.rate(4, "Quick", "agent-2", False, later(6))
    assert kinds(ticket) == ["opened", "assigned", "priority_changed", "category_changed", "tags_changed",
                             "public_reply", "status_changed", "internal_note", "status_changed", "rated"]
    assert [e.seq for e in ticket.new_history] == list(range(1, 11))
    by_kind = {e.kind: e for e in ticket.new_history}
    assert by_kind["assigned"].new_value == {"assignee_id": "agent-2", "group_id": "group-1"}
    assert (by_kind["priority_changed"].old_value, by_kind["priority_changed"].new_value) == ("normal", "high")
    assert by_kind["tags_changed"].new_value == ["vip", "export"]
    assert by_kind["public_reply"].detail["author_kind"] == AGENT and by_kind["public_reply"].public is True
    assert by_kind["internal_note"].public is False
    # The first agent reply opened the new ticket.
    assert [(e.from_status, e.to_status) for e in ticket.new_history if e.kind == "status_changed"] == [
        (NEW, OPEN), (OPEN, RESOLVED)]


def test_a_change_made_by_a_workflow_rule_carries_the_rule_in_its_history_row():
    ticket = opened()
    ticket.assign(None, "group-1", None, later(1), rule_id="rule-7")
    ticket.change_status(OPEN, None, later(2), rule_id="rule-7")
    ticket.add_tags(["escalated"], None, later(3), rule_id="rule-8")
    ticket.note_history("escalated", None, later(4), rule_id="rule-8", detail={"level": 1})
    assert [(e.kind, e.rule_id) for e in ticket.new_history[1:]] == [
        ("assigned", "rule-7"), ("status_changed", "rule-7"), ("tags_changed", "rule-8"), ("escalated", "rule-8")]


def test_editing_to_the_same_values_records_nothing():
    ticket = opened()
    ticket.events.clear()
    assert ticket.edit({"priority": "normal", "tags": []}, "agent-1", later(1)) == {}
    assert ticket.assign(None, None, "agent-1", later(1)) is False
    assert kinds(ticket) == ["opened"] and ticket.events == []


def test_a_customer_reply_opens_a_ticket_waiting_for_them_and_reopens_a_resolved_one():
    waiting = at_status(PENDING_CUSTOMER)
    waiting.reply("Here is the log", CUSTOMER, None, later(1))
    assert waiting.status == OPEN and kinds(waiting) == ["public_reply", "status_changed"]
    resolved = at_status(RESOLVED)
    resolved.reply("Still broken", CUSTOMER, None, later(1))
    assert resolved.status == REOPENED and kinds(resolved) == ["public_reply", "reopened"]
    assert resolved.resolved_at is None
    with pytest.raises(TicketClosedAlready):
        at_status(CLOSED).reply("Hello?", CUSTOMER, None, later(1))


def test_closing_announces_the_close_only_for_a_ticket_with_a_customer():
    ticket = at_status(OPEN)
    ticket.close(ACME, "agent-1", later(1), "Done")
    assert [type(e).__name__ for e in ticket.events] == ["TicketStatusChanged", "TicketClosed"]
    assert (ticket.closed_by, ticket.resolution, ticket.resolved_at) == ("agent-1", "Done", later(1))
    request = submitted()
    request.events.clear()
    request.close(None, "agent-1", later(1))
    assert [type(e).__name__ for e in request.events] == ["TicketStatusChanged"]


def test_a_public_request_has_no_customer_until_linked_and_is_announced_as_opened_then():
    request = submitted()
    assert (request.customer_id, request.channel, request.opened_by, request.source) == (None, None, None, "public_form")
    assert request.requester == {"name": "Li Wei", "email": "li@example.com", "phone": None, "company": None}
    assert [type(e).__name__ for e in request.events] == ["TicketSubmitted"]
    request.events.clear()
    request.link_customer(ACME, "contact-9", "agent-1", later(1))
    assert (request.customer_id, request.contact_id, request.channel) == ("cust-1", "contact-9", "partner")
    [event] = request.events
    assert isinstance(event, TicketOpened) and event.customer_owner_id == "rep-1"
    assert kinds(request) == ["opened", "customer_linked"]
    with pytest.raises(CustomerAlreadyLinked):
        request.link_customer(ACME, None, "agent-1", later(2))


def test_a_closed_request_linked_later_is_announced_as_opened_and_closed():
    request = submitted()
    request.close(None, "agent-1", later(1))
    request.events.clear()
    request.link_customer(ACME, None, "agent-1", later(2))
    assert [type(e) for e in request.events] == [TicketOpened, TicketClosed]


def test_a_ticket_is_rated_once_and_only_after_resolution():
    with pytest.raises(TicketNotResolved):
        at_status(OPEN).rate(5, None, "agent-1", False, later(1))
    ticket = at_status(CLOSED)
    ticket.rate(5, "Great", None, True, later(1))
    assert ticket.satisfaction == {"rating": 5, "comment": "Great", "rated_at": later(1), "rated_by": None,
                                   "by_customer": True}
    with pytest.raises(TicketAlreadyRated):
        ticket.rate(1, None, "agent-1", False, later(2))
    with pytest.raises(ValueError):
        at_status(RESOLVED).rate(6, None, "agent-1", False, later(1))


def test_return_visits_are_for_resolved_tickets_and_completed_once():
    with pytest.raises(TicketNotResolved):
        at_status(OPEN).record_return_visit("return_visit_scheduled", "agent-1", NOW, {})
    visit = ReturnVisit.schedule(ticket_id="t-1", ticket_number="SD-2026-000001", customer_id="cust-1",
                                 due_at=later(60), assignee_id="agent-2", note="Ask about 4.2", scheduled_by="agent-1",
                                 now=NOW)
    visit.complete("satisfied", "All good", "agent-2", later(61))
    assert (visit.status, visit.outcome, visit.completed_at) == ("completed", "satisfied", later(61))
    with pytest.raises(ReturnVisitCompletedAlready):
        visit.complete("reached", None, "agent-2", later(62))
    with pytest.raises(ValueError):
        ReturnVisit.schedule(ticket_id="t-1", ticket_number=None, customer_id=None, due_at=datetime(2026, 12, 1),
                             assignee_id="a", note=None, scheduled_by="a", now=NOW)


def test_every_event_the_lifecycle_records_has_exactly_the_fields_of_its_contract():
    ticket = submitted()
    ticket.link_customer(ACME, None, "agent-1", later(1))
    ticket.assign("agent-2", "group-1", None, later(2), rule_id="rule-1")
    ticket.edit({"priority": "urgent"}, "agent-2", later(3))
    ticket.reply("On it", AGENT, "agent-2", later(4))
    ticket.change_status(RESOLVED, "agent-2", later(5))
    ticket.reply("Not fixed", CUSTOMER, None, later(6))
    ticket.change_status(CLOSED, "agent-2", later(7), customer=ACME)
    ticket.rate(3, None, None, True, later(8))
    visit = ReturnVisit.schedule(ticket_id=ticket.id, ticket_number=ticket.number, customer_id=ticket.customer_id,
                                 due_at=later(60), assignee_id="agent-2", note=None, scheduled_by="agent-1", now=later(9))
    visit.complete("reached", None, "agent-2", later(61))
    envelopes = [to_envelope(event) for event in [*ticket.events, *visit.events]]
    names = {envelope.name for envelope in envelopes}
    assert names == {f"service_desk.{name}.v1" for name in (
        "ticket.submitted", "ticket.opened", "ticket.assigned", "ticket.updated", "ticket.replied",
        "ticket.status_changed", "ticket.reopened", "ticket.closed", "ticket.rated", "return_visit.scheduled",
        "return_visit.completed")}
    for envelope in envelopes:
        assert set(envelope.payload) == set(contract(envelope.name).payload), envelope.name
        assert envelope.producer == "service_desk"
