"""The customer aggregate, its wire forms and the handlers of lead events, without a database."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from crm_shared.testing import contract, contract_with
from sales.domain import (
    ConvertedLead, Customer, CustomerCreated, CustomerOwnerChanged, CustomerReturned, FirstOpportunity, SalesRuleViolation,
)
from sales.events import CUSTOMER_CREATED, CUSTOMER_OWNER_CHANGED, CUSTOMER_RETURNED, to_envelope
from sales.handlers import HANDLERS, InvalidPayload, converted_lead
from sales.opportunities import Opportunity
from sales.people_repository import CustomerContacts
from sales.pipeline import Pipeline, Stage
from sales.pipeline_repository import Stages
from sales.repository import CustomerQuery, CustomerRepository, OpportunityRepository
from sales.uow import SalesUnitOfWork

NOW = datetime(2026, 11, 27, 9, 0, 1, tzinfo=timezone.utc)
LEAD = ConvertedLead(
    lead_id="lead-1", owner_id="rep-1", company="Acme 上海", channel="web", converted_at=NOW,
    contact_name="Wang Fang", phone="+86 21 5555 0101", email="wang@example.cn",
)


class FakeCustomerRepository(CustomerRepository):
    """Customers in a dict, with the same `seen` bookkeeping as the real repository."""

    def __init__(self):
        self.seen = {}
        self.rows: dict[str, Customer] = {}

    def add(self, customer):
        self.rows[customer.id] = customer
        self.seen[customer.id] = customer

    def get(self, customer_id):
        return self.rows.get(customer_id)

    def get_by_lead(self, lead_id):
        return next((c for c in self.rows.values() if c.lead_id == lead_id), None)

    def list(self, query: CustomerQuery):
        raise NotImplementedError


class FakeOpportunityRepository(OpportunityRepository):
    def __init__(self):
        self.seen = {}
        self.rows: dict[str, Opportunity] = {}

    def add(self, opportunity):
        self.rows[opportunity.id] = opportunity
        self.seen[opportunity.id] = opportunity

    def get(self, opportunity_id):
        return self.rows.get(opportunity_id)


class FakeNothingSeen:
    """A repository these tests never use: nothing seen, nothing to publish."""

    seen: dict = {}


class FakeContacts(CustomerContacts):
    def __init__(self):
        self.rows: dict[str, list] = {}

    def of_customer(self, customer_id):
        return list(self.rows.get(customer_id, []))

    def replace(self, customer_id, contacts):
        self.rows[customer_id] = list(contacts)


class FakeStages(Stages):
    def __init__(self):
        pass

    def pipeline(self):
        return Pipeline((Stage("qualification", "Qualification", 1, 10), Stage("proposal", "Proposal", 2, 50),
                         Stage("won", "Won", 3, 100, is_won=True), Stage("lost", "Lost", 4, 0, is_lost=True)))


class FakeUnitOfWork(SalesUnitOfWork):
    """A unit of work over fake repositories that keeps what was committed."""

    def __init__(self):
        super().__init__(session_factory=None)
        self.customers = FakeCustomerRepository()
        self.opportunities = FakeOpportunityRepository()
        self.orders = self.contracts = FakeNothingSeen()
        self.installments = self.payments = self.invoices = self.refunds = FakeNothingSeen()
        self.targets = self.expenses = FakeNothingSeen()
        self.contacts = FakeContacts()
        self.stages = FakeStages()
        self.committed: list = []
        self.history: list = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def commit(self):
        for customer in self.customers.seen.values():
            self.history.extend(customer.ownership_changes)
            customer.ownership_changes.clear()
        self.committed.extend(self.collect_new_events())


def test_a_converted_lead_becomes_a_customer_of_the_same_rep_and_records_that_it_was_created():
    customer = Customer.from_converted_lead(LEAD, NOW)
    assert (customer.name, customer.lead_id, customer.owner_id, customer.channel) == ("Acme 上海", "lead-1", "rep-1", "web")
    assert (customer.contact_name, customer.phone, customer.email) == ("Wang Fang", "+86 21 5555 0101", "wang@example.cn")
    assert customer.created_at == NOW and customer.version == 1
    assert [type(e) for e in customer.events] == [CustomerCreated]


def test_the_customer_created_event_carries_exactly_the_fields_of_its_contract():
    envelope = to_envelope(CustomerCreated(Customer.from_converted_lead(LEAD, NOW)))
    example = contract(CUSTOMER_CREATED)
    assert envelope.name == example.name
    assert envelope.producer == example.producer == "sales"
    assert set(envelope.payload) == set(example.payload)
    assert envelope.payload["created_at"] == "2026-11-27T09:00:01Z"


def test_the_contract_example_of_a_conversion_reads_as_a_converted_lead():
    lead = converted_lead(contract("leads.lead.converted.v1").payload)
    assert lead == ConvertedLead(
        lead_id="5a1e9b2c-3d4f-4a6b-8c7d-9e0f1a2b3c4d", owner_id="7d0e1c2b-0000-4000-8000-000000000003",
        company="上海示例科技有限公司", channel="web", contact_name="王芳", phone="+86 21 5555 0101",
        email="wang.fang@example.cn", region="华东", industry="制造业", campaign="2026-spring-expo",
        converted_at=datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc),
        opportunity=FirstOpportunity(name="ERP rollout, phase 1", amount=Decimal("120000.00"), currency="CNY",
                                     expected_close_date=date(2027, 2, 26)),
    )


def test_unknown_payload_fields_are_ignored_because_optional_fields_may_be_added_without_a_new_version():
    payload = {**contract("leads.lead.converted.v1").payload, "industry": "retail"}
    assert converted_lead(payload).company == "上海示例科技有限公司"


@pytest.mark.parametrize("field", ["lead_id", "owner_id", "company", "channel"])
@pytest.mark.parametrize("bad", [None, "", "   ", 7])
def test_a_conversion_without_a_fact_the_customer_needs_is_refused(field, bad):
    payload = {**contract("leads.lead.converted.v1").payload, field: bad}
    with pytest.raises(InvalidPayload, match=field):
        converted_lead(payload)


def test_the_handler_makes_one_customer_however_often_the_same_conversion_arrives():
    uow = FakeUnitOfWork()
    handler = HANDLERS["leads.lead.converted.v1"]
    handler(contract("leads.lead.converted.v1"), uow)
    handler(contract_with("leads.lead.converted.v1"), uow)
    uow.commit()
    assert len(uow.customers.rows) == 1 and len(uow.opportunities.rows) == 1
    assert [e.name for e in uow.committed] == [CUSTOMER_CREATED, "sales.opportunity.opened.v1"]


# -- the opportunity a conversion names, and the customer following its lead's owner ------------------


def test_a_conversion_without_an_opportunity_makes_the_customer_only():
    uow = FakeUnitOfWork()
    HANDLERS["leads.lead.converted.v1"](contract_with("leads.lead.converted.v1", opportunity=None), uow)
    uow.commit()
    assert len(uow.customers.rows) == 1 and uow.opportunities.rows == {}
    assert [e.name for e in uow.committed] == [CUSTOMER_CREATED]


def test_the_opportunity_named_at_conversion_opens_in_the_first_stage_for_the_leads_owner():
    uow = FakeUnitOfWork()
    conversion = contract("leads.lead.converted.v1")
    HANDLERS["leads.lead.converted.v1"](conversion, uow)
    [customer] = uow.customers.rows.values()
    [opportunity] = uow.opportunities.rows.values()
    assert (opportunity.customer_id, opportunity.lead_id, opportunity.owner_id) == (
        customer.id, conversion.payload["lead_id"], conversion.payload["owner_id"])
    assert (opportunity.name, opportunity.amount, opportunity.currency) == ("ERP rollout, phase 1", Decimal("120000.00"), "CNY")
    assert (opportunity.stage, opportunity.status, opportunity.expected_close_date) == ("qualification", "open", date(2027, 2, 26))
    assert (customer.region, customer.industry, customer.campaign) == ("华东", "制造业", "2026-spring-expo")
    assert [(c.from_owner_id, c.to_owner_id, c.reason) for c in customer.ownership_changes] == [
        (None, conversion.payload["owner_id"], "converted")]


def test_a_later_conversion_of_the_same_lead_keeps_the_customer_and_opens_its_new_opportunity():
    uow = FakeUnitOfWork()
    handler = HANDLERS["leads.lead.converted.v1"]
    handler(contract("leads.lead.converted.v1"), uow)
    later = {"name": "Phase 2", "amount": "5000", "currency": "USD", "expected_close_date": None}
    handler(contract_with("leads.lead.converted.v1", converted_at="2026-11-27T09:45:00Z", opportunity=later), uow)
    assert len(uow.customers.rows) == 1
    assert sorted(o.name for o in uow.opportunities.rows.values()) == ["ERP rollout, phase 1", "Phase 2"]


@pytest.mark.parametrize("opportunity", [
    "a deal", {"amount": "1.00", "currency": "CNY"}, {"name": "X", "amount": 12.5, "currency": "CNY"},
    {"name": "X", "amount": "1.005", "currency": "CNY"}, {"name": "X", "amount": "1", "currency": "yuan"},
    {"name": "X", "amount": "1", "currency": "CNY", "expected_close_date": "next week"},
])
def test_a_conversion_with_a_malformed_opportunity_is_refused(opportunity):
    with pytest.raises(InvalidPayload, match="opportunity"):
        converted_lead({**contract("leads.lead.converted.v1").payload, "opportunity": opportunity})


def test_a_claimed_lead_that_is_a_customer_takes_the_customer_to_its_new_owner_once():
    uow = FakeUnitOfWork()
    HANDLERS["leads.lead.converted.v1"](contract("leads.lead.converted.v1"), uow)
    [customer] = uow.customers.rows.values()
    customer.return_to_pool(customer.owner_id, "no budget", NOW)
    uow.commit()
    uow.committed.clear()
    claimed = contract_with("leads.lead.claimed.v1", owner_id="rep-2", claimed_at="2026-11-27T09:50:00Z")
    HANDLERS["leads.lead.claimed.v1"](claimed, uow)
    HANDLERS["leads.lead.claimed.v1"](claimed, uow)
    uow.commit()
    assert customer.owner_id == "rep-2" and not customer.in_pool
    assert [e.name for e in uow.committed] == ["sales.customer.owner_changed.v1"]
    assert uow.committed[0].payload["previous_owner_id"] is None and uow.committed[0].payload["reason"] == "claimed"
    assert [(c.from_owner_id, c.to_owner_id, c.reason) for c in uow.history][-2:] == [
        ("7d0e1c2b-0000-4000-8000-000000000003", None, "returned"), (None, "rep-2", "claimed")]


def test_a_distributed_lead_that_is_a_customer_gives_the_customer_to_the_new_owner():
    uow = FakeUnitOfWork()
    HANDLERS["leads.lead.converted.v1"](contract("leads.lead.converted.v1"), uow)
    HANDLERS["leads.lead.distributed.v1"](contract("leads.lead.distributed.v1"), uow)
    [customer] = uow.customers.rows.values()
    assert customer.owner_id == contract("leads.lead.distributed.v1").payload["owner_id"]


def test_claims_of_leads_that_never_became_customers_change_nothing():
    uow = FakeUnitOfWork()
    HANDLERS["leads.lead.claimed.v1"](contract("leads.lead.claimed.v1"), uow)
    HANDLERS["leads.lead.distributed.v1"](contract("leads.lead.distributed.v1"), uow)
    uow.commit()
    assert uow.customers.rows == {} and uow.committed == []


@pytest.mark.parametrize("name", ["leads.lead.claimed.v1", "leads.lead.distributed.v1"])
@pytest.mark.parametrize("field", ["lead_id", "owner_id"])
def test_a_change_of_hands_without_the_lead_or_its_owner_is_refused(name, field):
    with pytest.raises(InvalidPayload, match=field):
        HANDLERS[name](contract_with(name, **{field: None}), FakeUnitOfWork())


def test_only_the_owner_returns_a_customer_without_a_won_deal_and_the_event_says_who_had_it():
    customer = Customer.from_converted_lead(LEAD, NOW)
    customer.events.clear()
    with pytest.raises(SalesRuleViolation) as refused:
        customer.return_to_pool("rep-2", "not mine", NOW)
    assert (refused.value.status, refused.value.code) == (403, "not_customer_owner")
    customer.deal_won()
    with pytest.raises(SalesRuleViolation) as refused:
        customer.return_to_pool("rep-1", "no budget", NOW)
    assert (refused.value.status, refused.value.code) == (409, "customer_has_won_deal")
    customer.won_deals = 0
    customer.return_to_pool("rep-1", "no budget", NOW)
    assert customer.in_pool and customer.owner_id is None
    with pytest.raises(SalesRuleViolation) as refused:
        customer.return_to_pool("rep-1", "again", NOW)
    assert (refused.value.status, refused.value.code) == (409, "customer_in_pool")
    [returned] = [to_envelope(e) for e in customer.events]
    assert returned.name == CUSTOMER_RETURNED
    assert returned.payload["previous_owner_id"] == "rep-1" and returned.payload["lead_id"] == "lead-1"


@pytest.mark.parametrize("event, name", [
    (lambda c: CustomerReturned(c, "rep-1", "no budget", NOW), CUSTOMER_RETURNED),
    (lambda c: CustomerOwnerChanged(c, None, "claimed", NOW), CUSTOMER_OWNER_CHANGED),
])
def test_the_customer_events_carry_exactly_the_fields_of_their_contracts(event, name):
    envelope = to_envelope(event(Customer.from_converted_lead(LEAD, NOW)))
    example = contract(name)
    assert (envelope.name, envelope.producer) == (example.name, "sales")
    assert set(envelope.payload) == set(example.payload)


def test_a_lead_returned_or_recycled_in_the_lead_pool_takes_its_customer_along_unless_a_deal_was_won():
    for name, reason in (("leads.lead.returned.v1", "lead_returned"), ("leads.lead.recycled.v1", "lead_recycled")):
        uow = FakeUnitOfWork()
        HANDLERS["leads.lead.converted.v1"](contract("leads.lead.converted.v1"), uow)
        [customer] = uow.customers.rows.values()
        uow.commit()
        uow.committed.clear()
        HANDLERS[name](contract(name), uow)
        uow.commit()
        assert customer.in_pool
        [changed] = uow.committed
        assert (changed.name, changed.payload["owner_id"], changed.payload["reason"]) == (
            CUSTOMER_OWNER_CHANGED, None, reason)
        assert uow.history[-1].reason == reason


def test_a_customer_with_a_won_deal_or_another_owner_stays_when_the_lead_goes_back():
    uow = FakeUnitOfWork()
    HANDLERS["leads.lead.converted.v1"](contract("leads.lead.converted.v1"), uow)
    [customer] = uow.customers.rows.values()
    customer.deal_won()
    HANDLERS["leads.lead.returned.v1"](contract("leads.lead.returned.v1"), uow)
    assert customer.owner_id == "7d0e1c2b-0000-4000-8000-000000000003"
    customer.won_deals = 0
    HANDLERS["leads.lead.returned.v1"](contract_with("leads.lead.returned.v1", previous_owner_id="someone-else"), uow)
    assert not customer.in_pool
    uow.commit()
    assert [e.name for e in uow.committed] == [CUSTOMER_CREATED, "sales.opportunity.opened.v1"]


def test_the_return_the_lead_pool_makes_of_a_customer_returned_here_changes_nothing_more():
    uow = FakeUnitOfWork()
    HANDLERS["leads.lead.converted.v1"](contract("leads.lead.converted.v1"), uow)
    [customer] = uow.customers.rows.values()
    customer.return_to_pool(customer.owner_id, "no budget", NOW)
    uow.commit()
    uow.committed.clear()
    HANDLERS["leads.lead.returned.v1"](contract_with("leads.lead.returned.v1", reason="customer_returned"), uow)
    uow.commit()
    assert uow.committed == [] and customer.in_pool
