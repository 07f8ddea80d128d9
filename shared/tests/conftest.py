"""Fixtures for the shared package's tests: a scratch database with the messaging tables, and buses."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table

from crm_shared import testing
from crm_shared.bus.connection import connect
from crm_shared.bus.topology import Topology
from crm_shared.db import make_engine, make_session_factory, messaging_metadata
from crm_shared.uow import UnitOfWork

# A stand-in for a service's own table: each handled event appends a row, so a doubled effect shows
# as two rows (there is deliberately no unique constraint to hide it).
test_metadata = MetaData()
Table(
    "effects",
    test_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("consumer", String(100), nullable=False),
)


@pytest.fixture
def effects() -> Table:
    return test_metadata.tables["effects"]


@pytest.fixture
def database(tmp_path: Path):
    """An engine and session factory on a fresh database (PostgreSQL when available, else SQLite)."""
    with testing.scratch_database("shared", tmp_path) as url:
        engine = make_engine(url)
        messaging_metadata.create_all(engine)
        test_metadata.create_all(engine)
        yield engine, make_session_factory(engine)
        engine.dispose()


@pytest.fixture
def uow_factory(database):
    _engine, session_factory = database
    return lambda: UnitOfWork(session_factory)


def bus_url_for(backend: str, tmp_path: Path) -> str:
    if backend == "embedded":
        return f"crmfs://{tmp_path / 'bus'}"
    url = testing.amqp_server_url()
    if url is None:
        pytest.skip("RabbitMQ is not available: set CRM_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672//")
    return url


def _isolated_bus(backend: str, request, tmp_path: Path):
    """A bus URL and a topology with names of its own, deleted afterwards."""
    url = bus_url_for(backend, tmp_path)
    topology = Topology(exchange_name=f"test.{uuid.uuid4().hex[:10]}.events")
    yield backend, url, topology
    with connect(url) as connection:
        channel = connection.default_channel
        for queue_name in list(getattr(request.node, "crm_queues", [])) + [topology.dead_letter_queue.name]:
            try:
                channel.queue_delete(queue_name)
            except Exception:
                channel = connection.channel()
        for exchange in (topology.exchange, topology.dead_letter_exchange):
            try:
                exchange(channel).delete()
            except Exception:
                channel = connection.channel()


@pytest.fixture(params=["embedded", "rabbitmq"])
def bus(request, tmp_path: Path):
    """Each bus contract test runs on both backends."""
    yield from _isolated_bus(request.param, request, tmp_path)


@pytest.fixture
def rabbitmq_bus(request, tmp_path: Path):
    """For the tests that only make sense on a real broker (restarting it)."""
    yield from _isolated_bus("rabbitmq", request, tmp_path)
