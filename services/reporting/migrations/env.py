"""Alembic environment of the reporting database."""
from crm_shared.migrations import run_env
from reporting.db import metadata

run_env(metadata)
