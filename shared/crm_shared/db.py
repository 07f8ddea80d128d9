"""Database engines and the tables every service keeps for its messaging: outbox, inbox, timed-job runs."""
from __future__ import annotations

from datetime import timezone
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Naming convention so Alembic migrations name constraints the same way on PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements INTEGER PRIMARY KEY, PostgreSQL wants a 64-bit sequence.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ExactDecimal(TypeDecorator):
    """Money: NUMERIC(18, 2) on PostgreSQL; on SQLite, whose NUMERIC is a float, the decimal's text."""

    impl = Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime; use timezone-aware UTC")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


messaging_metadata = MetaData(naming_convention=NAMING_CONVENTION)

outbox = Table(
    "outbox",
    messaging_metadata,
    Column("position", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Index(
        "ix_outbox_unpublished",
        "position",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

inbox = Table(
    "inbox",
    messaging_metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("event_name", String(200), nullable=False),
    Column("processed_at", UtcDateTime(), nullable=False),
)

scheduled_runs = Table(
    "scheduled_runs",
    messaging_metadata,
    Column("job", String(100), primary_key=True),
    Column("due_at", UtcDateTime(), primary_key=True),
    Column("worker", String(200), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("error", Text, nullable=True),
)



def audit_log_table(metadata: MetaData) -> Table:
    """Define `audit_log` in a service's metadata: who changed which record, when and how (crm_shared.audit).

    Opt-in: a service that defines it (with a migration) gets a row per record each event of its outbox
    concerns, written with the events; the others keep their schema unchanged.
    """
    return Table(
        "audit_log",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("record_type", String(50), nullable=False),
        Column("record_id", String(100), nullable=False),
        Column("at", UtcDateTime(), nullable=False),
        # A user id, or `system:<job>` for what a timed job or an automatic rule did.
        Column("actor", String(200), nullable=False),
        # The event's name, or a verb for a change that publishes no event.
        Column("action", String(200), nullable=False),
        Column("details", JSON, nullable=False),
        Column("correlation_id", String(64), nullable=True),
        Column("event_id", String(36), nullable=True),
        Index("ix_audit_log_record", "record_type", "record_id", "at"),
    )


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets the web and worker processes read while one writes; the busy timeout makes
    # writers queue instead of failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection) -> None:
    # pysqlite opens deferred transactions that fail to upgrade to writes under contention;
    # taking the write lock up front makes concurrent writers wait their turn instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **options) -> Engine:
    """An engine for a service's database, tuned for the backend behind the URL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)
        event.listen(engine, "connect", _tune_sqlite)
        # Hand transaction control to SQLAlchemy so BEGIN IMMEDIATE can be issued.
        event.listen(engine, "connect", lambda conn, _rec: setattr(conn, "isolation_level", None))
        event.listen(engine, "begin", _begin_immediate)
        return engine
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_size", 5)
    options.setdefault("max_overflow", 10)
    return create_engine(url, **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def insert_ignoring_duplicates(session: Session, table: Table, rows: list[dict]):
    """INSERT the rows, skipping any that clash with a row already there (ON CONFLICT DO NOTHING)."""
    build = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return session.execute(build(table).values(rows).on_conflict_do_nothing())
