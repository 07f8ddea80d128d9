"""The ticket aggregate, its wire form, the replica handler and the opening rules, without a database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crm_shared.auth import Identity
from crm_shared.testing import contract
from service_desk import service, ticket_hooks
from service_desk.domain import NEW, KnownCustomer, Ticket, TicketOpened, UnknownCustomer
from service_desk.events import TICKET_OPENED, to_envelope
from service_desk.handlers import HANDLERS, InvalidPayload, known_customer
from service_desk.repository import KnownCustomerRepository, TicketNumbers, TicketQuery, TicketRepository
from service_desk.return_visit_repository import ReturnVisitRepository
from service_desk.uow import ServiceDeskUnitOfWork

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
ACME = KnownCustomer(customer_id="cust-1", owner_id="rep-1", channel="partner", name="Acme")


class FakeKnownCustomers(KnownCustomerRepository):
    def __init__(self):
        self.rows: dict[str, KnownCustomer] = {}

    def get(self, customer_id):
        return self.rows.get(customer_id)

    def remember(self, customer):
        self.rows.setdefault(customer.customer_id, customer)


@pytest.fixture(autouse=True)
def _no_hooks(monkeypatch):
    # The workflow rules and SLA readers registered by apps built elsewhere in the session need real tables.
    monkeypatch.setattr(ticket_hooks, "AFTER_CHANGE", [])
    monkeypatch.setattr(ticket_hooks, "SLA_READERS", [])


class FakeReturnVisits(ReturnVisitRepository):
    def __init__(self):
        self.seen = {}


class FakeTickets(TicketRepository):
    def __init__(self):
        self.seen = {}
        self.rows: dict[str, Ticket] = {}

    def add(self, ticket):
        self.rows[ticket.id] = ticket
        self.seen[ticket.id] = ticket

    def get(self, ticket_id):
        return self.rows.get(ticket_id)

    def list(self, query: TicketQuery):
        raise NotImplementedError


class FakeTicketNumbers(TicketNumbers):
    def __init__(self):
        self.last = 0

    def next(self, year):
        self.last += 1
        return f"SD-{year}-{self.last:06d}"


class FakeUnitOfWork(ServiceDeskUnitOfWork):
    """A unit of work over fake repositories that keeps the events of each commit."""

    def __init__(self):
        super().__init__(session_factory=None)
        self.customers = FakeKnownCustomers()
        self.tickets = FakeTickets()
        self.ticket_numbers = FakeTicketNumbers()
        self.return_visits = FakeReturnVisits()
        self.committed: list = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def commit(self):
        self.committed.extend(self.collect_new_events())


def user(user_id: str, *roles: str) -> Identity:
    return Identity(user_id, user_id, frozenset(roles))


def test_a_new_ticket_is_new_in_its_customers_channel_and_records_that_it_was_opened():
    ticket = Ticket.open(ACME, subject="Invoice export fails", opened_by="agent-1", now=NOW)
    assert (ticket.status, ticket.priority, ticket.channel, ticket.customer_id) == (NEW, "normal", "partner", "cust-1")
    assert (ticket.opened_by, ticket.opened_at, ticket.description, ticket.version) == ("agent-1", NOW, None, 1)
    [event] = ticket.events
    assert isinstance(event, TicketOpened) and event.customer_owner_id == "rep-1"


@pytest.mark.parametrize(
    "changes",
    [{"priority": "critical"}, {"subject": "   "}, {"subject": "x" * 201}, {"description": "x" * 10_001}],
)
def test_a_ticket_refuses_what_its_rules_do_not_allow(changes):
    with pytest.raises(ValueError):
        Ticket.open(ACME, **{"subject": "Help", "opened_by": "agent-1", "now": NOW, **changes})


def test_the_ticket_opened_event_carries_exactly_the_fields_of_its_contract():
    ticket = Ticket.open(ACME, subject="Help", priority="high", opened_by="agent-1", now=NOW)
    envelope = to_envelope(ticket.events[0])
    example = contract(TICKET_OPENED)
    assert (envelope.name, envelope.producer) == (example.name, example.producer) == (TICKET_OPENED, "service_desk")
    assert set(envelope.payload) == set(example.payload)
    assert envelope.payload["customer_owner_id"] == "rep-1"
    assert envelope.payload["opened_at"] == "2026-11-27T10:00:00Z"


def test_the_contract_example_of_a_new_customer_reads_as_a_known_customer_and_extra_fields_are_ignored():
    payload = {**contract("sales.customer.created.v1").payload, "segment": "enterprise"}
    assert known_customer(payload) == KnownCustomer(
        customer_id="c0a8f7e6-1b2c-4d3e-8f9a-0b1c2d3e4f50", owner_id="7d0e1c2b-0000-4000-8000-000000000003",
        channel="web", name="上海示例科技有限公司",
    )


@pytest.mark.parametrize("field", ["customer_id", "owner_id", "channel", "name"])
def test_a_new_customer_without_a_fact_the_desk_keeps_is_refused(field):
    payload = {**contract("sales.customer.created.v1").payload, field: None}
    with pytest.raises(InvalidPayload, match=field):
        known_customer(payload)


def test_the_handler_keeps_the_first_facts_of_a_customer_it_hears_of_twice():
    uow = FakeUnitOfWork()
    handler = HANDLERS["sales.customer.created.v1"]
    example = contract("sales.customer.created.v1")
    handler(example, uow)
    handler(example, uow)
    assert list(uow.customers.rows.values()) == [known_customer(example.payload)]


@pytest.mark.parametrize("role", service.OPENS_FOR_ANY)
def test_service_roles_and_managers_open_tickets_for_any_known_customer(role):
    uow = FakeUnitOfWork()
    uow.customers.remember(ACME)
    ticket = service.open_ticket(lambda: uow, {"customer_id": "cust-1", "subject": "Help", "priority": "low"}, user("u", role))
    assert uow.tickets.rows == {ticket.id: ticket}
    assert [e.name for e in uow.committed] == [TICKET_OPENED]
    assert ticket.number == f"SD-{ticket.opened_at.year}-000001" and ticket.source == "desk"


def test_a_rep_opens_tickets_only_for_their_own_customers_and_learns_nothing_of_others():
    uow = FakeUnitOfWork()
    uow.customers.remember(ACME)
    fields = {"customer_id": "cust-1", "subject": "Help", "priority": "normal"}
    with pytest.raises(UnknownCustomer) as refused:
        service.open_ticket(lambda: uow, fields, user("rep-2", "sales_rep"))
    assert (refused.value.status, refused.value.code) == (422, "unknown_customer")
    assert refused.value.errors == {"customer_id": ["No customer with this id."]}
    assert uow.tickets.rows == {} and uow.committed == []
    service.open_ticket(lambda: uow, fields, user("rep-1", "sales_rep"))
    assert len(uow.tickets.rows) == 1


def test_a_ticket_for_a_customer_the_desk_does_not_know_is_refused_and_nothing_is_recorded():
    uow = FakeUnitOfWork()
    with pytest.raises(UnknownCustomer):
        service.open_ticket(lambda: uow, {"customer_id": "nobody", "subject": "Help", "priority": "normal"},
                            user("agent-1", "service_agent"))
    assert uow.tickets.rows == {} and uow.committed == []


def test_opening_runs_the_registered_change_hooks_before_the_commit_and_reads_carry_the_sla(monkeypatch):
    uow = FakeUnitOfWork()
    uow.customers.remember(ACME)
    seen = []
    monkeypatch.setattr(ticket_hooks, "AFTER_CHANGE", [
        lambda hook_uow, ticket, trigger, actor: seen.append((hook_uow, ticket.id, trigger, actor, len(uow.committed)))])
    monkeypatch.setattr(ticket_hooks, "SLA_READERS", [
        lambda hook_uow, tickets, now: {t.id: {"state": "running"} for t in tickets}])
    ticket = service.open_ticket(lambda: uow, {"customer_id": "cust-1", "subject": "Help", "priority": "normal"},
                                 user("agent-1", "service_agent"))
    assert seen == [(uow, ticket.id, ticket_hooks.ON_CREATE, "agent-1", 0)]
    assert ticket.sla == {"state": "running"}
