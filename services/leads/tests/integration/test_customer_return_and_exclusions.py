"""Converting with a first opportunity, a customer returned in sales, and the deals and tickets that keep a lead
from recycling, delivered as the worker would (inbox, handler, commit) from the contract examples."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm_shared.db import outbox
from crm_shared.envelope import format_time, utc_now
from crm_shared.testing import contract, contract_with
from leads.pools import DEFAULT_PUBLIC_POOL_ID

OPPORTUNITY = {"name": "ERP rollout", "amount": "120000.50", "currency": "CNY", "expected_close_date": "2027-02-26"}


def bodies(uow_factory) -> list[dict]:
    with uow_factory() as uow:
        return [json.loads(b) for b in uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position))]


def exclusions(uow_factory, lead_id: str):
    from leads.domain import Lead

    with uow_factory() as uow:
        lead = uow.session.get(Lead, lead_id)
        return uow.recycling.exclusions({lead_id: lead})[lead_id]


@pytest.fixture
def converted(client, rep1, new_lead, deliver):
    """A lead rep-1 claimed and converted, and the customer sales made of it; returns (lead id, customer id)."""
    lead = client.post("/api/v1/leads", json={**new_lead, "region": "华东", "campaign": "expo"}, headers=rep1).json
    assert client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1).status_code == 200
    assert client.post(f"/api/v1/leads/{lead['id']}/convert", headers=rep1).status_code == 200
    customer_id = str(uuid.uuid4())
    assert deliver(contract_with("sales.customer.created.v1", lead_id=lead["id"], customer_id=customer_id,
                                 owner_id="rep-1", created_at=format_time(utc_now()))) is True
    return lead["id"], customer_id


def returned(lead_id: str, customer_id: str, **changes):
    facts = {"lead_id": lead_id, "customer_id": customer_id, "previous_owner_id": "rep-1",
             "returned_at": format_time(utc_now()), **changes}
    return contract_with("sales.customer.returned.v1", **facts)


# -- converting --------------------------------------------------------------------------------------


def test_converting_with_a_first_opportunity_publishes_what_sales_needs(client, rep1, new_lead, uow_factory):
    lead = client.post("/api/v1/leads", json={**new_lead, "region": "华东", "industry": "制造业", "campaign": "expo"},
                       headers=rep1).json
    client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1)
    response = client.post(f"/api/v1/leads/{lead['id']}/convert", json={"opportunity": OPPORTUNITY}, headers=rep1)
    assert response.status_code == 200 and response.json["status"] == "converted"
    event = bodies(uow_factory)[-1]
    assert event["name"] == "leads.lead.converted.v1"
    assert set(event["payload"]) == set(contract("leads.lead.converted.v1").payload)
    assert set(event["payload"]["opportunity"]) == set(contract("leads.lead.converted.v1").payload["opportunity"])
    assert event["payload"]["opportunity"] == OPPORTUNITY
    assert (event["payload"]["owner_id"], event["payload"]["region"], event["payload"]["industry"],
            event["payload"]["campaign"]) == ("rep-1", "华东", "制造业", "expo")


def test_converting_without_a_body_or_an_opportunity_names_no_opportunity(client, rep1, new_lead, uow_factory):
    for body in (None, {}, {"opportunity": None}):
        lead = client.post("/api/v1/leads", json=new_lead, headers=rep1).json
        client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1)
        response = client.post(f"/api/v1/leads/{lead['id']}/convert", json=body, headers=rep1)
        assert response.status_code == 200, response.json
        assert bodies(uow_factory)[-1]["payload"]["opportunity"] is None


@pytest.mark.parametrize("opportunity, field", [
    ({**OPPORTUNITY, "amount": 120000.5}, "amount"),
    ({**OPPORTUNITY, "amount": "12.345"}, "amount"),
    ({**OPPORTUNITY, "amount": "-5"}, "amount"),
    ({**OPPORTUNITY, "currency": "rmb"}, "currency"),
    ({**OPPORTUNITY, "name": " "}, "name"),
    ({**OPPORTUNITY, "expected_close_date": "soon"}, "expected_close_date"),
    ({**OPPORTUNITY, "stage": "won"}, "stage"),
    ({"name": "X", "currency": "CNY"}, "amount"),
    ("a deal", None),
])
def test_a_malformed_opportunity_is_refused_and_the_lead_stays_unconverted(
    client, rep1, new_lead, uow_factory, opportunity, field
):
    lead = client.post("/api/v1/leads", json=new_lead, headers=rep1).json
    client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1)
    before = len(bodies(uow_factory))
    response = client.post(f"/api/v1/leads/{lead['id']}/convert", json={"opportunity": opportunity}, headers=rep1)
    assert response.status_code == 422, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    assert "opportunity" in response.json["errors"]
    if field:
        assert field in response.json["errors"]["opportunity"]
    assert len(bodies(uow_factory)) == before
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=rep1).json["status"] == "claimed"


# -- the customer's return ---------------------------------------------------------------------------


def test_a_returned_customer_brings_its_lead_back_to_the_public_pool_with_its_whole_history(
    client, rep1, manager, converted, deliver, uow_factory
):
    lead_id, customer_id = converted
    event = returned(lead_id, customer_id, reason="No budget this year")
    assert deliver(event) is True and deliver(event) is False
    lead = client.get(f"/api/v1/leads/{lead_id}", headers=manager).json
    assert (lead["status"], lead["owner_id"], lead["previous_owner_id"], lead["pool_id"]) == (
        "pool", None, "rep-1", DEFAULT_PUBLIC_POOL_ID)
    assert lead["converted_at"] is not None
    history = client.get(f"/api/v1/leads/{lead_id}/ownership-history", headers=manager).json["items"]
    assert [(h["reason"], h["to_owner_id"]) for h in history] == [
        ("claimed", "rep-1"), ("converted", "rep-1"), ("returned", None)]
    assert history[-1]["detail"] == "customer returned in sales: No budget this year"
    [lead_returned] = [b for b in bodies(uow_factory) if b["name"] == "leads.lead.returned.v1"]
    assert lead_returned["causation_id"] == event.id
    assert (lead_returned["payload"]["reason"], lead_returned["payload"]["previous_owner_id"]) == (
        "customer_returned", "rep-1")
    kinds = [e["kind"] for e in client.get(f"/api/v1/leads/{lead_id}/timeline", headers=manager).json["items"]]
    assert kinds[0] == "returned" and {"converted", "customer_created", "claimed", "created"} <= set(kinds)


def test_a_rep_who_claims_the_returned_lead_publishes_the_claim_with_its_customer(
    client, rep2, converted, deliver, uow_factory
):
    lead_id, customer_id = converted
    deliver(returned(lead_id, customer_id))
    claimed = client.post(f"/api/v1/leads/{lead_id}/claim", headers=rep2)
    assert claimed.status_code == 200, claimed.json
    assert (claimed.json["status"], claimed.json["owner_id"]) == ("claimed", "rep-2")
    event = bodies(uow_factory)[-1]
    assert event["name"] == "leads.lead.claimed.v1"
    assert (event["payload"]["customer_id"], event["payload"]["owner_id"]) == (customer_id, "rep-2")
    # The new owner may convert it again, naming a new deal: sales keeps the customer and opens the deal.
    again = client.post(f"/api/v1/leads/{lead_id}/convert", json={"opportunity": OPPORTUNITY}, headers=rep2)
    assert again.status_code == 200 and bodies(uow_factory)[-1]["payload"]["owner_id"] == "rep-2"


def test_a_fresh_lead_is_claimed_with_no_customer(client, rep1, new_lead, uow_factory):
    lead = client.post("/api/v1/leads", json=new_lead, headers=rep1).json
    client.post(f"/api/v1/leads/{lead['id']}/claim", headers=rep1)
    assert bodies(uow_factory)[-1]["payload"]["customer_id"] is None


def test_a_returned_customer_that_came_from_no_lead_of_ours_changes_nothing(deliver, uow_factory):
    before = bodies(uow_factory)
    assert deliver(contract_with("sales.customer.returned.v1", lead_id=None, customer_id=str(uuid.uuid4()))) is True
    assert bodies(uow_factory) == before


def test_a_returned_customer_without_its_previous_owner_is_refused(converted, deliver, uow_factory):
    from leads.timeline_handlers import InvalidPayload

    lead_id, customer_id = converted
    with pytest.raises(InvalidPayload, match="previous_owner_id"):
        deliver(returned(lead_id, customer_id, previous_owner_id=None))


# -- what keeps a lead from being recycled -------------------------------------------------------------


def test_an_open_opportunity_keeps_the_lead_from_recycling_until_it_is_won_or_lost(
    client, rep1, converted, deliver, uow_factory
):
    lead_id, customer_id = converted
    opportunity_id = str(uuid.uuid4())
    at = utc_now()
    opened = contract_with("sales.opportunity.opened.v1", opportunity_id=opportunity_id, customer_id=customer_id,
                           lead_id=lead_id, opened_at=format_time(at + timedelta(minutes=1)))
    assert deliver(opened) is True and deliver(opened) is False
    assert exclusions(uow_factory, lead_id).has_open_opportunity is True
    second = contract_with("sales.opportunity.opened.v1", opportunity_id=str(uuid.uuid4()), customer_id=customer_id,
                           opened_at=format_time(at + timedelta(minutes=2)))
    deliver(second)
    deliver(contract_with("sales.opportunity.closed.v1", opportunity_id=opportunity_id, customer_id=customer_id,
                          outcome="won", closed_at=format_time(at + timedelta(minutes=3))))
    assert exclusions(uow_factory, lead_id).has_open_opportunity is True  # the second is still open
    deliver(contract_with("sales.opportunity.closed.v1", opportunity_id=second.payload["opportunity_id"],
                          customer_id=customer_id, outcome="lost", closed_at=format_time(at + timedelta(minutes=4))))
    assert exclusions(uow_factory, lead_id).has_open_opportunity is False
    timeline = client.get(f"/api/v1/leads/{lead_id}/timeline", headers=rep1).json["items"]
    assert [e["kind"] for e in timeline[:4]] == [
        "opportunity_lost", "opportunity_won", "opportunity_opened", "opportunity_opened"]
    assert timeline[0]["summary"] == "Opportunity lost: ERP rollout, phase 1 (120000.00 CNY)"


def test_an_open_ticket_keeps_the_lead_from_recycling_until_it_is_closed(
    client, rep1, converted, deliver, uow_factory
):
    lead_id, customer_id = converted
    ticket_id = str(uuid.uuid4())
    at = utc_now()
    deliver(contract_with("service_desk.ticket.opened.v1", ticket_id=ticket_id, customer_id=customer_id,
                          opened_at=format_time(at + timedelta(minutes=1))))
    assert exclusions(uow_factory, lead_id).has_open_ticket is True
    closed = contract_with("service_desk.ticket.closed.v1", ticket_id=ticket_id, customer_id=customer_id,
                           closed_at=format_time(at + timedelta(minutes=2)))
    assert deliver(closed) is True and deliver(closed) is False
    assert exclusions(uow_factory, lead_id).has_open_ticket is False
    timeline = client.get(f"/api/v1/leads/{lead_id}/timeline", headers=rep1).json["items"]
    assert timeline[0]["kind"] == "ticket_closed"
    assert timeline[0]["summary"] == "Ticket closed: Export fixed in release 4.2"
    # The customer wrote again: the closed ticket is reopened and keeps the lead once more.
    deliver(contract_with("service_desk.ticket.reopened.v1", ticket_id=ticket_id, customer_id=customer_id,
                          from_status="closed", reopened_at=format_time(at + timedelta(minutes=3))))
    assert exclusions(uow_factory, lead_id).has_open_ticket is True


def test_a_close_heard_before_its_opening_leaves_the_ticket_and_the_deal_closed(converted, deliver, uow_factory):
    lead_id, customer_id = converted
    ticket_id, opportunity_id = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(contract_with("service_desk.ticket.closed.v1", ticket_id=ticket_id, customer_id=customer_id))
    deliver(contract_with("service_desk.ticket.opened.v1", ticket_id=ticket_id, customer_id=customer_id))
    deliver(contract_with("sales.opportunity.closed.v1", opportunity_id=opportunity_id, customer_id=customer_id))
    deliver(contract_with("sales.opportunity.opened.v1", opportunity_id=opportunity_id, customer_id=customer_id))
    assert exclusions(uow_factory, lead_id) == exclusions(uow_factory, lead_id).__class__()


def test_deals_and_tickets_of_customers_from_no_lead_of_ours_are_ignored(deliver, uow_factory):
    before = bodies(uow_factory)
    for name in ("sales.opportunity.opened.v1", "sales.opportunity.closed.v1", "service_desk.ticket.closed.v1"):
        assert deliver(contract(name)) is True
    assert bodies(uow_factory) == before


def test_a_closed_opportunity_without_a_known_outcome_is_refused(deliver):
    from leads.timeline_handlers import InvalidPayload

    with pytest.raises(InvalidPayload, match="outcome"):
        deliver(contract_with("sales.opportunity.closed.v1", outcome="abandoned"))
