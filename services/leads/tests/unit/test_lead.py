"""The lead aggregate's rules, without a database."""
from datetime import datetime, timezone

import pytest

from leads.domain import CLAIMED, CONVERTED, Lead, LeadClaimed, LeadConverted, LeadCreated, LeadRuleViolation

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def a_lead() -> Lead:
    return Lead.register(company="Acme", contact_name="Li", channel="web", now=NOW)


def test_a_new_lead_is_in_the_pool_and_records_that_it_was_created():
    lead = a_lead()
    assert lead.status == "pool" and lead.owner_id is None
    assert [type(e) for e in lead.events] == [LeadCreated]


def test_a_rep_claims_a_pool_lead_and_becomes_its_owner():
    lead = a_lead()
    lead.claim("rep-1", NOW)
    assert (lead.status, lead.owner_id, lead.claimed_at) == (CLAIMED, "rep-1", NOW)
    assert isinstance(lead.events[-1], LeadClaimed)


def test_a_claimed_lead_cannot_be_claimed_again():
    lead = a_lead()
    lead.claim("rep-1", NOW)
    with pytest.raises(LeadRuleViolation) as refused:
        lead.claim("rep-2", NOW)
    assert refused.value.code == "lead_already_claimed" and refused.value.status == 409
    assert lead.owner_id == "rep-1"


def test_only_the_owner_converts_a_lead():
    lead = a_lead()
    with pytest.raises(LeadRuleViolation) as unclaimed:
        lead.convert("rep-1", NOW)
    assert unclaimed.value.code == "not_lead_owner"
    lead.claim("rep-1", NOW)
    with pytest.raises(LeadRuleViolation):
        lead.convert("rep-2", NOW)
    lead.convert("rep-1", NOW)
    assert lead.status == CONVERTED
    assert isinstance(lead.events[-1], LeadConverted)


def test_a_converted_lead_cannot_be_converted_twice():
    lead = a_lead()
    lead.claim("rep-1", NOW)
    lead.convert("rep-1", NOW)
    with pytest.raises(LeadRuleViolation) as twice:
        lead.convert("rep-1", NOW)
    assert twice.value.code == "lead_already_converted"
