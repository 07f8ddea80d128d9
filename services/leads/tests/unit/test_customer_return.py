"""A converted lead whose customer comes back from sales, and the conversion's wire form, without a database."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from crm_shared.testing import contract
from leads.domain import CLAIMED, POOL, FirstOpportunity, Lead, LeadReturned
from leads.events import LEAD_CLAIMED, LEAD_CONVERTED, to_envelope

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
DEAL = FirstOpportunity("ERP", Decimal("1200.50"), "CNY", date(2027, 1, 31))


def a_converted_lead() -> Lead:
    lead = Lead.register(company="Acme", contact_name="Li", channel="web", pool_id="lead-pool", now=NOW)
    lead.claim("rep-1", NOW)
    lead.convert("rep-1", NOW + timedelta(hours=1), DEAL)
    lead.became_customer("cust-1")
    lead.events.clear()
    return lead


def test_the_conversion_carries_the_deal_with_its_money_as_a_decimal_string():
    lead = Lead.register(company="Acme", contact_name="Li", channel="web", pool_id="lead-pool", now=NOW, region="华东")
    lead.claim("rep-1", NOW)
    lead.convert("rep-1", NOW, DEAL)
    envelope = to_envelope(lead.events[-1])
    assert envelope.name == LEAD_CONVERTED
    assert set(envelope.payload) == set(contract(LEAD_CONVERTED).payload)
    assert envelope.payload["opportunity"] == {"name": "ERP", "amount": "1200.50", "currency": "CNY",
                                               "expected_close_date": "2027-01-31"}
    assert envelope.payload["region"] == "华东"


def test_a_returned_customer_puts_its_lead_in_the_public_pool_and_keeps_its_history():
    lead = a_converted_lead()
    assert lead.back_with_customer("public-pool", "rep-1", "no budget", NOW + timedelta(days=1)) is True
    assert (lead.status, lead.owner_id, lead.previous_owner_id, lead.pool_id) == (POOL, None, "rep-1", "public-pool")
    assert (lead.customer_id, lead.converted_at) == ("cust-1", NOW + timedelta(hours=1))
    [event] = lead.events
    assert isinstance(event, LeadReturned) and (event.previous_owner_id, event.reason) == ("rep-1", "customer_returned")
    change = lead.ownership_changes[-1]
    assert (change.from_owner_id, change.to_owner_id, change.reason, change.detail) == (
        "rep-1", None, "returned", "customer returned in sales: no budget")


def test_the_same_return_heard_twice_changes_the_lead_once():
    lead = a_converted_lead()
    lead.back_with_customer("public-pool", "rep-1", "no budget", NOW)
    assert lead.back_with_customer("public-pool", "rep-1", "no budget", NOW) is False
    assert len(lead.events) == 1


def test_a_rep_claims_the_returned_lead_and_the_claim_names_its_customer():
    lead = a_converted_lead()
    lead.back_with_customer("public-pool", "rep-1", "no budget", NOW)
    lead.claim("rep-2", NOW + timedelta(days=2))
    assert (lead.status, lead.owner_id) == (CLAIMED, "rep-2")
    envelope = to_envelope(lead.events[-1])
    assert envelope.name == LEAD_CLAIMED and set(envelope.payload) == set(contract(LEAD_CLAIMED).payload)
    assert (envelope.payload["customer_id"], envelope.payload["owner_id"]) == ("cust-1", "rep-2")
