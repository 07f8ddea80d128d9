"""Consuming `sales.customer.created.v1` through the worker's real path: inbox, replica, one commit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_shared.testing import contract, contract_with
from service_desk.db import known_customers
from service_desk.handlers import InvalidPayload

CREATED = "sales.customer.created.v1"


def replica(uow_factory) -> list[dict]:
    with uow_factory() as uow:
        return [dict(row) for row in uow.session.execute(select(known_customers)).mappings()]


def test_the_contract_example_delivered_twice_is_known_once_and_tickets_can_name_it(
    deliver, uow_factory, row_counts, client, agent
):
    example = contract(CREATED)
    assert deliver(example) is True
    assert deliver(example) is False
    assert replica(uow_factory) == [{
        "customer_id": example.payload["customer_id"], "owner_id": example.payload["owner_id"],
        "channel": "web", "name": "上海示例科技有限公司",
    }]
    assert row_counts()["inbox"] == 1
    ticket = client.post(
        "/api/v1/tickets", json={"customer_id": example.payload["customer_id"], "subject": "Help"}, headers=agent
    )
    assert ticket.status_code == 201 and ticket.json["channel"] == "web"


def test_the_same_customer_under_a_new_event_id_keeps_one_replica_row(deliver, uow_factory):
    assert deliver(contract(CREATED)) is True
    assert deliver(contract_with(CREATED, name="Renamed")) is True
    [row] = replica(uow_factory)
    assert row["name"] == "上海示例科技有限公司"


def test_a_new_customer_without_an_owner_fails_and_leaves_no_replica_row_and_no_inbox_mark(deliver, row_counts):
    with pytest.raises(InvalidPayload):
        deliver(contract_with(CREATED, owner_id=None))
    assert row_counts() == {"tickets": 0, "known_customers": 0, "outbox": 0, "inbox": 0}


def test_handling_a_new_customer_publishes_nothing(deliver, published):
    deliver(contract(CREATED))
    assert published() == []
