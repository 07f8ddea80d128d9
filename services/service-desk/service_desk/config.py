"""Settings of the service desk, read from the environment once."""
from pathlib import Path

from crm_shared.settings import Settings

# The service's name for settings, queues and URLs; event names and the producer use `service_desk`.
SERVICE = "service-desk"
EVENT_PREFIX = "service_desk"
SERVICE_ROOT = Path(__file__).resolve().parent.parent


def load_settings() -> Settings:
    return Settings.from_env(SERVICE)
