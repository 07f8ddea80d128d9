"""Alembic environment of the service-desk database."""
from crm_shared.migrations import run_env
from service_desk.db import metadata

run_env(metadata)
