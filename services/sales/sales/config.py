"""Settings of the sales service, read from the environment once."""
from pathlib import Path

from crm_shared.settings import Settings

SERVICE = "sales"
SERVICE_ROOT = Path(__file__).resolve().parent.parent


def load_settings() -> Settings:
    return Settings.from_env(SERVICE)
