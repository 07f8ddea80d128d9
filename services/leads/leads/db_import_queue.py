"""The table of imports waiting for the worker or running in it: the uploaded file and who runs it."""
from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, Table

from crm_shared.db import UtcDateTime
from leads.db import metadata
from leads.db_search import lead_imports

# One row per import between its upload and its end (completed or failed), when the row goes with the file.
# The file lives in the database, not on a web host's disk, so any worker host can run it. `rows_done`
# (good rows committed) moves on in the same transaction as each chunk's leads: a resumed run starts there.
lead_import_queue = Table(
    "lead_import_queue",
    metadata,
    Column("import_id", String(36), ForeignKey(lead_imports.c.id, ondelete="CASCADE"), primary_key=True),
    Column("file_data", LargeBinary, nullable=False),
    Column("queued_at", UtcDateTime(), nullable=False),
    Column("runner", String(200)),
    Column("heartbeat_at", UtcDateTime()),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("rows_done", Integer, nullable=False, server_default="0"),
    Index("ix_lead_import_queue_queued_at", "queued_at"),
)
