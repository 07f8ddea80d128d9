"""The migrations build exactly the tables that service_desk/db.py and the messaging tables declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm_shared.db import messaging_metadata
from service_desk.db import metadata


def _built_on(dialect: str):
    """Leave out what is declared for another database only (the PostgreSQL text indexes of the knowledge base)."""
    def include(obj, _name, _type, reflected, _compare_to) -> bool:
        only_on = getattr(obj, "info", {}).get("only_on")
        return reflected or only_on in (None, dialect)
    return include


def test_the_migrations_build_exactly_the_declared_tables(app):
    with app.extensions["crm.engine"].connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": _built_on(connection.dialect.name)})
        assert compare_metadata(context, [metadata, messaging_metadata]) == []
