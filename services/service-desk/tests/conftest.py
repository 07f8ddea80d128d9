"""Fixtures of the service desk: a migrated scratch database, the app, the worker's consumer path, tokens."""
from __future__ import annotations

import json
import uuid
from typing import Callable

import pytest
from sqlalchemy import func, select

from crm_shared import testing
from crm_shared.db import inbox, outbox
from crm_shared.pytest_service import ServiceUnderTest
from service_desk import create_app
from service_desk.config import SERVICE, SERVICE_ROOT
from service_desk.db import known_customers, start_mappers, tickets
from service_desk.handlers import HANDLERS


@pytest.fixture
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(SERVICE, SERVICE_ROOT, create_app, HANDLERS)


@pytest.fixture(autouse=True)
def _mapped():
    start_mappers()


@pytest.fixture
def customer_created(deliver) -> Callable[..., str]:
    """Deliver a `sales.customer.created.v1` like the contract example for a new customer; returns its id."""

    def created(**changes) -> str:
        envelope = testing.contract_with("sales.customer.created.v1", **{"customer_id": str(uuid.uuid4()), **changes})
        assert deliver(envelope) is True
        return envelope.payload["customer_id"]

    return created


@pytest.fixture
def published(uow_factory) -> Callable[[], list[dict]]:
    """The envelopes in the outbox, oldest first, as dicts."""

    def read() -> list[dict]:
        with uow_factory() as uow:
            return [json.loads(body) for body in uow.session.scalars(select(outbox.c.body).order_by(outbox.c.position))]

    return read


@pytest.fixture
def row_counts(uow_factory) -> Callable[[], dict[str, int]]:
    """How many rows each table of the desk holds, to show that a refused request changed nothing."""

    def count() -> dict[str, int]:
        with uow_factory() as uow:
            return {
                table.name: uow.session.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (tickets, known_customers, outbox, inbox)
            }

    return count


@pytest.fixture
def headers(tokens) -> Callable[..., dict]:
    """Authorization headers for a user id with some roles."""
    return lambda user_id, *roles: tokens.headers(user_id, roles, user_id)


@pytest.fixture
def agent(headers):
    return headers("agent-1", "service_agent")
