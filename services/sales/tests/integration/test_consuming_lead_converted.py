"""Consuming `leads.lead.converted.v1` through the worker's real path: inbox, handler, outbox, one commit."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from crm_shared.db import inbox
from crm_shared.testing import contract, contract_with
from sales.handlers import HANDLERS, InvalidPayload

CONVERTED = "leads.lead.converted.v1"


def inbox_size(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.execute(select(func.count()).select_from(inbox)).scalar_one()


def test_the_contract_example_delivered_twice_makes_one_customer_and_one_event(
    deliver, client, headers, customer_count, published
):
    example = contract(CONVERTED)
    assert deliver(example) is True
    assert deliver(example) is False
    assert customer_count() == 1
    assert [e["name"] for e in published()] == ["sales.customer.created.v1", "sales.opportunity.opened.v1"]
    owner = example.payload["owner_id"]
    customer = client.get("/api/v1/customers", headers=headers(owner, "sales_rep")).json["items"][0]
    assert customer["lead_id"] == example.payload["lead_id"]
    assert (customer["name"], customer["contact_name"], customer["channel"]) == ("上海示例科技有限公司", "王芳", "web")


def test_the_same_conversion_under_a_new_event_id_makes_no_second_customer(deliver, customer_count, published):
    assert deliver(contract(CONVERTED)) is True
    assert deliver(contract_with(CONVERTED)) is True
    assert customer_count() == 1
    # One customer and one opportunity: the second publication of the conversion opens no second deal.
    assert len(published()) == 2


def test_the_customer_created_event_matches_its_contract_and_is_caused_by_the_conversion(deliver, published):
    conversion = contract(CONVERTED)
    deliver(conversion)
    [event] = [e for e in published() if e["name"] == "sales.customer.created.v1"]
    example = contract("sales.customer.created.v1")
    assert set(event) == set(example.to_dict())
    assert set(event["payload"]) == set(example.payload)
    assert event["producer"] == "sales" and event["actor"] == "system"
    assert event["causation_id"] == conversion.id
    assert event["correlation_id"] == conversion.correlation_id
    customer_fields = {k: v for k, v in event["payload"].items() if k not in {"customer_id", "created_at", "name"}}
    assert customer_fields == {k: conversion.payload[k] for k in customer_fields}
    assert event["payload"]["name"] == conversion.payload["company"]


def test_a_conversion_missing_its_owner_fails_and_leaves_no_customer_no_event_and_no_inbox_mark(
    deliver, uow_factory, customer_count, published
):
    with pytest.raises(InvalidPayload):
        deliver(contract_with(CONVERTED, owner_id=None))
    assert (customer_count(), len(published()), inbox_size(uow_factory)) == (0, 0, 0)


def test_simultaneous_deliveries_of_one_conversion_under_two_event_ids_make_one_customer(
    consumer, customer_count, published
):
    first, second = contract(CONVERTED), contract_with(CONVERTED)
    barrier = threading.Barrier(2)
    failed = []

    def deliver(envelope):
        barrier.wait()
        try:
            consumer.handle(envelope, HANDLERS[CONVERTED])
        except Exception:  # the unique lead id refused the loser; the consumer retries it
            failed.append(envelope)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for envelope in failed:
        assert consumer.handle(envelope, HANDLERS[CONVERTED]) is True
    assert customer_count() == 1
    assert len(published()) == 2
