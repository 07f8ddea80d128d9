"""Table of auto-distribution: where each pool's rotation stands (part of the leads metadata)."""
from sqlalchemy import Column, ForeignKey, String, Table

from crm_shared.db import UtcDateTime
from leads.db import metadata

# One row per pool that has distributed automatically. Locked FOR UPDATE while a new lead (or an import's
# chunk) is distributed, so a pool's distributions run one at a time: the rotation never hands one turn
# out twice, and each choice counts the loads the one before it left.
pool_distribution_cursors = Table(
    "pool_distribution_cursors",
    metadata,
    Column("pool_id", String(36), ForeignKey("pools.id", name="fk_pool_distribution_cursors_pool_id_pools",
                                             ondelete="CASCADE"), primary_key=True),
    # The rep who got the pool's last automatically distributed lead: the rotation continues after them.
    Column("last_assignee_id", String(36)),
    Column("updated_at", UtcDateTime()),
)
