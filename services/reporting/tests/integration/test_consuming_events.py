"""Consuming the thin-flow events through the worker's real path: inbox, archive, projection, one commit."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm_shared.db import inbox
from crm_shared.testing import contract, contract_with
from reporting import projections
from reporting.db import event_archive
from reporting.handlers import HANDLERS
from reporting.projections import channel_stats
from reporting.projections.base import Projection

COUNTER_OF = {
    "leads.lead.created.v1": "leads_created",
    "leads.lead.claimed.v1": "leads_claimed",
    "leads.lead.converted.v1": "leads_converted",
    "sales.customer.created.v1": "customers",
    "service_desk.ticket.opened.v1": "tickets",
}
ZERO = dict.fromkeys(COUNTER_OF.values(), 0)


def counters(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "updated_at"}


def table_size(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.mark.parametrize("name", sorted(COUNTER_OF))
def test_each_contract_example_is_counted_for_its_channel(name, deliver, stats):
    envelope = contract(name)
    assert deliver(envelope) is True
    row = stats()["web"]
    assert counters(row) == {**ZERO, COUNTER_OF[name]: 1}
    assert row["updated_at"] == envelope.occurred


@pytest.mark.parametrize("name", sorted(COUNTER_OF))
def test_the_same_event_delivered_twice_is_counted_once(name, deliver, stats, engine):
    envelope = contract(name)
    assert deliver(envelope) is True
    assert deliver(envelope) is False
    assert counters(stats()["web"]) == {**ZERO, COUNTER_OF[name]: 1}
    assert table_size(engine, event_archive) == 1


def test_the_whole_thin_flow_fills_each_channel_row(deliver, stats):
    for channel in ("web", "web", "partner"):
        for name in COUNTER_OF:
            deliver(contract_with(name, channel=channel))
    deliver(contract_with("leads.lead.created.v1", channel="partner"))
    assert {channel: counters(row) for channel, row in stats().items()} == {
        "partner": {**dict.fromkeys(COUNTER_OF.values(), 1), "leads_created": 2},
        "web": dict.fromkeys(COUNTER_OF.values(), 2),
    }


def test_every_consumed_event_is_archived_as_it_arrived(deliver, engine):
    envelope = contract("sales.customer.created.v1")
    deliver(envelope)
    with engine.connect() as connection:
        row = connection.execute(select(event_archive)).mappings().one()
    assert row["event_id"] == envelope.id
    assert row["name"] == envelope.name
    assert row["occurred_at"] == envelope.occurred
    assert (row["producer"], row["actor"]) == (envelope.producer, envelope.actor)
    assert (row["correlation_id"], row["causation_id"]) == (envelope.correlation_id, envelope.causation_id)
    assert row["payload"] == envelope.payload
    assert row["received_at"].tzinfo is not None


def test_a_failing_projection_leaves_neither_archive_row_nor_inbox_mark_nor_count(
    deliver, engine, stats, monkeypatch
):
    def broken(envelope, changes):
        channel_stats.count(envelope, changes)
        raise RuntimeError("the projection broke after counting")

    failing = Projection(name="broken", tables=(), handlers={"leads.lead.created.v1": broken})
    monkeypatch.setattr(projections, "PROJECTIONS", (failing,))
    with pytest.raises(RuntimeError):
        deliver(contract("leads.lead.created.v1"))
    assert table_size(engine, event_archive) == 0
    assert table_size(engine, inbox) == 0
    assert stats() == {}


@pytest.mark.integration
def test_two_workers_applying_200_distinct_events_at_once_lose_no_increment(
    settings, new_consumer, run_together, stats, engine
):
    channels = ("web", "partner", "referral")
    names = sorted(COUNTER_OF)
    # Events 2k and 2k+1 move the same counter of the same channel, and each worker takes one of them,
    # so the two workers hit the same row and column at the same moment.
    events = [
        contract_with(names[(n // 2) % len(names)], channel=channels[(n // 10) % len(channels)]) for n in range(200)
    ]
    expected = {channel: dict(ZERO) for channel in channels}
    for envelope in events:
        expected[envelope.payload["channel"]][COUNTER_OF[envelope.name]] += 1
    workers = [new_consumer(settings.database_url) for _ in range(2)]
    shares = [events[0::2], events[1::2]]

    def work(worker, own, others):
        for index, envelope in enumerate(own):
            worker.handle(envelope, HANDLERS[envelope.name])
            if index < 20:  # a redelivery of what the other worker is handling about now
                worker.handle(others[index], HANDLERS[others[index].name])

    errors = run_together(
        lambda: work(workers[0], shares[0], shares[1]), lambda: work(workers[1], shares[1], shares[0])
    )
    assert errors == []
    assert {channel: counters(row) for channel, row in stats().items()} == expected
    assert sum(worker.processed for worker in workers) == 200
    assert sum(worker.duplicates for worker in workers) == 40
    assert table_size(engine, event_archive) == 200
