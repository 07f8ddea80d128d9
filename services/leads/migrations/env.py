"""Alembic environment of the leads database."""
from crm_shared.migrations import run_env
from leads.db import metadata

run_env(metadata)
