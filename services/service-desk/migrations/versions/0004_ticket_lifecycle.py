"""The ticket's full lifecycle: numbers, fields, history, replies and notes, ratings, return visits, public requests.

Public requests may have no customer yet, so `customer_id`, `channel` and `opened_by` become nullable. Tickets
opened before this revision get a number and the history rows of what is known of them (opened, closed).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)

def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("customer_id", existing_type=sa.String(36), nullable=True)
        batch.alter_column("channel", existing_type=sa.String(50), nullable=True)
        batch.alter_column("opened_by", existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column("number", sa.String(20)))
        batch.add_column(sa.Column("contact_id", sa.String(36)))
        batch.add_column(sa.Column("category", sa.String(50)))
        batch.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("assignee_id", sa.String(36)))
        batch.add_column(sa.Column("group_id", sa.String(36)))
        batch.add_column(sa.Column("source", sa.String(20), nullable=False, server_default="desk"))
        batch.add_column(sa.Column("requester_name", sa.String(100)))
        batch.add_column(sa.Column("requester_email", sa.String(254)))
        batch.add_column(sa.Column("requester_phone", sa.String(40)))
        batch.add_column(sa.Column("requester_company", sa.String(200)))
        batch.add_column(sa.Column("public_token_hash", sa.String(64)))
        batch.add_column(sa.Column("updated_at", TIME))
        batch.add_column(sa.Column("first_replied_at", TIME))
        batch.add_column(sa.Column("resolved_at", TIME))
        batch.add_column(sa.Column("satisfaction_rating", sa.Integer))
        batch.add_column(sa.Column("satisfaction_comment", sa.Text))
        batch.add_column(sa.Column("satisfaction_rated_at", TIME))
        batch.add_column(sa.Column("satisfaction_rated_by", sa.String(36)))
        batch.add_column(sa.Column("satisfaction_by_customer", sa.Boolean))
        batch.add_column(sa.Column("history_seq", sa.Integer, nullable=False, server_default="0"))
        batch.create_unique_constraint("uq_tickets_number", ["number"])
        batch.create_index("ix_tickets_assignee_status", ["assignee_id", "status"])
        batch.create_index("ix_tickets_group_status", ["group_id", "status"])
    op.create_table(
        "ticket_history",
        sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id", name="fk_ticket_history_ticket_id_tickets"),
                  nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(36)),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20)),
        sa.Column("field", sa.String(40)),
        sa.Column("old_value", sa.JSON),
        sa.Column("new_value", sa.JSON),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("rule_id", sa.String(36)),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "seq", name="pk_ticket_history"),
    )
    op.create_index("ix_ticket_history_at", "ticket_history", ["at"])
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id", name="fk_ticket_messages_ticket_id_tickets"),
                  nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("author_kind", sa.String(20), nullable=False),
        sa.Column("author_id", sa.String(36)),
        sa.Column("author_name", sa.String(100)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_ticket_messages_ticket_created", "ticket_messages", ["ticket_id", "created_at"])
    op.create_table(
        "ticket_numbers",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "return_visits",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("ticket_id", sa.String(36), sa.ForeignKey("tickets.id", name="fk_return_visits_ticket_id_tickets"),
                  nullable=False),
        sa.Column("ticket_number", sa.String(20)),
        sa.Column("customer_id", sa.String(36)),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("assignee_id", sa.String(36), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(30)),
        sa.Column("outcome_note", sa.Text),
        sa.Column("scheduled_by", sa.String(36), nullable=False),
        sa.Column("scheduled_at", TIME, nullable=False),
        sa.Column("completed_by", sa.String(36)),
        sa.Column("completed_at", TIME),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_return_visits_status_due", "return_visits", ["status", "due_at"])
    op.create_index("ix_return_visits_ticket", "return_visits", ["ticket_id"])
    op.create_table(
        "public_rate_limits",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("window_started_at", TIME, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
    )
    _backfill(op.get_bind())
    # The defaults only served the rows that existed; the code always sets these columns.
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("tags", existing_type=sa.JSON, server_default=None)
        batch.alter_column("source", existing_type=sa.String(20), server_default=None)
        batch.alter_column("history_seq", existing_type=sa.Integer, server_default=None)

def _backfill(connection) -> None:
    """Numbers and the known history (opened, closed) for the tickets opened before this revision."""
    tickets = sa.table("tickets", sa.column("id"), sa.column("opened_at", TIME), sa.column("opened_by"),
                       sa.column("closed_at", TIME), sa.column("closed_by"), sa.column("resolution"),
                       sa.column("number"), sa.column("history_seq"), sa.column("updated_at", TIME),
                       sa.column("resolved_at", TIME))
    history = sa.table("ticket_history", sa.column("ticket_id"), sa.column("seq"), sa.column("at", TIME),
                       sa.column("kind"), sa.column("actor_id"), sa.column("from_status"), sa.column("to_status"),
                       sa.column("public"), sa.column("detail", sa.JSON))
    counters: dict[int, int] = {}
    rows = connection.execute(sa.select(tickets.c.id, tickets.c.opened_at, tickets.c.opened_by, tickets.c.closed_at,
                                        tickets.c.closed_by, tickets.c.resolution)
                              .order_by(tickets.c.opened_at, tickets.c.id)).all()
    for row in rows:
        year = row.opened_at.year
        counters[year] = counters.get(year, 0) + 1
        entries = [{"ticket_id": row.id, "seq": 1, "at": row.opened_at, "kind": "opened", "actor_id": row.opened_by,
                    "from_status": None, "to_status": "new", "public": False, "detail": {"source": "desk"}}]
        if row.closed_at is not None:
            detail = {"resolution": row.resolution} if row.resolution else {}
            entries.append({"ticket_id": row.id, "seq": 2, "at": row.closed_at, "kind": "status_changed",
                            "actor_id": row.closed_by, "from_status": "new", "to_status": "closed", "public": True,
                            "detail": detail})
        connection.execute(sa.insert(history), entries)
        connection.execute(sa.update(tickets).where(tickets.c.id == row.id).values(
            number=f"SD-{year}-{counters[year]:06d}", history_seq=len(entries),
            updated_at=row.closed_at or row.opened_at, resolved_at=row.closed_at))
    if counters:
        numbers = sa.table("ticket_numbers", sa.column("year"), sa.column("last_number"))
        connection.execute(sa.insert(numbers), [{"year": y, "last_number": n} for y, n in counters.items()])

def downgrade() -> None:
    for table in ("public_rate_limits", "return_visits", "ticket_numbers", "ticket_messages", "ticket_history"):
        op.drop_table(table)
    # Requests without a customer cannot stay in a table that needs one.
    op.execute("DELETE FROM tickets WHERE customer_id IS NULL")
    op.execute("UPDATE tickets SET opened_by = '' WHERE opened_by IS NULL")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_group_status")
        batch.drop_index("ix_tickets_assignee_status")
        batch.drop_constraint("uq_tickets_number", type_="unique")
        for column in ("history_seq", "satisfaction_by_customer", "satisfaction_rated_by", "satisfaction_rated_at",
                       "satisfaction_comment", "satisfaction_rating", "resolved_at", "first_replied_at",
                       "updated_at", "public_token_hash", "requester_company", "requester_phone", "requester_email",
                       "requester_name", "source", "group_id", "assignee_id", "tags", "category", "contact_id",
                       "number"):
            batch.drop_column(column)
        batch.alter_column("opened_by", existing_type=sa.String(36), nullable=False)
        batch.alter_column("channel", existing_type=sa.String(50), nullable=False)
        batch.alter_column("customer_id", existing_type=sa.String(36), nullable=False)
