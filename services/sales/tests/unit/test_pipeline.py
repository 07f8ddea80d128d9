"""The pipeline, contacts and catalogue rules, without a database."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crm_shared.testing import contract
from sales.catalogue import InvalidLines, LineInput, Product, priced_lines, total_of
from sales.contacts import Contact, InvalidContacts, TeamMember, checked_contacts, primary_of
from sales.domain import ConvertedLead, Customer, CustomerProfile, SalesRuleViolation
from sales.events import OPPORTUNITY_STAGE_CHANGED, to_envelope
from sales.opportunities import Opportunity, OpportunityStageChanged
from sales.pipeline import OpenDeal, Pipeline, Stage, forecast, weighted

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
PIPELINE = Pipeline((Stage("qualification", "Q", 1, 10), Stage("proposal", "P", 2, 50),
                     Stage("won", "Won", 3, 100, is_won=True), Stage("lost", "Lost", 4, 0, is_lost=True)))


def a_deal() -> tuple[Opportunity, Customer]:
    customer = Customer.from_converted_lead(
        ConvertedLead(lead_id="lead-1", owner_id="rep-1", company="Acme", channel="web", converted_at=NOW), NOW)
    deal = Opportunity.open(customer, name="ERP", amount=Decimal("100.00"), currency="CNY", owner_id="rep-1",
                            created_by="rep-1", now=NOW, stage=PIPELINE.first.key)
    return deal, customer


def test_a_pipeline_needs_an_open_stage_a_won_one_and_a_lost_one():
    with pytest.raises(ValueError):
        Pipeline((Stage("q", "Q", 1, 10), Stage("won", "Won", 2, 100, is_won=True)))
    assert (PIPELINE.first.key, PIPELINE.won.key, PIPELINE.lost.key) == ("qualification", "won", "lost")


def test_moving_a_deal_records_the_change_and_one_event_like_the_contract():
    deal, customer = a_deal()
    assert deal.move_to(PIPELINE.stage("proposal"), customer, "rep-1", NOW) is True
    assert deal.move_to(PIPELINE.stage("proposal"), customer, "rep-1", NOW) is False
    assert [(c.from_stage, c.to_stage) for c in deal.stage_changes] == [(None, "qualification"), ("qualification", "proposal")]
    changed = [e for e in deal.events if isinstance(e, OpportunityStageChanged)]
    assert len(changed) == 1
    envelope = to_envelope(changed[0])
    assert envelope.name == OPPORTUNITY_STAGE_CHANGED
    assert set(envelope.payload) == set(contract(OPPORTUNITY_STAGE_CHANGED).payload)
    assert (envelope.payload["from_stage"], envelope.payload["stage"], envelope.payload["win_probability"]) == (
        "qualification", "proposal", 50)


def test_moving_to_the_lost_stage_needs_a_reason_and_to_won_counts_a_won_deal():
    deal, customer = a_deal()
    with pytest.raises(SalesRuleViolation) as refused:
        deal.move_to(PIPELINE.lost, customer, "rep-1", NOW)
    assert refused.value.code == "loss_reason_required" and deal.is_open and deal.stage == "qualification"
    deal.move_to(PIPELINE.won, customer, "rep-1", NOW)
    assert (deal.status, deal.stage, customer.won_deals) == ("won", "won", 1)
    with pytest.raises(SalesRuleViolation):
        deal.move_to(PIPELINE.stage("proposal"), customer, "rep-1", NOW)


def test_the_forecast_weights_each_deal_to_the_cent_and_groups_by_month_and_currency():
    assert weighted(Decimal("333.33"), 50) == Decimal("166.67")
    deals = [
        OpenDeal("rep-1", "proposal", Decimal("333.33"), "CNY", date(2027, 2, 1)),
        OpenDeal("rep-2", "proposal", Decimal("333.33"), "CNY", date(2027, 2, 28)),
        OpenDeal("rep-1", "qualification", Decimal("10.00"), "USD", date(2027, 2, 3)),
        OpenDeal("rep-1", "gone", Decimal("50.00"), "CNY", date(2027, 1, 3)),
    ]
    rows = forecast(deals, PIPELINE)
    assert [(r.month, r.currency, r.count, r.amount, r.weighted_amount) for r in rows] == [
        ("2027-01", "CNY", 1, Decimal("50.00"), Decimal("0.00")),
        ("2027-02", "CNY", 2, Decimal("666.66"), Decimal("333.34")),
        ("2027-02", "USD", 1, Decimal("10.00"), Decimal("1.00")),
    ]
    assert [r.owner_id for r in forecast(deals[:2], PIPELINE, per_owner=True)] == ["rep-1", "rep-2"]


def test_contacts_are_none_or_exactly_one_primary():
    assert checked_contacts([]) == []
    one = [Contact.new("A", True), Contact.new("B", False)]
    assert primary_of(checked_contacts(one)).name == "A"
    for contacts in ([Contact.new("A", False)], [Contact.new("A", True), Contact.new("B", True)]):
        with pytest.raises(InvalidContacts):
            checked_contacts(contacts)


def test_a_directly_created_customer_takes_its_primary_contacts_details():
    customer = Customer.create(CustomerProfile("Acme", "direct", level="A"), "rep-1", "boss", NOW,
                               Contact.new("Wang", True, phone="123"))
    assert (customer.owner_id, customer.contact_name, customer.phone, customer.lead_id) == ("rep-1", "Wang", "123", None)
    assert [(c.to_owner_id, c.reason, c.actor_id) for c in customer.ownership_changes] == [("rep-1", "created", "boss")]
    with pytest.raises(ValueError):
        customer.edit({"owner_id": "rep-2"}, "rep-1", NOW)


def test_a_team_members_access_ends_at_its_expiry_and_read_never_grants_edit():
    member = TeamMember("c1", "rep-2", "edit", "rep-1", NOW, expires_at=NOW + timedelta(days=1))
    assert member.grants("edit", NOW) and member.grants("read", NOW)
    assert not member.grants("read", NOW + timedelta(days=1))
    reader = TeamMember("c1", "rep-3", "read", "rep-1", NOW)
    assert reader.grants("read", NOW) and not reader.grants("edit", NOW)
    with pytest.raises(ValueError):
        TeamMember("c1", "rep-3", "admin", "rep-1", NOW)


def test_lines_are_priced_from_the_catalogue_in_one_currency_and_total_exactly():
    licence = Product.new("LIC", "Licence", Decimal("0.10"), "CNY", NOW)
    other = Product.new("USD", "Dollar thing", Decimal("1.00"), "USD", NOW)
    lines, currency = priced_lines([LineInput(licence.id, Decimal("3")), LineInput(licence.id, Decimal("1"), Decimal("0.05"))],
                                   {licence.id: licence})
    assert (total_of(lines), currency) == (Decimal("0.35"), "CNY")
    assert priced_lines([], {}) == ([], None)
    with pytest.raises(InvalidLines):
        priced_lines([LineInput(licence.id, Decimal(1)), LineInput(other.id, Decimal(1))], {licence.id: licence, other.id: other})
    with pytest.raises(InvalidLines):
        priced_lines([LineInput(licence.id, Decimal(1), Decimal("0.11"))], {licence.id: licence})
