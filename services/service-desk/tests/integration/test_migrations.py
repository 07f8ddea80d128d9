"""The migrations build exactly the tables that service_desk/db.py and the messaging tables declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm_shared.db import messaging_metadata
from service_desk.db import metadata


def test_the_migrations_build_exactly_the_declared_tables(app):
    with app.extensions["crm.engine"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, [metadata, messaging_metadata]) == []
