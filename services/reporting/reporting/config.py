"""Settings of the reporting service, read from the environment once."""
from pathlib import Path

from crm_shared.settings import Settings

SERVICE = "reporting"
SERVICE_ROOT = Path(__file__).resolve().parent.parent


def load_settings() -> Settings:
    return Settings.from_env(SERVICE)
