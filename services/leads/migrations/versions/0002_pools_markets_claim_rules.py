"""Pools, markets, claim rules, the ownership history and the default pools.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DEFAULT_LEAD_POOL_ID = "00000000-0000-4000-8000-000000000001"
DEFAULT_PUBLIC_POOL_ID = "00000000-0000-4000-8000-000000000002"
EVERY_SALES_ROLE = {"user_ids": [], "team_ids": [], "roles": ["admin", "sales_manager", "sales_rep"], "market_ids": []}
# The defaults keep the thin flow open: no market required, no quota, no capacity, no embargo.
DEFAULT_RULES = {
    "require_market": False, "daily_claim_quota": None, "max_claim_batch": 20, "max_private_leads": None,
    "max_team_leads": None, "count_converted": False, "reclaim_cooldown_hours": 0, "embargo_hours": 0,
    "daily_open_quota": None, "return_reasons": ["not_interested", "unreachable", "no_budget", "duplicate", "other"],
}


def upgrade() -> None:
    pools = op.create_table(
        "pools",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("admin_ids", sa.JSON, nullable=False),
        sa.Column("scope", sa.JSON, nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("uq_pools_default_kind", "pools", ["kind"], unique=True,
                    postgresql_where=sa.text("is_default"), sqlite_where=sa.text("is_default"))
    now = sa.func.current_timestamp()
    connection = op.get_bind()
    for pool_id, name, kind in ((DEFAULT_LEAD_POOL_ID, "Default lead pool", "lead"),
                                (DEFAULT_PUBLIC_POOL_ID, "Default public pool", "public")):
        connection.execute(
            pools.insert().values(
                id=pool_id, name=name, kind=kind, is_default=True, enabled=True, admin_ids=[],
                scope=EVERY_SALES_ROLE, rules=DEFAULT_RULES, created_at=now, updated_at=now, version=1,
            )
        )

    op.create_table(
        "markets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("conditions", sa.JSON, nullable=False),
        sa.Column("user_ids", sa.JSON, nullable=False),
        sa.Column("team_ids", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("name", name="uq_markets_name"),
    )

    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("pool_id", sa.String(36)))
        batch.add_column(sa.Column("region", sa.String(100)))
        batch.add_column(sa.Column("industry", sa.String(100)))
        batch.add_column(sa.Column("company_size", sa.String(50)))
        batch.add_column(sa.Column("tags", sa.JSON))
        batch.add_column(sa.Column("campaign", sa.String(200)))
        batch.add_column(sa.Column("previous_owner_id", sa.String(36)))
        batch.add_column(sa.Column("entered_pool_at", sa.DateTime(timezone=True)))
    # Every lead so far was in the one implicit pool: it becomes the default lead pool.
    connection.execute(
        sa.text("UPDATE leads SET pool_id = :pool, tags = :tags, entered_pool_at = created_at"),
        {"pool": DEFAULT_LEAD_POOL_ID, "tags": "[]"},
    )
    with op.batch_alter_table("leads") as batch:
        batch.alter_column("pool_id", existing_type=sa.String(36), nullable=False)
        batch.alter_column("tags", existing_type=sa.JSON, nullable=False)
        batch.create_foreign_key("fk_leads_pool_id_pools", "pools", ["pool_id"], ["id"])
        batch.create_index("ix_leads_pool_status", ["pool_id", "status"])

    op.create_table(
        "lead_ownership_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("lead_id", sa.String(36), nullable=False),
        sa.Column("pool_id", sa.String(36), nullable=False),
        sa.Column("from_owner_id", sa.String(36)),
        sa.Column("to_owner_id", sa.String(36)),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=False),
        sa.Column("detail", sa.String(1000)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_lead_ownership_history_lead", "lead_ownership_history", ["lead_id", "at"])
    op.create_index("ix_lead_ownership_history_quota", "lead_ownership_history",
                    ["to_owner_id", "reason", "pool_id", "at"])
    # The claims and conversions so far become the first lines of the history.
    connection.execute(sa.text(
        "INSERT INTO lead_ownership_history (lead_id, pool_id, from_owner_id, to_owner_id, reason, actor_id, at) "
        "SELECT id, pool_id, NULL, owner_id, 'claimed', owner_id, claimed_at FROM leads "
        "WHERE owner_id IS NOT NULL AND claimed_at IS NOT NULL"
    ))

    op.create_table(
        "lead_reveals",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("lead_id", sa.String(36), primary_key=True),
        sa.Column("pool_id", sa.String(36), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "claimants",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "claimant_teams",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("team_id", sa.String(36), primary_key=True),
    )
    op.create_index("ix_claimant_teams_team", "claimant_teams", ["team_id"])
    op.create_table("claim_locks", sa.Column("key", sa.String(80), primary_key=True))


def downgrade() -> None:
    for table in ("claim_locks", "claimant_teams", "claimants", "lead_reveals", "lead_ownership_history"):
        op.drop_table(table)
    with op.batch_alter_table("leads") as batch:
        batch.drop_index("ix_leads_pool_status")
        batch.drop_constraint("fk_leads_pool_id_pools", type_="foreignkey")
        for column in ("entered_pool_at", "previous_owner_id", "campaign", "tags", "company_size", "industry",
                       "region", "pool_id"):
            batch.drop_column(column)
    op.drop_table("markets")
    op.drop_table("pools")
