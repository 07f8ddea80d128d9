"""Revision 0004 on a database with tickets: they get numbers and the history of what is known of them."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import command

from crm_shared.migrations import alembic_config
from crm_shared.testing import scratch_database
from service_desk.config import SERVICE, SERVICE_ROOT

OPENED = datetime(2025, 12, 30, 9, 0, tzinfo=timezone.utc)
CLOSED = datetime(2026, 1, 2, 9, 0, tzinfo=timezone.utc)


def test_tickets_opened_before_0004_get_numbers_and_history_and_the_revision_goes_back_down(tmp_path):
    with scratch_database(SERVICE, tmp_path) as url:
        config = alembic_config(SERVICE_ROOT, url)
        command.upgrade(config, "0003")
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.text("INSERT INTO known_customers (customer_id, owner_id, channel, name) "
                                           "VALUES ('c-1', 'rep-1', 'web', 'Acme')"))
                for ticket_id, opened_at, closed_at in (("t-1", OPENED, None), ("t-2", CLOSED, CLOSED)):
                    connection.execute(sa.text(
                        "INSERT INTO tickets (id, customer_id, subject, priority, status, opened_by, opened_at, channel,"
                        " closed_at, closed_by, version) VALUES (:id, 'c-1', 'Help', 'normal', :status, 'agent-1',"
                        " :opened_at, 'web', :closed_at, :closed_by, 1)"),
                        {"id": ticket_id, "status": "closed" if closed_at else "new", "opened_at": opened_at,
                         "closed_at": closed_at, "closed_by": "agent-1" if closed_at else None})
            command.upgrade(config, "0004")
            with engine.connect() as connection:
                numbers = dict(connection.execute(sa.text("SELECT id, number FROM tickets")).all())
                history = connection.execute(sa.text(
                    "SELECT ticket_id, seq, kind, to_status FROM ticket_history ORDER BY ticket_id, seq")).all()
                seqs = dict(connection.execute(sa.text("SELECT id, history_seq FROM tickets")).all())
                counters = dict(connection.execute(sa.text("SELECT year, last_number FROM ticket_numbers")).all())
            assert numbers == {"t-1": "SD-2025-000001", "t-2": "SD-2026-000001"}
            assert [tuple(row) for row in history] == [("t-1", 1, "opened", "new"), ("t-2", 1, "opened", "new"),
                                                       ("t-2", 2, "status_changed", "closed")]
            assert seqs == {"t-1": 1, "t-2": 2} and counters == {2025: 1, 2026: 1}
            command.downgrade(config, "0003")
            with engine.connect() as connection:
                assert connection.execute(sa.text("SELECT count(*) FROM tickets")).scalar_one() == 2
        finally:
            engine.dispose()
