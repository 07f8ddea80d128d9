"""The channel_stats projection: which counter each event moves, and how a row grows."""
from datetime import datetime, timezone

import pytest

from crm_shared.envelope import Envelope, format_time
from crm_shared.testing import contract, contract_with
from reporting import projections
from reporting.handlers import HANDLERS
from reporting.projections import channel_stats

COUNTER_OF = {
    "leads.lead.created.v1": "leads_created",
    "leads.lead.claimed.v1": "leads_claimed",
    "leads.lead.converted.v1": "leads_converted",
    "sales.customer.created.v1": "customers",
    "service_desk.ticket.opened.v1": "tickets",
}


def at(hour: int) -> datetime:
    return datetime(2026, 11, 27, hour, tzinfo=timezone.utc)


def happened(name: str, moment: datetime, **payload) -> Envelope:
    envelope = contract_with(name, **payload)
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": format_time(moment)})


@pytest.mark.parametrize("name", sorted(COUNTER_OF))
def test_each_thin_flow_event_adds_to_its_own_counter_of_its_channel(name):
    assert channel_stats.counter_for(contract(name)) == ("web", COUNTER_OF[name])


@pytest.mark.parametrize("channel", [None, "", "   "])
def test_an_event_without_a_channel_is_counted_under_unknown(channel):
    envelope = contract_with("leads.lead.created.v1", channel=channel)
    assert channel_stats.counter_for(envelope) == ("unknown", "leads_created")


def test_the_worker_listens_to_exactly_the_events_the_read_models_need():
    assert sorted(HANDLERS) == projections.consumed_events()
    assert set(COUNTER_OF) <= set(HANDLERS)
    for name in HANDLERS:
        contract(name)  # each one is in the catalogue


def test_counting_creates_the_channel_row_then_adds_to_it(uow_factory, stats):
    with uow_factory() as uow:
        projections.project([happened("leads.lead.created.v1", at(8), channel="referral")], uow.session)
        projections.project(
            [happened("leads.lead.created.v1", at(9), channel="referral"),
             happened("leads.lead.claimed.v1", at(10), channel="referral")],
            uow.session,
        )
        uow.commit()
    assert stats() == {
        "referral": {
            "leads_created": 2,
            "leads_claimed": 1,
            "leads_converted": 0,
            "customers": 0,
            "tickets": 0,
            "updated_at": at(10),
        }
    }


def test_updated_at_is_the_newest_event_time_whatever_the_arrival_order(uow_factory, stats):
    with uow_factory() as uow:
        projections.project([happened("service_desk.ticket.opened.v1", at(hour)) for hour in (9, 11, 10)], uow.session)
        uow.commit()
    assert stats()["web"]["tickets"] == 3
    assert stats()["web"]["updated_at"] == at(11)


def test_an_event_no_read_model_needs_changes_nothing(uow_factory, stats):
    other = Envelope.new("sales.opportunity.won.v1", {"channel": "web"}, producer="sales")
    with uow_factory() as uow:
        projections.project([other], uow.session)
        uow.commit()
    assert stats() == {}
