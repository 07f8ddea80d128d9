"""Fixtures of the service desk: a migrated scratch database, the app, the worker's consumer path, tokens."""
from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import func, select

from crm_shared import testing
from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.db import inbox, outbox
from crm_shared.envelope import Envelope
from service_desk import create_app
from service_desk.config import SERVICE, SERVICE_ROOT
from service_desk.db import known_customers, start_mappers, tickets
from service_desk.handlers import HANDLERS


@pytest.fixture(autouse=True)
def _mapped():
    start_mappers()


@pytest.fixture
def settings(tmp_path: Path):
    with testing.scratch_database(SERVICE, tmp_path) as url:
        settings = testing.service_settings(SERVICE, tmp_path, url)
        testing.migrate(settings, SERVICE_ROOT)
        yield settings


@pytest.fixture
def app(settings):
    app = create_app(settings)
    yield app
    app.extensions["crm.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def uow_factory(app):
    return app.extensions["crm.uow_factory"]


@pytest.fixture
def consumer(uow_factory) -> EventConsumer:
    """The worker's consumer on the test's database; handle() never touches the bus connection."""
    return EventConsumer(None, Topology(exchange_name="test.events"), SERVICE, HANDLERS, uow_factory)


@pytest.fixture
def deliver(consumer) -> Callable[[Envelope], bool]:
    """Apply an event as the worker would (inbox, handler, commit); False if it was a duplicate."""
    return lambda envelope: consumer.handle(envelope, HANDLERS[envelope.name])


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
def tokens(settings):
    return testing.Tokens(settings)


@pytest.fixture
def headers(tokens) -> Callable[..., dict]:
    """Authorization headers for a user id with some roles."""
    return lambda user_id, *roles: tokens.headers(user_id, roles, user_id)


@pytest.fixture
def agent(headers):
    return headers("agent-1", "service_agent")
