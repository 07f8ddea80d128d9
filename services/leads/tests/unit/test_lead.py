"""The lead aggregate's rules, without a database."""
from datetime import datetime, timedelta, timezone

import pytest

from leads.domain import (
    CLAIMED,
    CONVERTED,
    Lead,
    LeadClaimed,
    LeadConverted,
    LeadCreated,
    LeadDistributed,
    LeadReturned,
    LeadRuleViolation,
    mask_email,
    mask_phone,
)

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)


def a_lead() -> Lead:
    return Lead.register(company="Acme", contact_name="Li", channel="web", pool_id="lead-pool", now=NOW)


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


def test_a_returned_lead_goes_to_the_public_pool_and_remembers_its_previous_owner():
    lead = a_lead()
    lead.claim("rep-1", NOW)
    later = NOW + timedelta(hours=3)
    lead.return_to("public-pool", ["no_budget"], "rep-1", "no_budget", later, note="call in spring")
    assert (lead.status, lead.owner_id, lead.pool_id) == ("pool", None, "public-pool")
    assert (lead.previous_owner_id, lead.entered_pool_at) == ("rep-1", later)
    assert isinstance(lead.events[-1], LeadReturned) and lead.events[-1].reason == "no_budget"
    assert [(c.reason, c.from_owner_id, c.to_owner_id) for c in lead.ownership_changes] == [
        ("claimed", None, "rep-1"), ("returned", "rep-1", None)]
    assert lead.ownership_changes[-1].detail == "no_budget: call in spring"


def test_a_lead_is_returned_only_by_its_owner_and_only_with_an_allowed_reason():
    lead = a_lead()
    lead.claim("rep-1", NOW)
    with pytest.raises(LeadRuleViolation) as stranger:
        lead.return_to("public-pool", ["no_budget"], "rep-2", "no_budget", NOW)
    assert stranger.value.code == "not_lead_owner"
    with pytest.raises(LeadRuleViolation) as unknown:
        lead.return_to("public-pool", ["no_budget", "duplicate"], "rep-1", "bored", NOW)
    assert (unknown.value.code, unknown.value.status) == ("unknown_return_reason", 422)
    assert unknown.value.errors["allowed"] == ["no_budget", "duplicate"]
    assert lead.owner_id == "rep-1" and lead.status == CLAIMED


def test_a_distributed_lead_belongs_to_the_rep_and_records_who_distributed_it():
    lead = a_lead()
    lead.distribute("rep-1", "manager-1", NOW)
    assert (lead.status, lead.owner_id) == (CLAIMED, "rep-1")
    assert isinstance(lead.events[-1], LeadDistributed) and lead.events[-1].distributed_by == "manager-1"
    change = lead.ownership_changes[-1]
    assert (change.reason, change.to_owner_id, change.actor_id) == ("distributed", "rep-1", "manager-1")


def test_masking_hides_the_middle_of_a_phone_and_the_local_part_of_an_email():
    assert mask_phone("13812348000") == "138****8000"
    assert mask_email("li.na@example.cn") == "l***@example.cn"
    lead = Lead.register(company="Acme", contact_name="Li", channel="web", pool_id="p", now=NOW,
                         phone="13812348000", email="li.na@example.cn")
    view = lead.view(masked=True)
    assert (view["phone"], view["email"], view["masked"]) == ("138****8000", "l***@example.cn", True)
    assert lead.view()["phone"] == "13812348000"
