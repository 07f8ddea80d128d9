"""The customer aggregate, its wire form and the conversion handler, without a database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crm_shared.testing import contract, contract_with
from sales.domain import ConvertedLead, Customer, CustomerCreated
from sales.events import CUSTOMER_CREATED, to_envelope
from sales.handlers import HANDLERS, InvalidPayload, converted_lead
from sales.repository import CustomerQuery, CustomerRepository
from sales.uow import SalesUnitOfWork

NOW = datetime(2026, 11, 27, 9, 0, 1, tzinfo=timezone.utc)
LEAD = ConvertedLead(
    lead_id="lead-1", owner_id="rep-1", company="Acme 上海", channel="web",
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


class FakeUnitOfWork(SalesUnitOfWork):
    """A unit of work over the fake repository that keeps what was committed."""

    def __init__(self):
        super().__init__(session_factory=None)
        self.customers = FakeCustomerRepository()
        self.committed: list = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def commit(self):
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
        email="wang.fang@example.cn",
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
    assert len(uow.customers.rows) == 1
    assert [e.name for e in uow.committed] == [CUSTOMER_CREATED]
