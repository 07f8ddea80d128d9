"""Consuming `sales.customer.*` through the worker's real path: inbox, replica, one commit."""
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
        "channel": "web", "name": "上海示例科技有限公司", "owner_since": None,
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


# -- the owner follows sales: returned to the pool, then taken by another rep -----------------------------


def owner_in_replica(uow_factory, customer_id: str):
    with uow_factory() as uow:
        return uow.session.execute(
            select(known_customers.c.owner_id).where(known_customers.c.customer_id == customer_id)).scalar_one()


def test_the_replica_follows_the_customer_to_the_pool_and_to_its_next_owner_and_so_do_the_tickets(
    deliver, uow_factory, client, agent, headers
):
    created = contract(CREATED)
    customer_id, first_owner = created.payload["customer_id"], created.payload["owner_id"]
    deliver(created)
    ticket = client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "Help"}, headers=agent).json
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers(first_owner, "sales_rep")).status_code == 200
    assert deliver(contract("sales.customer.returned.v1")) is True
    assert owner_in_replica(uow_factory, customer_id) is None
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers(first_owner, "sales_rep")).status_code == 404
    changed = contract("sales.customer.owner_changed.v1")
    assert deliver(changed) is True and deliver(changed) is False
    new_owner = changed.payload["owner_id"]
    assert owner_in_replica(uow_factory, customer_id) == new_owner
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers(new_owner, "sales_rep")).status_code == 200
    # The customer's tickets can be opened by its new owner, and closing one names them.
    assert client.post("/api/v1/tickets", json={"customer_id": customer_id, "subject": "More"},
                       headers=headers(new_owner, "sales_rep")).status_code == 201


def test_an_owner_change_older_than_the_one_applied_is_ignored(deliver, uow_factory):
    created = contract(CREATED)
    deliver(created)
    customer_id = created.payload["customer_id"]
    deliver(contract_with("sales.customer.owner_changed.v1", owner_id="rep-new", changed_at="2026-11-27T09:55:00Z"))
    deliver(contract_with("sales.customer.returned.v1", returned_at="2026-11-27T09:40:00Z"))
    deliver(contract_with("sales.customer.owner_changed.v1", owner_id="rep-old", changed_at="2026-11-27T09:50:00Z"))
    assert owner_in_replica(uow_factory, customer_id) == "rep-new"


@pytest.mark.parametrize("name, field", [
    ("sales.customer.returned.v1", "customer_id"), ("sales.customer.returned.v1", "returned_at"),
    ("sales.customer.owner_changed.v1", "customer_id"), ("sales.customer.owner_changed.v1", "changed_at"),
    ("sales.customer.owner_changed.v1", "owner_id"),
])
def test_an_owner_change_without_the_facts_it_needs_is_refused_and_leaves_no_inbox_mark(deliver, row_counts, name, field):
    with pytest.raises(InvalidPayload, match=field):
        deliver(contract_with(name, **{field: "" if field == "owner_id" else None}))
    assert row_counts()["inbox"] == 0
