"""Pytest fixtures every service's tests share: a migrated scratch database, the app, tokens, the consumer path.

A service's `tests/conftest.py` defines one fixture, `service_under_test`, and gets the rest from here
(the root conftest registers this module as a plugin). A conftest may still override any of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from crm_shared import testing
from crm_shared.bus.consumer import EventConsumer, Handler
from crm_shared.bus.topology import Topology
from crm_shared.envelope import Envelope
from crm_shared.settings import Settings


@dataclass(frozen=True)
class ServiceUnderTest:
    """What the shared fixtures need to know of a service."""

    name: str
    root: Path
    create_app: Callable[[Settings], Flask]
    handlers: Mapping[str, Handler] = field(default_factory=dict)


@pytest.fixture
def settings(service_under_test: ServiceUnderTest, tmp_path: Path):
    """The service's settings on a fresh database of its own, migrated to head."""
    with testing.scratch_database(service_under_test.name, tmp_path) as url:
        settings = testing.service_settings(service_under_test.name, tmp_path, url)
        testing.migrate(settings, service_under_test.root)
        yield settings


@pytest.fixture
def app(service_under_test: ServiceUnderTest, settings: Settings):
    app = service_under_test.create_app(settings)
    app.config.update(TESTING=True)
    yield app
    app.extensions["crm.engine"].dispose()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def uow_factory(app: Flask):
    return app.extensions["crm.uow_factory"]


@pytest.fixture
def tokens(settings: Settings) -> testing.Tokens:
    return testing.Tokens(settings)


@pytest.fixture
def consumer(service_under_test: ServiceUnderTest, uow_factory) -> EventConsumer:
    """The worker's consumer on the test's database; handle() never touches the bus connection."""
    return EventConsumer(
        None, Topology(exchange_name="test.events"), service_under_test.name, service_under_test.handlers, uow_factory
    )


@pytest.fixture
def deliver(service_under_test: ServiceUnderTest, consumer: EventConsumer) -> Callable[[Envelope], bool]:
    """Apply an event as the worker would (inbox, handler, commit); False if it was a duplicate."""
    return lambda envelope: consumer.handle(envelope, service_under_test.handlers[envelope.name])


@pytest.fixture
def postgresql_only(settings: Settings) -> None:
    """Skip unless the scratch database is PostgreSQL: for locking, concurrency and index behaviour."""
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        pytest.skip("checked on PostgreSQL only (set CRM_TEST_DATABASE_URL)")
