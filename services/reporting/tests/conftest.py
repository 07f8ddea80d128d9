"""Fixtures for reporting's tests: a migrated database per test, the real consumer path, the app, tokens.

The database is PostgreSQL when CRM_TEST_DATABASE_URL is set (a fresh database per test), else SQLite.
"""
from __future__ import annotations

import threading
from typing import Callable

import pytest
from sqlalchemy import select

from crm_shared.bus.consumer import EventConsumer
from crm_shared.bus.topology import Topology
from crm_shared.db import make_engine, make_session_factory
from crm_shared.pytest_service import ServiceUnderTest
from reporting import create_app
from reporting.config import SERVICE, SERVICE_ROOT
from reporting.db import channel_stats
from reporting.handlers import HANDLERS
from reporting.uow import ReportingUnitOfWork


@pytest.fixture
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(SERVICE, SERVICE_ROOT, create_app, HANDLERS)


@pytest.fixture
def engine(settings):
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine) -> Callable[[], ReportingUnitOfWork]:
    session_factory = make_session_factory(engine)
    return lambda: ReportingUnitOfWork(session_factory)


def _consumer(uow_factory) -> EventConsumer:
    # handle() never touches the bus connection, so there is none.
    return EventConsumer(None, Topology(exchange_name="test.events"), SERVICE, HANDLERS, uow_factory)


@pytest.fixture
def new_consumer() -> Callable[[str], EventConsumer]:
    """Build a consumer like a separate worker process would: an engine of its own on `database_url`."""
    engines = []

    def build(database_url: str) -> EventConsumer:
        engine = make_engine(database_url)
        engines.append(engine)
        session_factory = make_session_factory(engine)
        return _consumer(lambda: ReportingUnitOfWork(session_factory))

    yield build
    for engine in engines:
        engine.dispose()


@pytest.fixture
def consumer(uow_factory) -> EventConsumer:
    """The worker's consumer on the test's database."""
    return _consumer(uow_factory)


@pytest.fixture
def run_together() -> Callable[..., list[BaseException]]:
    """Start callables in threads at the same moment, wait for them, and return what they raised."""

    def run_all(*jobs: Callable[[], object]) -> list[BaseException]:
        barrier = threading.Barrier(len(jobs))
        errors: list[BaseException] = []

        def run(job):
            barrier.wait()
            try:
                job()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a thread did not finish within 120 s"
        return errors

    return run_all


@pytest.fixture
def stats(engine) -> Callable[[], dict]:
    """The channel_stats rows, keyed by channel."""

    def read() -> dict:
        with engine.connect() as connection:
            rows = connection.execute(select(channel_stats).order_by(channel_stats.c.channel)).mappings().all()
        return {row["channel"]: {k: v for k, v in row.items() if k != "channel"} for row in rows}

    return read


