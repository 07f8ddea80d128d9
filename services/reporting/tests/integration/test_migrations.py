"""The migrations build exactly the tables that reporting/db.py and the messaging tables declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm_shared.db import messaging_metadata
from reporting.db import metadata


def test_the_migrations_build_exactly_the_declared_tables(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, [metadata, messaging_metadata]) == []
