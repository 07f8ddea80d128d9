"""Asking sales for an opportunity from a ticket: the rules of the ticket and the request's wire form."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crm_shared.testing import contract
from service_desk.domain import KnownCustomer, OpportunityAlreadyRequested, OpportunityRequest, Ticket
from service_desk.events import TICKET_OPPORTUNITY_REQUESTED, to_envelope

NOW = datetime(2026, 11, 27, 10, 5, tzinfo=timezone.utc)
ACME = KnownCustomer(customer_id="cust-1", owner_id="rep-1", channel="web", name="Acme")
REQUEST = OpportunityRequest(name="Export add-on", currency="CNY", amount=Decimal("30000.00"), note="Asked twice")


def ticket() -> Ticket:
    opened = Ticket.open(ACME, subject="Cannot export", opened_by="agent-1", now=NOW - timedelta(hours=1))
    opened.events.clear()
    return opened


def test_a_request_is_recorded_on_the_ticket_and_published_with_what_sales_needs():
    asked = ticket()
    asked.request_opportunity(REQUEST, "agent-1", NOW)
    assert (asked.opportunity_requested_by, asked.opportunity_requested_at, asked.opportunity_id) == ("agent-1", NOW, None)
    [event] = asked.events
    envelope = to_envelope(event)
    assert envelope.name == TICKET_OPPORTUNITY_REQUESTED
    assert set(envelope.payload) == set(contract(TICKET_OPPORTUNITY_REQUESTED).payload)
    assert envelope.payload == {
        "ticket_id": asked.id, "customer_id": "cust-1", "requested_by": "agent-1", "requested_at": "2026-11-27T10:05:00Z",
        "name": "Export add-on", "amount": "30000.00", "currency": "CNY", "note": "Asked twice",
    }


def test_a_request_without_an_amount_says_so_on_the_wire():
    asked = ticket()
    asked.request_opportunity(OpportunityRequest(name="Export add-on", currency="CNY"), "agent-1", NOW)
    assert to_envelope(asked.events[0]).payload["amount"] is None


def test_a_ticket_asks_once_while_its_request_is_pending_or_linked():
    asked = ticket()
    asked.request_opportunity(REQUEST, "agent-1", NOW)
    with pytest.raises(OpportunityAlreadyRequested):
        asked.request_opportunity(REQUEST, "agent-2", NOW + timedelta(minutes=1))
    assert asked.link_opportunity("opp-1") is True
    with pytest.raises(OpportunityAlreadyRequested):
        asked.request_opportunity(REQUEST, "agent-2", NOW + timedelta(minutes=2))
    assert len(asked.events) == 1


def test_a_ticket_names_the_first_opportunity_linked_to_it():
    asked = ticket()
    assert asked.link_opportunity("opp-1") is True
    assert asked.link_opportunity("opp-2") is False
    assert asked.opportunity_id == "opp-1"


def test_after_a_refusal_the_ticket_shows_why_and_the_agent_may_ask_again():
    asked = ticket()
    asked.request_opportunity(REQUEST, "agent-1", NOW)
    assert asked.opportunity_refused(NOW, "customer_in_pool") is True
    assert asked.opportunity_refusal == "customer_in_pool"
    later = NOW + timedelta(hours=1)
    asked.request_opportunity(REQUEST, "agent-1", later)
    assert (asked.opportunity_refusal, asked.opportunity_requested_at, len(asked.events)) == (None, later, 2)


def test_a_late_refusal_of_an_earlier_request_leaves_the_pending_one_alone():
    asked = ticket()
    asked.request_opportunity(REQUEST, "agent-1", NOW)
    asked.opportunity_refused(NOW, "customer_in_pool")
    asked.request_opportunity(REQUEST, "agent-1", NOW + timedelta(hours=1))
    assert asked.opportunity_refused(NOW, "customer_in_pool") is False
    assert asked.opportunity_refusal is None


def test_a_refusal_after_the_deal_was_linked_changes_nothing():
    asked = ticket()
    asked.request_opportunity(REQUEST, "agent-1", NOW)
    asked.link_opportunity("opp-1")
    assert asked.opportunity_refused(NOW, "unknown_customer") is False
    assert (asked.opportunity_id, asked.opportunity_refusal) == ("opp-1", None)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_the_deal_asked_for_has_a_name(name):
    with pytest.raises(ValueError):
        ticket().request_opportunity(OpportunityRequest(name=name, currency="CNY"), "agent-1", NOW)
