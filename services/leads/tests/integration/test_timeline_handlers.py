"""Other services' events on the lead timeline, fed from the contract examples and delivered twice."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.envelope import format_time, utc_now
from crm_shared.testing import contract, contract_with
from leads.config import SERVICE
from leads.db_follow_ups import customer_leads, lead_timeline
from leads.handlers import HANDLERS

CUSTOMER_CREATED = "sales.customer.created.v1"
TICKET_OPENED = "service_desk.ticket.opened.v1"


@pytest.fixture
def deliver(uow_factory):
    """Apply an event as the worker would (inbox, handler, commit); False if it was a duplicate."""
    consumer = EventConsumer(None, Topology(exchange_name="test.events"), SERVICE, HANDLERS, uow_factory)
    return lambda envelope: consumer.handle(envelope, HANDLERS[envelope.name])


@pytest.fixture
def lead(client, manager, new_lead):
    return client.post("/api/v1/leads", json=new_lead, headers=manager).json


def counts(uow_factory):
    with uow_factory() as uow:
        return [uow.session.execute(select(func.count()).select_from(t)).scalar_one() for t in (customer_leads, lead_timeline)]


def test_a_customer_and_then_a_ticket_from_the_contracts_land_once_on_the_leads_timeline(
        client, manager, deliver, lead, uow_factory):
    # The timeline is ordered by when things happened: the customer and the ticket come after the
    # lead was created (now), whatever the time of day the test runs at.
    customer_at, ticket_at = utc_now() + timedelta(minutes=1), utc_now() + timedelta(minutes=2)
    customer = contract_with(CUSTOMER_CREATED, lead_id=lead["id"], created_at=format_time(customer_at))
    ticket = contract_with(TICKET_OPENED, opened_at=format_time(ticket_at))
    assert ticket.payload["customer_id"] == customer.payload["customer_id"]
    assert deliver(customer) is True and deliver(customer) is False
    assert deliver(ticket) is True and deliver(ticket) is False
    timeline = client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=manager).json["items"]
    assert [e["kind"] for e in timeline] == ["ticket_opened", "customer_created", "created"]
    assert timeline[0]["detail"]["ticket_id"] == ticket.payload["ticket_id"]
    assert timeline[0]["at"].startswith(ticket_at.isoformat()[:19])
    assert counts(uow_factory) == [1, 3]


def test_a_ticket_for_a_customer_from_no_lead_of_ours_changes_nothing(deliver, lead, uow_factory):
    before = counts(uow_factory)
    assert deliver(contract(TICKET_OPENED)) is True
    assert counts(uow_factory) == before


def test_the_same_customer_announced_again_under_a_new_event_id_is_remembered_once(deliver, lead, uow_factory):
    deliver(contract_with(CUSTOMER_CREATED, lead_id=lead["id"]))
    deliver(contract_with(CUSTOMER_CREATED, lead_id=lead["id"]))
    assert counts(uow_factory) == [1, 2]
