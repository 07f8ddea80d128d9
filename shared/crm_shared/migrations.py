"""Alembic glue shared by the services, and the one-shot setup job: migrate, then declare the bus."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool

from crm_shared.bus.connection import connect
from crm_shared.bus.topology import Topology
from crm_shared.db import messaging_metadata
from crm_shared.settings import Settings

log = logging.getLogger(__name__)


def create_messaging_tables(connection) -> None:
    """For a service's first migration: the outbox, inbox and timed-job tables."""
    messaging_metadata.create_all(connection)


def run_env(service_metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    metadata = [service_metadata, messaging_metadata]
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Batch mode lets ALTER TABLE migrations run on SQLite, which cannot alter most things.
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def alembic_config(service_root: Path, database_url: str) -> Config:
    config = Config(str(service_root / "alembic.ini"))
    config.set_main_option("script_location", str(service_root / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database named in the URL if it is missing (SQLite files create themselves)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as connection:
        exists = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).first()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    admin.dispose()


def set_up(settings: Settings, service_root: Path, consumed_events: Iterable[str]) -> None:
    """Migrate the service's database to head and declare its queue, so no event is routed to nowhere."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ensure_database(settings.database_url)
    # "heads": features developed side by side may each add a branch until a merge revision joins them.
    command.upgrade(alembic_config(service_root, settings.database_url), "heads")
    topology = Topology.from_settings(settings)
    events = list(consumed_events)
    with connect(settings.bus_url) as connection:
        connection.ensure_connection(max_retries=10)
        queues = [topology.consumer_queue(settings.service, events)] if events else []
        topology.declare(connection, queues)
    log.info("%s: database at head, bus declared (%d bindings)", settings.service, len(events))
