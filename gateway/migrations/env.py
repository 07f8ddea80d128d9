"""Alembic environment of the gateway database."""
from crm_shared.migrations import run_env
from gateway.db import metadata

run_env(metadata)
