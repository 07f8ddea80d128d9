"""Dashboard roll-ups: per-day sums kept by PostgreSQL triggers, and the derived fact columns they group by.

On PostgreSQL the triggers are installed and the roll-ups filled from the facts already there, keyed by the
days of the configured reporting time zone. SQLite gets the tables and columns only (its dashboards sum the
facts). The trigger SQL is reporting.rollup_sql's: a later change to it comes with a migration of its own
that installs it again (CREATE OR REPLACE).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 2).with_variant(sa.String(40), "sqlite")
COUNT = sa.Integer()
SECONDS = sa.Numeric()

ACQUISITION = {
    "leads_acquired": COUNT, "acquired_converted": COUNT, "leads_claimed": COUNT, "claims_followed_up": COUNT,
    "claim_wait_seconds": SECONDS, "leads_converted": COUNT, "customers_created": COUNT,
    "opportunities_opened": COUNT, "deals_won": COUNT, "won_amount": MONEY, "tickets_opened": COUNT,
}
SALES = {
    "follow_ups": COUNT, "new_customers": COUNT, "won_count": COUNT, "won_amount": MONEY, "planned_amount": MONEY,
    "paid_on_planned": MONEY, "collected_amount": MONEY, "invoiced_amount": MONEY, "refunded_amount": MONEY,
    "revenue": MONEY, "expenses": MONEY,
}
SERVICE = {
    "opened": COUNT, "responded": COUNT, "response_seconds": SECONDS, "resolved_of_opened": COUNT,
    "resolution_seconds": SECONDS, "within_sla": COUNT, "rated": COUNT, "rating_sum": COUNT, "resolved": COUNT,
}


def _owner():
    return sa.Column("owner_id", sa.String(36))


def _day():
    return sa.Column("day", sa.Date(), nullable=False)


def _month():
    return sa.Column("month", sa.Date(), nullable=False)


def _rollup(name, keys, measures, by_day=True):
    op.create_table(
        name, *keys,
        *(sa.Column(measure, kind, nullable=False, server_default="0") for measure, kind in measures.items()))
    op.create_index(f"ix_{name}_key", name, [key.name for key in keys], unique=True,
                    postgresql_nulls_not_distinct=True)
    if by_day and keys[0].name == "owner_id":
        op.create_index(f"ix_{name}_day", name, ["day"])


def _channel_campaign():
    return sa.Column("channel", sa.String(50)), sa.Column("campaign", sa.String(100))


def _channel_priority():
    return sa.Column("channel", sa.String(50)), sa.Column("priority", sa.String(20))


def _pool_move_keys():
    return (sa.Column("pool_id", sa.String(36)), sa.Column("direction", sa.String(5)),
            sa.Column("kind", sa.String(20)), sa.Column("reason", sa.String(300)))


def upgrade() -> None:
    for table in ("fact_customers", "fact_opportunities", "fact_tickets"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("credited_channel", sa.String(50)))
            batch.add_column(sa.Column("credited_campaign", sa.String(100)))
    for table in ("fact_installments", "fact_payments", "fact_invoices", "fact_refunds"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("customer_owner_id", sa.String(36)))
        op.create_index(f"ix_{table}_customer_id", table, ["customer_id"])
    op.create_index("ix_fact_opportunities_customer_id", "fact_opportunities", ["customer_id"])
    op.create_index("ix_fact_opportunities_lead_id", "fact_opportunities", ["lead_id"])
    op.create_index("ix_fact_tickets_customer_id", "fact_tickets", ["customer_id"])

    _rollup("rollup_acquisition_by_owner", (_owner(), _day(), *_channel_campaign()), ACQUISITION)
    _rollup("rollup_acquisition", (_day(), *_channel_campaign()), ACQUISITION)
    _rollup("rollup_sales_by_owner", (_owner(), _day()), SALES)
    _rollup("rollup_sales", (_day(),), SALES)
    _rollup("rollup_sales_by_owner_month", (_owner(), _month()), SALES, by_day=False)
    _rollup("rollup_overdue_by_owner", (_owner(), _day()), {"overdue_count": COUNT, "overdue_amount": MONEY})
    _rollup("rollup_overdue_by_owner_month", (_owner(), _month()), {"overdue_count": COUNT, "overdue_amount": MONEY},
            by_day=False)
    _rollup("rollup_pipeline_by_owner", (_owner(), sa.Column("stage", sa.String(50))),
            {"open_count": COUNT, "open_amount": MONEY}, by_day=False)
    _rollup("rollup_service_by_owner", (_owner(), _day(), *_channel_priority()), SERVICE)
    _rollup("rollup_service", (_day(), *_channel_priority()), SERVICE)
    _rollup("rollup_open_tickets_by_owner", (_owner(), *_channel_priority()), {"open_count": COUNT}, by_day=False)
    _rollup("rollup_pool_moves_by_owner", (_owner(), _day(), *_pool_move_keys()), {"moves": COUNT})
    _rollup("rollup_pool_moves", (_day(), *_pool_move_keys()), {"moves": COUNT})
    op.create_table(
        "rollup_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_settings")),
    )

    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        from reporting import rollup_sql
        from reporting.config import reporting_time_zone

        for statement in rollup_sql.install_statements():
            connection.exec_driver_sql(statement)
        rollup_sql.refill(connection, reporting_time_zone().key)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        from reporting import rollup_sql

        for statement in rollup_sql.uninstall_statements():
            connection.exec_driver_sql(statement)
    for table in ("rollup_settings", "rollup_pool_moves", "rollup_pool_moves_by_owner", "rollup_open_tickets_by_owner",
                  "rollup_service", "rollup_service_by_owner", "rollup_pipeline_by_owner",
                  "rollup_overdue_by_owner_month", "rollup_overdue_by_owner", "rollup_sales_by_owner_month",
                  "rollup_sales", "rollup_sales_by_owner", "rollup_acquisition", "rollup_acquisition_by_owner"):
        op.drop_table(table)
    op.drop_index("ix_fact_tickets_customer_id", "fact_tickets")
    op.drop_index("ix_fact_opportunities_lead_id", "fact_opportunities")
    op.drop_index("ix_fact_opportunities_customer_id", "fact_opportunities")
    for table in ("fact_installments", "fact_payments", "fact_invoices", "fact_refunds"):
        op.drop_index(f"ix_{table}_customer_id", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("customer_owner_id")
    for table in ("fact_customers", "fact_opportunities", "fact_tickets"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("credited_campaign")
            batch.drop_column("credited_channel")
