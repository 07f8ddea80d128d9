"""Alembic environment of the sales database."""
from crm_shared.migrations import run_env
from sales.db import metadata

run_env(metadata)
