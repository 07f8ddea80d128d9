"""The opportunity aggregate and its wire forms, without a database."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from crm_shared.testing import contract
from sales.domain import ConvertedLead, Customer, SalesRuleViolation
from sales.events import OPPORTUNITY_CLOSED, OPPORTUNITY_OPENED, to_envelope
from sales.opportunities import Opportunity, opportunity_id_for_conversion

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
CUSTOMER = Customer.from_converted_lead(
    ConvertedLead(lead_id="lead-1", owner_id="rep-1", company="Acme", channel="web", converted_at=NOW), NOW)


def opened(**changes) -> Opportunity:
    fields = {"name": "ERP", "amount": Decimal("1200.50"), "currency": "CNY", "owner_id": "rep-1",
              "created_by": "rep-1", "now": NOW, "expected_close_date": date(2027, 1, 31), **changes}
    return Opportunity.open(CUSTOMER, **fields)


def test_a_new_opportunity_is_open_in_the_first_stage_and_records_that_it_was_opened():
    opportunity = opened()
    assert (opportunity.status, opportunity.stage, opportunity.lead_id) == ("open", "qualification", "lead-1")
    envelope = to_envelope(opportunity.events[0])
    example = contract(OPPORTUNITY_OPENED)
    assert (envelope.name, envelope.producer) == (OPPORTUNITY_OPENED, "sales")
    assert set(envelope.payload) == set(example.payload)
    assert (envelope.payload["amount"], envelope.payload["expected_close_date"]) == ("1200.50", "2027-01-31")


@pytest.mark.parametrize("changes", [
    {"name": "  "}, {"name": "x" * 201}, {"amount": Decimal("-1")}, {"amount": Decimal("1.001")}, {"amount": 12.5},
    {"amount": Decimal("10000000000000000")}, {"currency": "cny"}, {"currency": "YUAN"},
])
def test_an_opportunity_refuses_what_its_rules_do_not_allow(changes):
    with pytest.raises(ValueError):
        opened(**changes)


def test_a_won_deal_is_counted_on_its_customer_and_an_opportunity_closes_once():
    customer = Customer.from_converted_lead(
        ConvertedLead(lead_id="lead-2", owner_id="rep-1", company="Acme", channel="web", converted_at=NOW), NOW)
    opportunity = Opportunity.open(customer, name="ERP", amount=Decimal(1), currency="CNY", owner_id="rep-1",
                                   created_by="rep-1", now=NOW)
    opportunity.close(customer, "won", "rep-1", NOW, "signed")
    assert (opportunity.status, opportunity.closed_by, customer.won_deals) == ("won", "rep-1", 1)
    with pytest.raises(SalesRuleViolation) as refused:
        opportunity.close(customer, "lost", "rep-1", NOW)
    assert (refused.value.status, refused.value.code) == (409, "opportunity_closed")
    envelope = to_envelope(opportunity.events[-1])
    assert envelope.name == OPPORTUNITY_CLOSED and set(envelope.payload) == set(contract(OPPORTUNITY_CLOSED).payload)
    assert (envelope.payload["outcome"], envelope.payload["reason"]) == ("won", "signed")


def test_a_lost_deal_leaves_the_customer_free_to_be_returned():
    customer = Customer.from_converted_lead(
        ConvertedLead(lead_id="lead-3", owner_id="rep-1", company="Acme", channel="web", converted_at=NOW), NOW)
    Opportunity.open(customer, name="ERP", amount=Decimal(1), currency="CNY", owner_id="rep-1",
                     created_by="rep-1", now=NOW).close(customer, "lost", "rep-1", NOW, "no budget")
    customer.return_to_pool("rep-1", "no budget", NOW)
    assert customer.in_pool


def test_the_opportunity_of_a_conversion_has_one_id_per_conversion():
    first = opportunity_id_for_conversion("lead-1", NOW)
    assert first == opportunity_id_for_conversion("lead-1", NOW)
    assert first != opportunity_id_for_conversion("lead-1", datetime(2026, 11, 27, 9, 1, tzinfo=timezone.utc))
    assert first != opportunity_id_for_conversion("lead-2", NOW)


def test_a_deal_of_a_customer_in_the_public_pool_cannot_be_won_until_a_rep_claims_it_back():
    customer = Customer.from_converted_lead(
        ConvertedLead(lead_id="lead-2", owner_id="rep-1", company="Beta", channel="web", converted_at=NOW), NOW)
    opportunity = Opportunity.open(customer, name="ERP", amount=Decimal("10.00"), currency="CNY", owner_id="rep-1",
                                   created_by="rep-1", now=NOW)
    customer.return_to_pool("rep-1", "no budget", NOW)
    with pytest.raises(SalesRuleViolation) as refused:
        opportunity.close(customer, "won", "boss", NOW)
    assert refused.value.code == "customer_in_pool"
    assert (opportunity.status, customer.won_deals) == ("open", 0)
